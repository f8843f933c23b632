package oauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

func testLogin(f *fakeIssuer) *Login {
	return &Login{Issuer: "fake", User: "alice@example.com", ClientID: "cid", RefreshToken: "refresh-1", TokenURL: f.issuer().TokenURL}
}

func TestSourceCachesAndRefreshes(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewSource("alice", RefreshGrant(nil, nil, testLogin(f), Client{}), SourceOptions{Now: func() time.Time { return now }})
	ctx := context.Background()
	a, err := s.Token(ctx)
	if err != nil || a != "access-1" {
		t.Fatalf("Token() = %q, %v, want access-1", a, err)
	}
	if b, _ := s.Token(ctx); b != "access-1" {
		t.Errorf("Token() again = %q, want the cached access-1", b)
	}
	now = now.Add(time.Hour - ExpiryMargin + time.Second) // close to expiry
	if c, _ := s.Token(ctx); c != "access-2" {
		t.Errorf("Token() near expiry = %q, want a refreshed access-2", c)
	}
	s.Invalidate("access-1") // stale: not the cached one, ignored
	if d, _ := s.Token(ctx); d != "access-2" {
		t.Errorf("Token() after Invalidate(old) = %q, want access-2", d)
	}
	s.Invalidate("access-2")
	if e, _ := s.Token(ctx); e != "access-3" {
		t.Errorf("Token() after Invalidate(current) = %q, want access-3", e)
	}
}

func TestShortLivedTokensRefreshEveryTime(t *testing.T) {
	f := newFakeIssuer(t)
	f.expiresIn = 1 // shorter than ExpiryMargin: never reused
	s := NewSource("alice", RefreshGrant(nil, nil, testLogin(f), Client{}), SourceOptions{})
	for i := 1; i <= 3; i++ {
		if got, err := s.Token(context.Background()); err != nil || got != fmt.Sprintf("access-%d", i) {
			t.Errorf("Token() #%d = %q, %v, want access-%d", i, got, err, i)
		}
	}
}

func TestRefreshRotationIsStored(t *testing.T) {
	f := newFakeIssuer(t)
	f.rotate = true
	store := &Store{Dir: filepath.Join(t.TempDir(), "oauth")}
	l := testLogin(f)
	if err := store.Save(l); err != nil {
		t.Fatal(err)
	}
	s := NewSource("alice", RefreshGrant(nil, store, l, Client{}), SourceOptions{NoCache: true})
	for range 2 {
		if _, err := s.Token(context.Background()); err != nil {
			t.Fatalf("Token() = %v", err)
		}
	}
	got, err := store.Load("fake", "alice@example.com")
	if err != nil || got.RefreshToken != f.refresh {
		t.Errorf("stored refresh token = %v, %v, want the rotated %q", got, err, f.refresh)
	}
}

func TestRevokedRefreshToken(t *testing.T) {
	f := newFakeIssuer(t)
	f.revoked = true
	relogin := "run: mailferry auth login --provider google --user alice@example.com"
	s := NewSource("alice@example.com", RefreshGrant(nil, nil, testLogin(f), Client{}), SourceOptions{Relogin: relogin})
	_, err := s.Token(context.Background())
	if err == nil || !sources.IsPermanent(err) || !IsRevoked(err) {
		t.Fatalf("Token(revoked) = %v, want a permanent invalid_grant error", err)
	}
	if msg := err.Error(); !strings.Contains(msg, relogin) || strings.Contains(msg, "refresh-1") {
		t.Errorf("Token(revoked) = %q, want the relogin advice and no token", msg)
	}
}

func TestServerErrorIsTemporary(t *testing.T) {
	hs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	srv := newServer(t, hs)
	_, err := postForm(context.Background(), nil, srv+"/token", url.Values{})
	if err == nil || sources.IsPermanent(err) {
		t.Errorf("postForm(503) = %v, want a temporary error", err)
	}
}

func TestStorePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "oauth")
	store := &Store{Dir: dir}
	if _, err := store.Load("google", "bob@example.com"); !errors.Is(err, ErrNoLogin) {
		t.Errorf("Load(missing) = %v, want ErrNoLogin", err)
	}
	l := &Login{Issuer: "google", User: "../Bob@Example.com", ClientID: "c", RefreshToken: "r", TokenURL: "u"}
	if err := store.Save(l); err != nil {
		t.Fatalf("Save() = %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("Stat(%s) = %v, %v, want mode 0700", dir, fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("ReadDir(%s) = %v, want one login file", dir, entries)
	}
	fi, _ := entries[0].Info()
	if fi.Mode().Perm() != 0o600 || strings.Contains(entries[0].Name(), "/") {
		t.Errorf("login file %s mode %v, want 0600 inside the directory", entries[0].Name(), fi.Mode())
	}
	got, err := store.Load("google", "../Bob@Example.com")
	if err != nil || got.RefreshToken != "r" {
		t.Errorf("Load() = %v, %v, want the saved login", got, err)
	}
	if err := store.Delete("google", "../Bob@Example.com"); err != nil {
		t.Errorf("Delete() = %v", err)
	}
}

func TestDeviceLogin(t *testing.T) {
	f := newFakeIssuer(t)
	f.pending = 2
	var shown *DeviceCode
	polls := 0
	tok, err := DeviceLogin(context.Background(), nil, f.issuer(), Client{ID: "cid"}, func(dc *DeviceCode) { shown = dc },
		func(context.Context, time.Duration) error { polls++; return nil })
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("DeviceLogin() = %+v, %v, want access and refresh tokens", tok, err)
	}
	if shown == nil || shown.UserCode != "ABCD-EFGH" || polls != 3 {
		t.Errorf("DeviceLogin() showed %+v after %d polls, want code ABCD-EFGH and 3 polls", shown, polls)
	}
}

func TestBrowserLoginPKCE(t *testing.T) {
	f := newFakeIssuer(t)
	tok, err := BrowserLogin(context.Background(), nil, f.issuer(), Client{ID: "cid", Secret: "desktop-secret"}, "alice@gmail.com", func(authURL string) {
		u, err := url.Parse(authURL)
		if err != nil {
			t.Errorf("auth URL %q: %v", authURL, err)
			return
		}
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("login_hint") != "alice@gmail.com" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
			t.Errorf("auth URL query = %v, want S256 PKCE, login_hint and a loopback redirect", q)
		}
		f.mu.Lock()
		f.challenge = q.Get("code_challenge")
		f.mu.Unlock()
		go func() {
			resp, err := http.Get(q.Get("redirect_uri") + "?code=code-1&state=" + url.QueryEscape(q.Get("state")))
			if err == nil {
				resp.Body.Close()
			}
		}()
	})
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("BrowserLogin() = %+v, %v, want a refresh token", tok, err)
	}
	if f.lastForm["client_secret"] != "desktop-secret" {
		t.Errorf("code exchange sent client_secret %q, want desktop-secret", f.lastForm["client_secret"])
	}
}

func TestBrowserLoginWrongState(t *testing.T) {
	f := newFakeIssuer(t)
	_, err := BrowserLogin(context.Background(), nil, f.issuer(), Client{ID: "cid"}, "", func(authURL string) {
		u, _ := url.Parse(authURL)
		go func() {
			resp, err := http.Get(u.Query().Get("redirect_uri") + "?code=code-1&state=forged")
			if err == nil {
				resp.Body.Close()
			}
		}()
	})
	if err == nil || !strings.Contains(err.Error(), "state") {
		t.Errorf("BrowserLogin(forged state) = %v, want a state error", err)
	}
}

func TestClientCredentials(t *testing.T) {
	f := newFakeIssuer(t)
	g := ClientCredentialsGrant(nil, f.issuer().TokenURL, Client{ID: "app", Secret: "app-secret"}, Microsoft.AppScope)
	tok, err := g(context.Background())
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("ClientCredentialsGrant() = %v, %v", tok, err)
	}
	if f.lastForm["scope"] != "https://outlook.office365.com/.default" {
		t.Errorf("scope = %q, want https://outlook.office365.com/.default", f.lastForm["scope"])
	}
	bad := ClientCredentialsGrant(nil, f.issuer().TokenURL, Client{ID: "app", Secret: "wrong"}, Microsoft.AppScope)
	if _, err := bad(context.Background()); !sources.IsPermanent(err) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("ClientCredentialsGrant(bad secret) = %v, want a permanent error without the secret", err)
	}
}

func TestServiceAccountJWT(t *testing.T) {
	f := newFakeIssuer(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.saKey = &key.PublicKey
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyJSON, _ := json.Marshal(map[string]string{
		"type": "service_account", "client_email": "migrator@project.iam.gserviceaccount.com",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"private_key_id": "kid1", "token_uri": f.issuer().TokenURL,
	})
	path := filepath.Join(t.TempDir(), "sa.json")
	os.WriteFile(path, keyJSON, 0o600)
	sa, err := LoadServiceAccount(path)
	if err != nil {
		t.Fatalf("LoadServiceAccount() = %v", err)
	}
	tok, err := sa.Grant(nil, "alice@example.com", Google.Scopes...)(context.Background())
	if err != nil || tok.AccessToken == "" {
		t.Errorf("ServiceAccount.Grant() = %v, %v", tok, err)
	}
	os.WriteFile(path, []byte(`{"type":"authorized_user"}`), 0o600)
	if _, err := LoadServiceAccount(path); err == nil || !sources.IsPermanent(err) {
		t.Errorf("LoadServiceAccount(not a service account) = %v, want a permanent error", err)
	}
}

// checkJWT verifies an RS256 assertion for alice@example.com.
func (f *fakeIssuer) checkJWT(assertion string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%d parts, want 3", len(parts))
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(f.saKey, crypto.SHA256, sum[:], sig); err != nil {
		return err
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	json.Unmarshal(raw, &c)
	if c["sub"] != "alice@example.com" || c["scope"] != "https://mail.google.com/" || c["aud"] != f.srv.URL+"/token" {
		return fmt.Errorf("claims %v", c)
	}
	return nil
}

func TestFileAndCommandGrants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	os.WriteFile(path, []byte("file-token-1\n"), 0o600)
	s := NewSource("alice", FileGrant(path), SourceOptions{NoCache: true})
	if got, _ := s.Token(context.Background()); got != "file-token-1" {
		t.Errorf("Token(file) = %q, want file-token-1", got)
	}
	os.WriteFile(path, []byte("file-token-2"), 0o600)
	if got, _ := s.Token(context.Background()); got != "file-token-2" {
		t.Errorf("Token(file rewritten) = %q, want file-token-2 (re-read)", got)
	}
	c := NewSource("alice", CommandGrant("echo cmd-token", nil), SourceOptions{NoCache: true})
	if got, err := c.Token(context.Background()); got != "cmd-token" || err != nil {
		t.Errorf("Token(command) = %q, %v, want cmd-token", got, err)
	}
	bad := NewSource("alice", CommandGrant("echo leaked-secret; exit 3", nil), SourceOptions{NoCache: true})
	if _, err := bad.Token(context.Background()); err == nil || !sources.IsPermanent(err) || strings.Contains(err.Error(), "leaked-secret;") && strings.Contains(err.Error(), "output") {
		t.Errorf("Token(failing command) = %v, want a permanent error", err)
	}
}

func TestChooseMechanism(t *testing.T) {
	offers := func(list ...string) func(string) bool {
		return func(m string) bool {
			for _, l := range list {
				if l == m {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		forced string
		offer  []string
		want   string
	}{
		{"", []string{"XOAUTH2", "OAUTHBEARER"}, MechOAuthBearer},
		{"", []string{"XOAUTH2"}, MechXOAuth2},
		{"xoauth2", []string{"OAUTHBEARER"}, MechXOAuth2},
		{"", []string{"PLAIN"}, ""},
		{"plain", []string{"XOAUTH2"}, ""},
	}
	for _, tt := range tests {
		got, err := ChooseMechanism(tt.forced, offers(tt.offer...))
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("ChooseMechanism(%q, %v) = %q, %v, want %q", tt.forced, tt.offer, got, err, tt.want)
		}
	}
	user, token, ok := ParseXOAuth2(func() []byte { _, ir, _ := NewXOAuth2Client("a@b", "tok").Start(); return ir }())
	if !ok || user != "a@b" || token != "tok" {
		t.Errorf("ParseXOAuth2(XOAUTH2 client) = %q, %q, %v", user, token, ok)
	}
}
