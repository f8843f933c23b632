package jobfile

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailferry/mailferry/internal/provider"
)

// OAuth says how one side of a job gets OAuth 2.0 access tokens instead
// of a password. At most one of TokenCmd, TokenFile, ServiceAccountKey
// and App may be set; with none, a login stored by "mailferry auth
// login" is used when the endpoint's provider (or ?auth=xoauth2) calls
// for OAuth.
type OAuth struct {
	// TokenCmd is a shell command (sh -c) printing an access token; it
	// runs on every connection.
	TokenCmd string
	// TokenFile is a file holding an access token, re-read on every
	// connection (another program keeps it fresh).
	TokenFile string
	// ServiceAccountKey is a Google service account JSON key file with
	// domain-wide delegation: tokens are issued for the endpoint's user.
	ServiceAccountKey string
	// App selects Microsoft 365 application access (client credentials
	// grant for the tenant of the user's domain); it needs ClientID and
	// a secret.
	App bool
	// ClientID is the registered application's id (else
	// MAILFERRY_OAUTH_CLIENT_ID, else the one stored at login).
	ClientID string
	// ClientSecretEnv names the environment variable holding the
	// application's secret (else MAILFERRY_OAUTH_CLIENT_SECRET).
	ClientSecretEnv string
}

// IsZero reports whether no OAuth key is set.
func (o OAuth) IsZero() bool { return o == OAuth{} }

// oauthSetters are the per-side OAuth and provider keys, registered in
// jobSetters as source_KEY and target_KEY.
var oauthSetters = map[string]func(l *loader, o *OAuth, v *yaml.Node) error{
	"token_cmd":               func(l *loader, o *OAuth, v *yaml.Node) error { return l.setStr(&o.TokenCmd, v) },
	"token_file":              func(l *loader, o *OAuth, v *yaml.Node) error { return l.setPath(&o.TokenFile, v) },
	"service_account_key":     func(l *loader, o *OAuth, v *yaml.Node) error { return l.setPath(&o.ServiceAccountKey, v) },
	"oauth_app":               func(l *loader, o *OAuth, v *yaml.Node) error { return setBool(&o.App, v) },
	"oauth_client_id":         func(l *loader, o *OAuth, v *yaml.Node) error { return l.setStr(&o.ClientID, v) },
	"oauth_client_secret_env": func(l *loader, o *OAuth, v *yaml.Node) error { return l.setStr(&o.ClientSecretEnv, v) },
}

func init() {
	for _, side := range []string{"source", "target"} {
		for key, set := range oauthSetters {
			jobSetters[side+"_"+key] = func(l *loader, j *Job, v *yaml.Node) error {
				return set(l, j.auth(side), v)
			}
		}
		jobSetters[side+"_provider"] = func(l *loader, j *Job, v *yaml.Node) error {
			p, err := provider.Lookup(scalar(v))
			if err != nil {
				return fmt.Errorf("want one of %s, got %s", strings.Join(provider.Names(), ", "), show(v))
			}
			*j.provider(side) = p.Name
			return nil
		}
	}
}

func (j *Job) auth(side string) *OAuth {
	if side == "source" {
		return &j.SourceAuth
	}
	return &j.TargetAuth
}

func (j *Job) provider(side string) *string {
	if side == "source" {
		return &j.sourceProvider
	}
	return &j.targetProvider
}

// checkOAuth reports conflicting OAuth keys of one side.
func (l *loader) checkOAuth(o OAuth, side, where string, line int) {
	var set []string
	if o.TokenCmd != "" {
		set = append(set, side+"_token_cmd")
	}
	if o.TokenFile != "" {
		set = append(set, side+"_token_file")
	}
	if o.ServiceAccountKey != "" {
		set = append(set, side+"_service_account_key")
	}
	if o.App {
		set = append(set, side+"_oauth_app")
	}
	if len(set) > 1 {
		l.errorf(line, "%s and %s both given %s; use only one", set[0], set[1], where)
	}
}

// withProvider adds ?provider=name to an endpoint written without one.
// An endpoint naming another provider is an error; local endpoints are
// left alone (a provider set in defaults applies to servers only).
func withProvider(raw, name string) (string, error) {
	scheme, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(raw)), ":")
	if name == "" || scheme == "mbox" || scheme == "maildir" {
		return raw, nil
	}
	_, query, _ := strings.Cut(raw, "?")
	for _, kv := range strings.Split(query, "&") {
		if k, v, _ := strings.Cut(kv, "="); k == "provider" {
			p, err := provider.Lookup(v)
			if err == nil && p.Name == name {
				return raw, nil
			}
			return "", fmt.Errorf("the URL says provider=%s but the job says %s", v, name)
		}
	}
	if query == "" && !strings.Contains(raw, "?") {
		return raw + "?provider=" + name, nil
	}
	return raw + "&provider=" + name, nil
}
