package runner

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/connect"
	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/oauth"
	"github.com/mailferry/mailferry/migrate"
)

// Environment variables with the registered application's credentials,
// used when a job does not name them.
const (
	EnvClientID     = "MAILFERRY_OAUTH_CLIENT_ID"
	EnvClientSecret = "MAILFERRY_OAUTH_CLIENT_SECRET"
)

// oauthDir returns where "mailferry auth login" keeps its logins: beside
// the state database.
func (e Env) oauthDir() string {
	if e.OAuthDir != "" {
		return e.OAuthDir
	}
	if e.IndexDir != "" {
		return filepath.Join(filepath.Dir(e.IndexDir), "oauth")
	}
	if p, err := jobfile.DefaultStatePath(); err == nil {
		return oauth.DefaultStoreDir(p)
	}
	return ""
}

// Tokens returns the OAuth token source for one side of a job, or nil
// when that side logs in with a password. In order: a token file, a
// token command, a Google service account, Microsoft 365 application
// access, or a login stored by "mailferry auth login" when the endpoint
// asks for OAuth (?auth=xoauth2|oauthbearer, or a provider whose
// servers take no passwords) or such a login exists.
func Tokens(ep *endpoint.Endpoint, a jobfile.OAuth, env Env) (*oauth.Source, error) {
	if ep.IsLocal() {
		return nil, nil
	}
	hc := env.HTTPClient
	account := ep.User
	client := oauth.Client{ID: firstSet(a.ClientID, os.Getenv(EnvClientID))}
	secretEnv := firstSet(a.ClientSecretEnv, EnvClientSecret)
	client.Secret = os.Getenv(secretEnv)
	stderr := env.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	switch {
	case a.TokenFile != "":
		return oauth.NewSource(account, oauth.FileGrant(a.TokenFile), oauth.SourceOptions{NoCache: true}), nil
	case a.TokenCmd != "":
		return oauth.NewSource(account, oauth.CommandGrant(a.TokenCmd, stderr), oauth.SourceOptions{NoCache: true}), nil
	case a.ServiceAccountKey != "":
		sa, err := oauth.LoadServiceAccount(a.ServiceAccountKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ep, err)
		}
		return oauth.NewSource(account, sa.Grant(hc, ep.User, oauth.Google.Scopes...), oauth.SourceOptions{
			Relogin: "check that the service account's client id has domain-wide delegation for https://mail.google.com/ in the Workspace admin console",
		}), nil
	case a.App:
		_, domain, ok := strings.Cut(ep.User, "@")
		if !ok || domain == "" {
			return nil, fmt.Errorf("%s: application access needs the user's full address (user@domain) to find the tenant", ep)
		}
		if client.ID == "" || client.Secret == "" {
			return nil, fmt.Errorf("%s: application access needs the application's client id (oauth_client_id or %s) and secret (in $%s)", ep, EnvClientID, secretEnv)
		}
		tokenURL := oauth.MicrosoftTenantTokenURL(domain)
		if env.TokenURL != nil {
			tokenURL = env.TokenURL("microsoft-app")
		}
		return oauth.NewSource(account, oauth.ClientCredentialsGrant(hc, tokenURL, client, oauth.Microsoft.AppScope), oauth.SourceOptions{
			Relogin: "check the application's secret and that it was granted IMAP.AccessAsApp / POP.AccessAsApp with a service principal for the mailbox",
		}), nil
	}
	return storedLogin(ep, client, env)
}

// storedLogin returns a Source refreshing the login "mailferry auth
// login" stored for the endpoint's user, nil if the endpoint logs in
// with a password.
func storedLogin(ep *endpoint.Endpoint, client oauth.Client, env Env) (*oauth.Source, error) {
	wantsOAuth := ep.Auth == "xoauth2" || ep.Auth == "oauthbearer"
	issuer := ""
	if p := connect.Profile(ep); p != nil {
		issuer = p.OAuth
		wantsOAuth = wantsOAuth || (issuer != "" && !p.Passwords)
	}
	if issuer == "" && !wantsOAuth {
		return nil, nil
	}
	store := &oauth.Store{Dir: env.oauthDir()}
	var login *oauth.Login
	var err error
	for _, is := range issuers(issuer) {
		if login, err = store.Load(is, ep.User); err == nil {
			break
		}
	}
	if err != nil {
		if errors.Is(err, oauth.ErrNoLogin) && !wantsOAuth {
			return nil, nil // a password (an app password) it is
		}
		if errors.Is(err, oauth.ErrNoLogin) && issuer == "" {
			return nil, nil // ?auth=xoauth2 with the token as the "password"
		}
		return nil, fmt.Errorf("%s: %w; run: mailferry auth login --provider %s --user %s", ep, err, issuer, ep.User)
	}
	if client.Secret == "" {
		client.Secret = login.ClientSecret
	}
	relogin := fmt.Sprintf("run: mailferry auth login --provider %s --user %s", login.Issuer, ep.User)
	return oauth.NewSource(ep.User, oauth.RefreshGrant(env.HTTPClient, store, login, client), oauth.SourceOptions{Relogin: relogin}), nil
}

// issuers lists the issuers whose stored logins may serve an endpoint.
func issuers(issuer string) []string {
	if issuer != "" {
		return []string{issuer}
	}
	return []string{oauth.Google.Name, oauth.Microsoft.Name}
}

// applyProfiles limits a job's options by the providers of its
// endpoints: no more connections than the stricter provider allows, and
// the longer first backoff.
func applyProfiles(o *migrate.Options, eps ...*endpoint.Endpoint) {
	for _, ep := range eps {
		p := connect.Profile(ep)
		if p == nil {
			continue
		}
		if o.Connections > 0 {
			o.Connections = p.CapConnections(o.Connections)
		}
		if p.Backoff > o.Backoff {
			o.Backoff = p.Backoff
		}
	}
}

func firstSet(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// httpTimeout bounds a token request when Env gives no client.
const httpTimeout = 30 * time.Second

func defaultHTTPClient() *http.Client { return &http.Client{Timeout: httpTimeout} }
