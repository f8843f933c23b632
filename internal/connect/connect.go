// Package connect turns parsed endpoints into sources and targets: it
// picks the adapter for the scheme and fills in its connection settings.
package connect

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/internal/target/imaptarget"
	"github.com/mailferry/mailferry/sources"
	imapsrc "github.com/mailferry/mailferry/sources/imap"
	"github.com/mailferry/mailferry/sources/maildir"
	"github.com/mailferry/mailferry/sources/mbox"
	"github.com/mailferry/mailferry/sources/pop3"
)

// SourceOptions tune how a source is opened.
type SourceOptions struct {
	Password string // ignored for local endpoints
	// Tokens, if set, logs in with OAuth access tokens instead of the
	// password.
	Tokens      Tokens
	Connections int // how many connections an IMAP source may read with at once
	// IndexDir is where mbox sources keep their scan indexes, so that a
	// rerun does not reread an unchanged file ("" disables them).
	IndexDir string
}

// Source returns a function that opens the source an endpoint names.
func Source(ep *endpoint.Endpoint, o SourceOptions) (func(ctx context.Context) (sources.Source, error), error) {
	password, connections := o.Password, o.Connections
	login := Login{Password: password, Tokens: o.Tokens}
	switch {
	case ep.IsIMAP():
		cfg, err := IMAPLogin(ep, login)
		if err != nil {
			return nil, err
		}
		opts := imapsrc.Options{Mailbox: ep.Mailbox, Connections: connections}
		return func(ctx context.Context) (sources.Source, error) {
			return imapsrc.NewSource(ctx, cfg, opts)
		}, nil
	case ep.IsPOP3():
		tlsConf, err := ep.TLSConfig()
		if err != nil {
			return nil, err
		}
		cfg := pop3.Config{
			Addr: ep.Addr(), Username: ep.User, Password: password,
			TLS: pop3.TLSMode(ep.TLS), TLSConfig: tlsConf, Auth: ep.Auth,
		}
		cfg.Token, cfg.TokenRejected = login.hooks(ep)
		cfg.IdleTimeout = IdleTimeout()
		return func(ctx context.Context) (sources.Source, error) {
			s, err := pop3.New(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return s, nil
		}, nil
	case ep.Scheme == endpoint.Mbox:
		return func(context.Context) (sources.Source, error) {
			s, err := mbox.New(ep.Path, mbox.Options{Format: ep.Format, IndexDir: o.IndexDir})
			if err != nil {
				return nil, sources.Permanent(err)
			}
			return s, nil
		}, nil
	case ep.Scheme == endpoint.Maildir:
		return func(context.Context) (sources.Source, error) {
			s, err := maildir.New(ep.Path, maildir.Options{Layout: maildir.Layout(ep.Layout)})
			if err != nil {
				return nil, sources.Permanent(err)
			}
			return s, nil
		}, nil
	}
	return nil, fmt.Errorf("%s: %s cannot be a source yet", ep, ep.Scheme)
}

// IMAPConfig returns the connection settings for an imap(s) endpoint
// logging in with a password.
func IMAPConfig(ep *endpoint.Endpoint, password string) (imapconn.Config, error) {
	return IMAPLogin(ep, Login{Password: password})
}

// IMAPLogin returns the connection settings for an imap(s) endpoint:
// TLS, the login, and the limits of the endpoint's provider profile.
func IMAPLogin(ep *endpoint.Endpoint, login Login) (imapconn.Config, error) {
	tlsConf, err := ep.TLSConfig()
	if err != nil {
		return imapconn.Config{}, err
	}
	cfg := imapconn.Config{
		Addr: ep.Addr(), Username: ep.User, Password: login.Password,
		TLS: imapconn.TLSMode(ep.TLS), TLSConfig: tlsConf, Auth: ep.Auth,
	}
	cfg.Token, cfg.TokenRejected = login.hooks(ep)
	cfg.IdleTimeout = IdleTimeout()
	if p := Profile(ep); p != nil {
		cfg.MaxMessageSize = p.MaxMessageSize
	}
	return cfg, nil
}

// Target returns a dialer for the target an endpoint names, logging in
// with a password.
func Target(ep *endpoint.Endpoint, password string) (target.Dialer, error) {
	return TargetLogin(ep, Login{Password: password})
}

// TargetLogin returns a dialer for the target an endpoint names.
func TargetLogin(ep *endpoint.Endpoint, login Login) (target.Dialer, error) {
	if ep.IsIMAP() {
		cfg, err := IMAPLogin(ep, login)
		if err != nil {
			return nil, err
		}
		return imaptarget.Dialer(cfg), nil
	}
	return nil, fmt.Errorf("%s: %s cannot be a migration target; use an imap:// or imaps:// URL (local copies are made with \"mailferry backup\")", ep, ep.Scheme)
}

// NeedsPassword reports whether the endpoint logs in to a server.
func NeedsPassword(ep *endpoint.Endpoint) bool { return !ep.IsLocal() }

// IdleTimeout is how long a server may stay silent while mailferry waits
// for it: MAILFERRY_IDLE_TIMEOUT (a Go duration such as "30s") if set,
// else 0, which means each protocol's default of two minutes.
func IdleTimeout() time.Duration {
	d, err := time.ParseDuration(os.Getenv("MAILFERRY_IDLE_TIMEOUT"))
	if err != nil || d < 0 {
		return 0
	}
	return d
}
