package oauth

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeIssuer is an in-process OAuth 2.0 server: token, device and
// authorization endpoints.
type fakeIssuer struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	issued    int
	refresh   string // the currently valid refresh token
	revoked   bool   // refresh answers invalid_grant
	rotate    bool   // every refresh issues a new refresh token
	expiresIn int
	pending   int    // device polls answered authorization_pending
	challenge string // PKCE challenge of the last authorization
	saKey     *rsa.PublicKey
	lastForm  map[string]string
}

func newFakeIssuer(t *testing.T) *fakeIssuer {
	f := &fakeIssuer{t: t, refresh: "refresh-1", expiresIn: 3600}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) issuer() Issuer {
	return Issuer{Name: "fake", AuthURL: f.srv.URL + "/auth", DeviceURL: f.srv.URL + "/device",
		TokenURL: f.srv.URL + "/token", Scopes: []string{"mail"}}
}

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastForm = map[string]string{}
	for k := range r.PostForm {
		f.lastForm[k] = r.PostForm.Get(k)
	}
	switch r.URL.Path {
	case "/device":
		writeJSON(w, 200, map[string]any{"device_code": "dev-1", "user_code": "ABCD-EFGH",
			"verification_uri": "https://example.test/devicelogin", "expires_in": 900, "interval": 1})
		return
	case "/token":
	default:
		http.NotFound(w, r)
		return
	}
	fail := func(code string) {
		writeJSON(w, 400, map[string]string{"error": code, "error_description": "fake says " + code})
	}
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		if f.revoked || r.PostForm.Get("refresh_token") != f.refresh {
			fail("invalid_grant")
			return
		}
	case "urn:ietf:params:oauth:grant-type:device_code":
		if f.pending > 0 {
			f.pending--
			fail("authorization_pending")
			return
		}
	case "authorization_code":
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "code-1" || base64.RawURLEncoding.EncodeToString(sum[:]) != f.challenge {
			fail("invalid_grant")
			return
		}
	case "client_credentials":
		if r.PostForm.Get("client_secret") != "app-secret" {
			fail("invalid_client")
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if err := f.checkJWT(r.PostForm.Get("assertion")); err != nil {
			f.t.Errorf("JWT assertion: %v", err)
			fail("invalid_grant")
			return
		}
	default:
		fail("unsupported_grant_type")
		return
	}
	f.issued++
	resp := map[string]any{"access_token": fmt.Sprintf("access-%d", f.issued), "token_type": "Bearer", "expires_in": f.expiresIn}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" && !strings.Contains(gt, "jwt") {
		if f.rotate || gt != "refresh_token" {
			f.refresh = fmt.Sprintf("refresh-%d", f.issued+1)
		}
		resp["refresh_token"] = f.refresh
	}
	writeJSON(w, 200, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func newServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
