package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// Token is what a token endpoint grants.
type Token struct {
	AccessToken  string
	RefreshToken string        // "" when the grant gives none
	ExpiresIn    time.Duration // the access token's lifetime; 0 when the endpoint did not say
}

// Error is an OAuth 2.0 error answer of a token endpoint (RFC 6749
// section 5.2), e.g. Code "invalid_grant".
type Error struct {
	Endpoint    string // the token URL
	Status      int    // HTTP status
	Code        string // the "error" field
	Description string // the "error_description" field, may be ""
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("token endpoint %s refused the request: %s", e.Endpoint, e.Code)
	if e.Description != "" {
		msg += " (" + firstLine(e.Description) + ")"
	}
	return msg
}

// IsRevoked reports whether err says the refresh token or grant is no
// longer valid (invalid_grant): the user must log in again.
func IsRevoked(err error) bool {
	var oe *Error
	return errors.As(err, &oe) && oe.Code == "invalid_grant"
}

// maxResponse bounds what is read from a token endpoint.
const maxResponse = 1 << 20

// tokenResponse is the JSON answer of a token endpoint.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	ExpiresIn    json.RawMessage `json:"expires_in"` // a number, or a string at some providers
	Error        string          `json:"error"`
	Description  string          `json:"error_description"`
}

// postForm sends form to tokenURL and decodes the token in the answer.
// Client credentials, if any, are in form (client_id, client_secret).
func postForm(ctx context.Context, hc *http.Client, tokenURL string, form url.Values) (*Token, error) {
	var tr tokenResponse
	status, err := postJSON(ctx, hc, tokenURL, form, &tr)
	if err != nil {
		return nil, err
	}
	if tr.Error != "" || status != http.StatusOK {
		code := tr.Error
		if code == "" {
			code = fmt.Sprintf("HTTP status %d", status)
		}
		oe := &Error{Endpoint: tokenURL, Status: status, Code: code, Description: tr.Description}
		if status >= 500 || status == http.StatusTooManyRequests {
			return nil, oe // temporary: the engine retries the connection
		}
		return nil, sources.Permanent(oe)
	}
	if tr.AccessToken == "" {
		return nil, fmt.Errorf("token endpoint %s answered without an access_token", tokenURL)
	}
	t := &Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken}
	t.ExpiresIn = time.Duration(parseSeconds(tr.ExpiresIn)) * time.Second
	return t, nil
}

// postJSON POSTs form and decodes a JSON answer (of any status) into v.
func postJSON(ctx context.Context, hc *http.Client, endpoint string, form url.Values, v any) (int, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("oauth endpoint %q: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("oauth endpoint %s: %w", endpoint, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, fmt.Errorf("oauth endpoint %s: reading the answer: %w", endpoint, err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err := json.Unmarshal(body, v); err != nil {
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil // a plain error page: the status says enough
		}
		return 0, fmt.Errorf("oauth endpoint %s: answer is not JSON (%s): %w", endpoint, mt, err)
	}
	return resp.StatusCode, nil
}

// redactURLError drops the request URL's query from an *url.Error, which
// never holds secrets here (they travel in the body) but keeps messages
// short.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func parseSeconds(raw json.RawMessage) int64 {
	s := strings.Trim(string(raw), `"`)
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
		if n > 10*365*24*3600 {
			return 0
		}
	}
	return n
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
