package imapconn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"

	"github.com/mailferry/mailferry/internal/oauth"
	"github.com/mailferry/mailferry/sources"
)

// login authenticates with the first usable mechanism: an OAuth token
// (OAUTHBEARER, then XOAUTH2, or the one cfg.Auth forces) when
// cfg.Token is set, otherwise AUTHENTICATE PLAIN when advertised,
// otherwise LOGIN.
func (c *Conn) login(ctx context.Context) error {
	cfg := c.cfg
	caps := c.Client.Caps()
	if caps == nil {
		return fmt.Errorf("imap %s: could not read the server's capabilities", cfg.Addr)
	}
	if cfg.Token != nil {
		return c.tokenLogin(ctx, caps)
	}
	var err error
	switch {
	case strings.EqualFold(cfg.Auth, "login"):
		err = c.Client.Login(cfg.Username, cfg.Password).Wait()
	case caps.Has(imap.Cap("AUTH=PLAIN")) || strings.EqualFold(cfg.Auth, "plain"):
		err = c.Client.Authenticate(sasl.NewPlainClient("", cfg.Username, cfg.Password))
	case caps.Has(imap.CapLoginDisabled):
		return sources.Permanent(fmt.Errorf("imap %s: server disables LOGIN and offers no AUTH=PLAIN; if it expects STARTTLS use imap:// with STARTTLS instead of ?tls=none", cfg.Addr))
	default:
		err = c.Client.Login(cfg.Username, cfg.Password).Wait()
	}
	if err == nil {
		return nil
	}
	return c.loginError(redact(err, cfg.Password), "")
}

// tokenLogin logs in with an OAuth access token. A token the server
// refuses is reported to cfg.TokenRejected and the login is tried once
// more with a fresh token: an access token may expire or be revoked
// before the time it was issued for.
func (c *Conn) tokenLogin(ctx context.Context, caps imap.CapSet) error {
	cfg := c.cfg
	mech, err := oauth.ChooseMechanism(cfg.Auth, func(m string) bool { return caps.Has(imap.Cap("AUTH=" + m)) })
	if err != nil {
		return sources.Permanent(fmt.Errorf("imap %s: %w", cfg.Addr, err))
	}
	for attempt := 1; ; attempt++ {
		token, err := cfg.Token(ctx)
		if err != nil {
			if sources.IsPermanent(err) {
				return sources.Permanent(fmt.Errorf("imap %s: %w", cfg.Addr, err))
			}
			return fmt.Errorf("imap %s: %w", cfg.Addr, err)
		}
		err = c.Client.Authenticate(oauth.NewSASLClient(mech, cfg.Username, token, "", 0))
		if err == nil {
			return nil
		}
		err = redact(err, token)
		var ie *imap.Error
		if !errors.As(err, &ie) {
			// The connection failed: the engine reconnects, and the
			// token may have been the reason.
			if cfg.TokenRejected != nil {
				cfg.TokenRejected(token)
			}
			return fmt.Errorf("imap login for %s failed: %w", cfg.account(), err)
		}
		if Classify(err) == Temporary {
			return fmt.Errorf("imap login for %s failed: %w", cfg.account(), err)
		}
		if cfg.TokenRejected == nil || attempt > 1 {
			return c.loginError(err, mech)
		}
		cfg.TokenRejected(token)
	}
}

// loginError turns a refused login into the error to report.
func (c *Conn) loginError(err error, mech string) error {
	cfg := c.cfg
	var ie *imap.Error
	if errors.As(err, &ie) && Classify(err) != Temporary {
		what := "imap login rejected"
		if mech != "" {
			what = "imap " + mech + " login rejected"
		}
		msg := fmt.Sprintf("%s for %s: %s", what, cfg.account(), describe(ie))
		if mech != "" {
			msg += "; the oauth token was refused even after a refresh: check that IMAP is enabled for the account and the app was granted the mail scope, or run mailferry auth login again"
		}
		return sources.Permanent(errors.New(msg))
	}
	return fmt.Errorf("imap login for %s failed: %w", cfg.account(), err)
}

// redact replaces a secret echoed in a server response with "***".
func redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		if strings.Contains(ie.Text, secret) {
			cp := *ie
			cp.Text = strings.ReplaceAll(cp.Text, secret, "***")
			return &cp
		}
		return err
	}
	if strings.Contains(err.Error(), secret) {
		return errors.New(strings.ReplaceAll(err.Error(), secret, "***"))
	}
	return err
}
