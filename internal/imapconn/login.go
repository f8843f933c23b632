package imapconn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"

	"github.com/mailferry/mailferry/sources"
)

// login authenticates with the first usable mechanism: an OAuth token
// (OAUTHBEARER, then XOAUTH2) when cfg.Token is set, otherwise
// AUTHENTICATE PLAIN when advertised, otherwise LOGIN.
func (c *Conn) login(ctx context.Context) error {
	cfg := c.cfg
	caps := c.Client.Caps()
	if caps == nil {
		return fmt.Errorf("imap %s: could not read the server's capabilities", cfg.Addr)
	}
	var err error
	switch {
	case cfg.Token != nil:
		token, terr := cfg.Token(ctx)
		if terr != nil {
			return fmt.Errorf("imap %s: getting an OAuth token for %s: %w", cfg.Addr, cfg.Username, terr)
		}
		switch {
		case caps.Has(imap.Cap("AUTH=OAUTHBEARER")):
			err = c.Client.Authenticate(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: cfg.Username, Token: token}))
		case caps.Has(imap.Cap("AUTH=XOAUTH2")):
			err = c.Client.Authenticate(&xoauth2Client{username: cfg.Username, token: token})
		default:
			return sources.Permanent(fmt.Errorf("imap %s: server offers neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2; use a password instead of OAuth", cfg.Addr))
		}
		err = redact(err, token)
	case caps.Has(imap.Cap("AUTH=PLAIN")):
		err = c.Client.Authenticate(sasl.NewPlainClient("", cfg.Username, cfg.Password))
	case caps.Has(imap.CapLoginDisabled):
		return sources.Permanent(fmt.Errorf("imap %s: server disables LOGIN and offers no AUTH=PLAIN; if it expects STARTTLS use imap:// with STARTTLS instead of ?tls=none", cfg.Addr))
	default:
		err = c.Client.Login(cfg.Username, cfg.Password).Wait()
	}
	if err == nil {
		return nil
	}
	err = redact(err, cfg.Password)
	var ie *imap.Error
	if errors.As(err, &ie) && Classify(err) != Temporary {
		return sources.Permanent(fmt.Errorf("imap login rejected for %s: %s", cfg.account(), describe(ie)))
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

// xoauth2Client is the SASL XOAUTH2 mechanism used by Gmail and
// Microsoft 365 (go-sasl only has OAUTHBEARER).
type xoauth2Client struct {
	username, token string
}

func (x *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.username + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers an error challenge with an empty response, as the
// mechanism requires; the server then fails the command with its text.
func (x *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	return []byte{}, nil
}
