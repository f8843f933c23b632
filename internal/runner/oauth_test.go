package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/oauth"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/migrate"
	"github.com/mailferry/mailferry/sources"
)

// tokenIssuer is an in-process token endpoint: it trades refresh-1 for
// access tokens, of which only the newest is valid.
type tokenIssuer struct {
	url     string
	mu      sync.Mutex
	issued  int
	revoked bool
}

func newTokenIssuer(t *testing.T) *tokenIssuer {
	ti := &tokenIssuer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		ti.mu.Lock()
		defer ti.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if ti.revoked || r.PostForm.Get("refresh_token") != "refresh-1" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "token revoked"})
			return
		}
		ti.issued++
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("access-%d", ti.issued), "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	ti.url = srv.URL + "/token"
	return ti
}

// valid reports whether token is the newest one issued.
func (ti *tokenIssuer) valid(token string) bool {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return token == fmt.Sprintf("access-%d", ti.issued)
}

// expire makes the current token invalid, as if it expired early: the
// next one issued is the valid one.
func (ti *tokenIssuer) expire() {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.issued++
}

// writeMbox writes n small messages to an mbox file.
func writeMbox(t *testing.T, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "From sender@example.com Mon Jan  1 00:00:00 2024\nFrom: sender@example.com\nTo: alice@example.com\nSubject: message %d\nMessage-ID: <m%d@example.com>\nDate: Mon, 1 Jan 2024 00:00:%02d +0000\n\nbody %d\n\n", i, i, i, i)
	}
	p := filepath.Join(t.TempDir(), "in.mbox")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// oauthJob builds an mbox -> IMAP (Microsoft 365 profile) job whose
// target logs in with a stored login.
func oauthJob(t *testing.T, ti *tokenIssuer, srv *imaptest.Server, n int) (*migrate.Job, *journal.Journal) {
	t.Helper()
	state := t.TempDir()
	store := &oauth.Store{Dir: filepath.Join(state, "oauth")}
	if err := store.Save(&oauth.Login{Issuer: "microsoft", User: "alice@example.com", ClientID: "cid", RefreshToken: "refresh-1", TokenURL: ti.url}); err != nil {
		t.Fatal(err)
	}
	jr, err := journal.Open(filepath.Join(state, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jr.Close() })
	src, _ := endpoint.Parse("mbox:" + writeMbox(t, n))
	dst, err := endpoint.Parse("imap://alice@example.com@" + srv.Addr + "?tls=none&provider=microsoft365")
	if err != nil {
		t.Fatal(err)
	}
	j := &jobfile.Job{Name: "oauth", Source: src.String(), Target: dst.String(), Mode: jobfile.ModeMigrate, Connections: 1}
	mj, err := Build(context.Background(), j, Env{Journal: jr, IndexDir: filepath.Join(state, "mbox-index")})
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	mj.Options.Backoff = time.Millisecond
	return mj, jr
}

func TestTokenExpiresMidRun(t *testing.T) {
	ti := newTokenIssuer(t)
	var appends atomic.Int32
	srv := imaptest.NewServerOptions(t, imaptest.Options{
		Username: "alice@example.com", Password: "unused", Token: func(_, tok string) bool { return ti.valid(tok) },
		AppendHook: func(string) error {
			if appends.Add(1) == 3 {
				// The token expires early, and the server ends the session.
				ti.expire()
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "session expired, log in again"}
			}
			return nil
		},
	})
	mj, _ := oauthJob(t, ti, srv, 6)
	sum, err := migrate.Run(context.Background(), mj)
	if err != nil {
		t.Fatalf("migrate.Run() = %v, want the run to survive the expired token", err)
	}
	if sum.Copied != 6 || len(sum.Failed) != 0 {
		t.Errorf("migrate.Run() copied %d, failed %v; want 6 copied", sum.Copied, sum.Failed)
	}
	if srv.RefusedTokens() < 1 || srv.TokenLogins() < 2 {
		t.Errorf("server refused %d and accepted %d tokens, want the stale token refused and a fresh login", srv.RefusedTokens(), srv.TokenLogins())
	}
	mb, err := srv.User.Status("INBOX", &imap.StatusOptions{NumMessages: true})
	if err != nil || *mb.NumMessages != 6 {
		t.Errorf("INBOX holds %v messages (%v), want 6 exactly once", mb, err)
	}
}

func TestRevokedLoginStopsRun(t *testing.T) {
	ti := newTokenIssuer(t)
	ti.revoked = true
	srv := imaptest.NewServerOptions(t, imaptest.Options{Username: "alice@example.com", Password: "unused",
		Token: func(_, tok string) bool { return ti.valid(tok) }})
	mj, _ := oauthJob(t, ti, srv, 2)
	_, err := migrate.Run(context.Background(), mj)
	if err == nil || !sources.IsPermanent(err) {
		t.Fatalf("migrate.Run(revoked) = %v, want a permanent error", err)
	}
	if want := "mailferry auth login --provider microsoft --user alice@example.com"; !strings.Contains(err.Error(), want) {
		t.Errorf("migrate.Run(revoked) = %q, want it to say %q", err, want)
	}
	if strings.Contains(err.Error(), "refresh-1") {
		t.Errorf("migrate.Run(revoked) = %q shows the refresh token", err)
	}
}

func TestBuildNeedsLoginForMicrosoft(t *testing.T) {
	j := &jobfile.Job{Name: "x", Source: "imaps://bob@example.com@outlook.office365.com?provider=microsoft365", Target: "maildir:" + t.TempDir(),
		Mode: jobfile.ModeBackup, Connections: 4}
	_, err := Build(context.Background(), j, Env{OAuthDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "mailferry auth login --provider microsoft --user bob@example.com") {
		t.Errorf("Build(microsoft365 without login) = %v, want advice to run auth login", err)
	}
}

func TestBuildAppliesProfiles(t *testing.T) {
	t.Setenv("MAILFERRY_SRC_PASSWORD", "app-password")
	j := &jobfile.Job{Name: "x", Source: "imaps://carol@gmail.com@imap.gmail.com?provider=gmail", Target: "maildir:" + t.TempDir(),
		Mode: jobfile.ModeBackup, Connections: 32}
	mj, err := Build(context.Background(), j, Env{OAuthDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Build(gmail with app password) = %v", err)
	}
	if mj.Options.Connections != 10 || mj.Options.Backoff != 5*time.Second {
		t.Errorf("Build(gmail) connections %d, backoff %v; want 10 and 5s", mj.Options.Connections, mj.Options.Backoff)
	}
}

func TestTokensFromJobKeys(t *testing.T) {
	ep, _ := endpoint.Parse("imaps://alice@example.com@imap.example.com")
	file := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(file, []byte("from-file\n"), 0o600)
	s, err := Tokens(ep, jobfile.OAuth{TokenFile: file}, Env{})
	if err != nil || s == nil {
		t.Fatalf("Tokens(token_file) = %v, %v", s, err)
	}
	if tok, _ := s.Token(context.Background()); tok != "from-file" {
		t.Errorf("Token(token_file) = %q, want from-file", tok)
	}
	if s, err := Tokens(ep, jobfile.OAuth{}, Env{OAuthDir: t.TempDir()}); s != nil || err != nil {
		t.Errorf("Tokens(no keys, no provider) = %v, %v; want a password login", s, err)
	}
	t.Setenv(EnvClientSecret, "")
	if _, err := Tokens(ep, jobfile.OAuth{App: true, ClientID: "app"}, Env{}); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("Tokens(app without secret) = %v, want an error about the secret", err)
	}
}
