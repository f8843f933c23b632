package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// BrowserLogin runs the authorization code grant with PKCE and a
// loopback redirect (RFC 8252), the flow Google allows for desktop
// apps: it listens on 127.0.0.1 at a random port, calls show with the
// URL the person must open, waits for the browser to come back with a
// code and trades the code for tokens. loginHint pre-fills the account.
func BrowserLogin(ctx context.Context, hc *http.Client, is Issuer, client Client, loginHint string, show func(authURL string)) (*Token, error) {
	if is.AuthURL == "" {
		return nil, fmt.Errorf("%s does not offer the browser flow here; use the device code flow", is.Name)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the browser's redirect: %w", err)
	}
	defer ln.Close()
	redirect := "http://" + ln.Addr().String() + "/"
	state, verifier := randomString(), randomString()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {client.ID},
		"redirect_uri":          {redirect},
		"scope":                 {strings.Join(is.Scopes, " ")},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"access_type":           {"offline"}, // Google: return a refresh token
		"prompt":                {"consent"}, // ... every time, not only on first consent
	}
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	sep := "?"
	if strings.Contains(is.AuthURL, "?") {
		sep = "&"
	}

	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query()
		if r.URL.Path != "/" || (v.Get("code") == "" && v.Get("error") == "") {
			http.NotFound(w, r)
			return
		}
		var res result
		switch {
		case v.Get("state") != state:
			res.err = errors.New("the browser came back with a wrong state parameter; run the command again")
		case v.Get("error") != "":
			res.err = sources.Permanent(fmt.Errorf("the login was refused in the browser: %s", firstLine(v.Get("error"))))
		default:
			res.code = v.Get("code")
		}
		msg := "mailferry: login complete, you may close this window."
		if res.err != nil {
			msg = "mailferry: login failed: " + res.err.Error()
		}
		fmt.Fprintf(w, "<!doctype html><title>mailferry</title><p>%s</p>\n", html.EscapeString(msg))
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	show(is.AuthURL + sep + q.Encode())
	var res result
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res = <-got:
	}
	if res.err != nil {
		return nil, res.err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {res.code},
		"redirect_uri":  {redirect},
		"client_id":     {client.ID},
		"code_verifier": {verifier},
	}
	if client.Secret != "" {
		form.Set("client_secret", client.Secret)
	}
	return postForm(ctx, hc, is.TokenURL, form)
}

// randomString returns 32 random bytes, base64url-encoded (43
// characters, a valid PKCE verifier).
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
