package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/oauth"
)

// fakeMicrosoft is a device-code issuer that grants after one pending
// poll.
func fakeMicrosoft(t *testing.T) *oauth.Issuer {
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/device":
			json.NewEncoder(w).Encode(map[string]any{"device_code": "d", "user_code": "WXYZ-1234",
				"verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 1})
		case "/token":
			if polls++; polls == 1 {
				w.WriteHeader(400)
				json.NewEncoder(w).Encode(map[string]string{"error": "authorization_pending"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": "secret-access", "refresh_token": "secret-refresh", "expires_in": 3600})
		}
	}))
	t.Cleanup(srv.Close)
	return &oauth.Issuer{Name: "microsoft", DeviceURL: srv.URL + "/device", TokenURL: srv.URL + "/token"}
}

func TestAuthLoginDeviceCode(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	g := &globals{state: filepath.Join(dir, "state.db"), stdout: &out, stderr: &errOut}
	o := authOptions{provider: "microsoft", user: "alice@example.com", clientID: "cid", issuer: fakeMicrosoft(t),
		sleep: func(context.Context, time.Duration) error { return nil }}
	if err := runAuthLogin(context.Background(), g, o); err != nil {
		t.Fatalf("runAuthLogin() = %v", err)
	}
	if !strings.Contains(errOut.String(), "WXYZ-1234") || !strings.Contains(errOut.String(), "https://microsoft.com/devicelogin") {
		t.Errorf("runAuthLogin() told the user %q, want the code and the address", errOut.String())
	}
	if all := out.String() + errOut.String(); strings.Contains(all, "secret-") {
		t.Errorf("runAuthLogin() printed a token: %q", all)
	}
	store := &oauth.Store{Dir: filepath.Join(dir, "oauth")}
	l, err := store.Load("microsoft", "alice@example.com")
	if err != nil || l.RefreshToken != "secret-refresh" || l.ClientID != "cid" {
		t.Fatalf("stored login = %+v, %v; want the refresh token and client id", l, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "oauth"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("oauth directory mode = %v, %v; want 0700", fi.Mode(), err)
	}
	if err := runAuthLogout(g, authOptions{provider: "microsoft", user: "alice@example.com"}); err != nil {
		t.Errorf("runAuthLogout() = %v", err)
	}
	if _, err := store.Load("microsoft", "alice@example.com"); err == nil {
		t.Errorf("login still stored after logout")
	}
}

func TestAuthLoginNeedsClientID(t *testing.T) {
	t.Setenv("MAILFERRY_OAUTH_CLIENT_ID", "")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"auth", "login", "--provider", "google", "--user", "a@gmail.com", "--state", filepath.Join(t.TempDir(), "s.db")}, nil, &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "--client-id") {
		t.Errorf("auth login without client id = exit %d, %q; want exit 2 with a hint", code, errOut.String())
	}
}

func TestAuthProviders(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"auth", "providers"}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("auth providers = exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"gmail", "imap.gmail.com", "microsoft365", "outlook.office365.com", "icloud", "35 MB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("auth providers output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestAuthLoginClientFromJobFile(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs.yaml")
	os.WriteFile(jobs, []byte(`jobs:
  - name: carol
    source: imaps://carol@old.example.com
    source_password_env: OLD_PW
    target: imaps://carol@contoso.com?provider=microsoft365
    target_oauth_client_id: job-client-id
`), 0o600)
	t.Setenv("MAILFERRY_OAUTH_CLIENT_ID", "")
	var out, errOut bytes.Buffer
	g := &globals{state: filepath.Join(dir, "state.db"), stdout: &out, stderr: &errOut}
	o := authOptions{provider: "microsoft", user: "carol@contoso.com", jobFile: jobs, job: "carol", issuer: fakeMicrosoft(t),
		sleep: func(context.Context, time.Duration) error { return nil }}
	if err := runAuthLogin(context.Background(), g, o); err != nil {
		t.Fatalf("runAuthLogin(--job-file) = %v", err)
	}
	l, err := (&oauth.Store{Dir: filepath.Join(dir, "oauth")}).Load("microsoft", "carol@contoso.com")
	if err != nil || l.ClientID != "job-client-id" {
		t.Fatalf("stored login = %+v, %v; want the job file's client id", l, err)
	}
}
