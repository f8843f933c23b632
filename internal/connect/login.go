package connect

import (
	"context"
	"strings"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/provider"
)

// Tokens is an OAuth access token source (*oauth.Source): Token is
// called on every (re)connection, Invalidate when a server refused a
// token.
type Tokens interface {
	Token(ctx context.Context) (string, error)
	Invalidate(token string)
}

// Login is how a network endpoint logs in.
type Login struct {
	// Password is the password, or with ?auth=xoauth2|oauthbearer and no
	// Tokens, a ready-made access token.
	Password string
	// Tokens, if set, supplies OAuth access tokens instead.
	Tokens Tokens
}

// hooks returns the Token and TokenRejected hooks of the adapters'
// configurations, or nils for a password login.
func (l Login) hooks(ep *endpoint.Endpoint) (func(context.Context) (string, error), func(string)) {
	if l.Tokens != nil {
		return l.Tokens.Token, l.Tokens.Invalidate
	}
	if a := strings.ToLower(ep.Auth); (a == "xoauth2" || a == "oauthbearer") && l.Password != "" {
		// A token given where the password goes: use it as is.
		tok := l.Password
		return func(context.Context) (string, error) { return tok, nil }, nil
	}
	return nil, nil
}

// Profile returns the provider profile an endpoint names, or nil.
func Profile(ep *endpoint.Endpoint) *provider.Profile {
	if ep == nil || ep.Provider == "" {
		return nil
	}
	p, err := provider.Lookup(ep.Provider)
	if err != nil {
		return nil
	}
	return p
}
