package imapconn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources"
)

// tokens hands out a sequence of tokens and records refusals.
type tokens struct {
	mu       sync.Mutex
	next     []string
	rejected []string
}

func (tk *tokens) token(context.Context) (string, error) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	t := tk.next[0]
	if len(tk.next) > 1 {
		tk.next = tk.next[1:]
	}
	return t, nil
}

func (tk *tokens) reject(t string) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.rejected = append(tk.rejected, t)
}

func tokenServer(t *testing.T, valid string, mechs ...string) *imaptest.Server {
	return imaptest.NewServerOptions(t, imaptest.Options{
		Username:   "alice@example.com",
		Password:   "unused",
		Token:      func(user, token string) bool { return token == valid },
		Mechanisms: mechs,
	})
}

func tokenConfig(addr string, tk *tokens) Config {
	return Config{Addr: addr, Username: "alice@example.com", TLS: None, Token: tk.token, TokenRejected: tk.reject}
}

func TestTokenLoginMechanisms(t *testing.T) {
	for _, tc := range []struct {
		offered []string
		forced  string
	}{
		{[]string{"XOAUTH2"}, ""},
		{[]string{"OAUTHBEARER"}, ""},
		{[]string{"OAUTHBEARER", "XOAUTH2"}, ""},
		{[]string{"OAUTHBEARER", "XOAUTH2"}, "xoauth2"},
	} {
		srv := tokenServer(t, "good-token", tc.offered...)
		cfg := tokenConfig(srv.Addr, &tokens{next: []string{"good-token"}})
		cfg.Auth = tc.forced
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Errorf("Dial(offering %v, auth=%q) = %v, want a login", tc.offered, tc.forced, err)
			continue
		}
		c.Close()
		if got := srv.TokenLogins(); got != 1 {
			t.Errorf("TokenLogins(offering %v) = %d, want 1", tc.offered, got)
		}
	}
}

func TestTokenRefreshedAfterRefusal(t *testing.T) {
	for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
		srv := tokenServer(t, "fresh-token", mech)
		tk := &tokens{next: []string{"expired-token", "fresh-token"}}
		c, err := Dial(context.Background(), tokenConfig(srv.Addr, tk))
		if err != nil {
			t.Fatalf("Dial(%s, expired then fresh token) = %v, want a login after one refresh", mech, err)
		}
		c.Close()
		if len(tk.rejected) != 1 || tk.rejected[0] != "expired-token" {
			t.Errorf("Dial(%s) rejected tokens = %q, want [expired-token]", mech, tk.rejected)
		}
		if srv.RefusedTokens() != 1 || srv.TokenLogins() != 1 {
			t.Errorf("Dial(%s): server refused %d, accepted %d tokens, want 1 and 1", mech, srv.RefusedTokens(), srv.TokenLogins())
		}
	}
}

func TestTokenRefusedTwiceIsPermanent(t *testing.T) {
	srv := tokenServer(t, "never", "XOAUTH2")
	tk := &tokens{next: []string{"bad-token-1", "bad-token-2"}}
	_, err := Dial(context.Background(), tokenConfig(srv.Addr, tk))
	if err == nil || !sources.IsPermanent(err) {
		t.Fatalf("Dial(refused tokens) = %v, want a permanent error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "bad-token") || !strings.Contains(msg, "auth login") {
		t.Errorf("Dial(refused tokens) = %q, want advice to log in again and no token", msg)
	}
	if srv.RefusedTokens() != 2 {
		t.Errorf("RefusedTokens() = %d, want 2 (one retry)", srv.RefusedTokens())
	}
}

func TestTokenWithoutOAuthMechanism(t *testing.T) {
	srv := imaptest.NewServerOptions(t, imaptest.Options{})
	_, err := Dial(context.Background(), Config{Addr: srv.Addr, Username: imaptest.Username, TLS: None,
		Token: func(context.Context) (string, error) { return "tok", nil }})
	if err == nil || !sources.IsPermanent(err) || !strings.Contains(err.Error(), "OAUTHBEARER") {
		t.Fatalf("Dial(token, server without OAuth) = %v, want a permanent error naming the mechanisms", err)
	}
}

func TestTokenSourceErrorKeepsClass(t *testing.T) {
	srv := tokenServer(t, "x")
	revoked := sources.Permanent(errors.New("oauth login of alice is no longer valid"))
	_, err := Dial(context.Background(), Config{Addr: srv.Addr, Username: "alice@example.com", TLS: None,
		Token: func(context.Context) (string, error) { return "", revoked }})
	if !sources.IsPermanent(err) {
		t.Errorf("Dial(revoked token source) = %v, want permanent", err)
	}
	_, err = Dial(context.Background(), Config{Addr: srv.Addr, Username: "alice@example.com", TLS: None,
		Token: func(context.Context) (string, error) { return "", errors.New("token endpoint unreachable") }})
	if err == nil || sources.IsPermanent(err) {
		t.Errorf("Dial(unreachable token endpoint) = %v, want a temporary error", err)
	}
}

func TestTooManyConnectionsAtGreetingIsTemporary(t *testing.T) {
	srv := imaptest.NewServerOptions(t, imaptest.Options{SessionHook: func() error {
		return &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Too many simultaneous connections. (Failure)"}
	}})
	_, err := Dial(context.Background(), plainConfig(srv.Addr))
	if err == nil || sources.IsPermanent(err) {
		t.Fatalf("Dial(BYE too many connections) = %v, want a temporary error", err)
	}
}

func TestClassifyProviderAnswers(t *testing.T) {
	no := func(code imap.ResponseCode, text string) error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	tests := []struct {
		err       error
		want      Class
		throttled bool
		daily     bool
	}{
		{no("ALERT", "Too many simultaneous connections. (Failure)"), Temporary, true, false},
		{no("", "Request is throttled. Suggested Backoff Time: 92 milliseconds"), Temporary, true, false},
		{no("THROTTLED", "slow down"), Temporary, true, false},
		{no(imap.ResponseCodeUnavailable, "Temporary System Error"), Temporary, true, false},
		{no("", "Server Unavailable. 15"), Temporary, true, false},
		{no(imap.ResponseCodeOverQuota, "Account exceeded command or bandwidth limits. (Failure)"), Permanent, false, true},
		{no(imap.ResponseCodeOverQuota, "Quota exceeded"), Permanent, false, false},
		{no(imap.ResponseCodeAuthenticationFailed, "Invalid credentials (Failure)"), Permanent, false, false},
		{no("", "message too large"), PerMessage, false, false},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
		if got := Throttled(tt.err); got != tt.throttled {
			t.Errorf("Throttled(%v) = %v, want %v", tt.err, got, tt.throttled)
		}
		if got := DailyLimit(tt.err); got != tt.daily {
			t.Errorf("DailyLimit(%v) = %v, want %v", tt.err, got, tt.daily)
		}
	}
}
