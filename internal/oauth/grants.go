package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RefreshGrant returns a Grant that trades the stored login's refresh
// token for access tokens (RFC 6749 section 6). A new refresh token in
// the answer (Microsoft rotates them) is saved back to store at once, so
// a crash never leaves only a spent one on disk.
func RefreshGrant(hc *http.Client, store *Store, login *Login, client Client) Grant {
	l := *login
	return func(ctx context.Context) (*Token, error) {
		form := url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {l.RefreshToken},
			"client_id":     {firstNonEmpty(client.ID, l.ClientID)},
		}
		if client.Secret != "" {
			form.Set("client_secret", client.Secret)
		}
		t, err := postForm(ctx, hc, l.TokenURL, form)
		if err != nil {
			return nil, err
		}
		if t.RefreshToken != "" && t.RefreshToken != l.RefreshToken {
			l.RefreshToken = t.RefreshToken
			l.Updated = time.Now().UTC()
			if store != nil {
				if err := store.Save(&l); err != nil {
					return nil, err
				}
			}
		}
		return t, nil
	}
}

// ClientCredentialsGrant returns a Grant for application access
// (RFC 6749 section 4.4), e.g. Microsoft 365 with scope
// https://outlook.office365.com/.default at the tenant's token URL.
func ClientCredentialsGrant(hc *http.Client, tokenURL string, client Client, scopes ...string) Grant {
	return func(ctx context.Context) (*Token, error) {
		form := url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {client.ID},
			"client_secret": {client.Secret},
			"scope":         {strings.Join(scopes, " ")},
		}
		return postForm(ctx, hc, tokenURL, form)
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
