package pop3

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// tokenSeq hands out tokens in order (repeating the last) and records
// the refused ones.
type tokenSeq struct {
	mu       sync.Mutex
	next     []string
	rejected []string
}

func (ts *tokenSeq) token(context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := ts.next[0]
	if len(ts.next) > 1 {
		ts.next = ts.next[1:]
	}
	return t, nil
}

func (ts *tokenSeq) reject(t string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rejected = append(ts.rejected, t)
}

func oauthServer(t *testing.T, valid string, mechs ...string) *pop3test.Server {
	return pop3test.NewServer(t, pop3test.WithOAuth(func(user, token string) bool { return token == valid }, mechs...),
		pop3test.WithMessages(testMessages[0]))
}

func oauthConfig(srv *pop3test.Server, ts *tokenSeq) Config {
	cfg := config(srv)
	cfg.Password = ""
	cfg.Token, cfg.TokenRejected = ts.token, ts.reject
	return cfg
}

func TestTokenLoginFromCapabilities(t *testing.T) {
	for _, mechs := range [][]string{{"XOAUTH2"}, {"OAUTHBEARER"}, {"XOAUTH2", "OAUTHBEARER"}} {
		srv := oauthServer(t, "good", mechs...)
		c, err := Dial(context.Background(), oauthConfig(srv, &tokenSeq{next: []string{"good"}}))
		if err != nil {
			t.Errorf("Dial(server offering %v) = %v, want a token login", mechs, err)
			continue
		}
		c.Close()
		if srv.TokenLogins() != 1 {
			t.Errorf("TokenLogins(offering %v) = %d, want 1", mechs, srv.TokenLogins())
		}
	}
}

func TestTokenLoginForcedMechanism(t *testing.T) {
	srv := oauthServer(t, "good", "XOAUTH2")
	cfg := oauthConfig(srv, &tokenSeq{next: []string{"good"}})
	cfg.Auth = "oauthbearer"
	if _, err := Dial(context.Background(), cfg); err == nil || !sources.IsPermanent(err) {
		t.Errorf("Dial(auth=oauthbearer, server offering XOAUTH2) = %v, want a permanent refusal", err)
	}
	cfg.Auth = "xoauth2"
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(auth=xoauth2) = %v", err)
	}
	c.Close()
}

func TestTokenRefreshedAfterRefusal(t *testing.T) {
	for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
		srv := oauthServer(t, "fresh", mech)
		ts := &tokenSeq{next: []string{"expired", "fresh"}}
		c, err := Dial(context.Background(), oauthConfig(srv, ts))
		if err != nil {
			t.Fatalf("Dial(%s, expired then fresh token) = %v, want a login after one refresh", mech, err)
		}
		c.Close()
		if len(ts.rejected) != 1 || ts.rejected[0] != "expired" {
			t.Errorf("Dial(%s) rejected = %q, want [expired]", mech, ts.rejected)
		}
		if srv.RefusedTokens() != 1 {
			t.Errorf("RefusedTokens(%s) = %d, want 1", mech, srv.RefusedTokens())
		}
	}
}

func TestTokenRefusedTwice(t *testing.T) {
	srv := oauthServer(t, "never", "XOAUTH2")
	ts := &tokenSeq{next: []string{"secret-token-1", "secret-token-2"}}
	_, err := Dial(context.Background(), oauthConfig(srv, ts))
	if err == nil || !sources.IsPermanent(err) {
		t.Fatalf("Dial(refused tokens) = %v, want a permanent error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "secret-token") || !strings.Contains(msg, "auth login") {
		t.Errorf("Dial(refused tokens) = %q, want advice and no token", msg)
	}
	if srv.RefusedTokens() != 2 {
		t.Errorf("RefusedTokens() = %d, want 2", srv.RefusedTokens())
	}
}

func TestPasswordRefusedByTokenOnlyServer(t *testing.T) {
	srv := oauthServer(t, "good", "XOAUTH2")
	_, err := Dial(context.Background(), config(srv))
	if err == nil || !sources.IsPermanent(err) {
		t.Errorf("Dial(password, token-only server) = %v, want a permanent refusal", err)
	}
}

func TestThrottledLoginIsTemporary(t *testing.T) {
	srv := pop3test.NewServer(t)
	srv.ErrOn("PASS")
	cfg := config(srv)
	cfg.Auth = "user"
	_, err := Dial(context.Background(), cfg)
	if !sources.IsPermanent(err) {
		t.Fatalf("Dial(-ERR injected) = %v, want permanent (control)", err)
	}
	if !throttled("Too many simultaneous connections") || !throttled("Request is throttled") || throttled("invalid password") {
		t.Errorf("throttled() misclassifies provider texts")
	}
}
