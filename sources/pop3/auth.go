package pop3

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailferry/mailferry/internal/oauth"
	"github.com/mailferry/mailferry/sources"
)

// login authenticates with the method cfg.Auth asks for, or chooses one
// from the server's capabilities.
func (c *Client) login(ctx context.Context) error {
	method := strings.ToLower(c.cfg.Auth)
	if c.cfg.Token != nil && (method == "" || method == "xoauth2" || method == "oauthbearer") {
		return c.tokenLogin(ctx, method)
	}
	if method == "" {
		method = "user"
		if c.caps.SASL("PLAIN") {
			method = "plain"
		}
	}
	var err error
	switch method {
	case "user":
		if _, err = c.cmd(ctx, "USER", "USER "+c.cfg.Username); err == nil {
			_, err = c.cmd(ctx, "PASS", "PASS "+c.cfg.Password)
		}
	case "plain":
		err = c.authenticate(ctx, sasl.NewPlainClient("", c.cfg.Username, c.cfg.Password))
	case "xoauth2", "oauthbearer":
		return sources.Permanent(fmt.Errorf("pop3: auth %s needs an access token source", method))
	default:
		return sources.Permanent(fmt.Errorf("pop3: unknown auth method %q, want plain, user, xoauth2 or oauthbearer", c.cfg.Auth))
	}
	return c.loginError(err)
}

// tokenLogin logs in with an OAuth access token. A refused token is
// reported to cfg.TokenRejected; the error is then temporary, so that
// the caller (Dial's retry, or the engine) reconnects with a fresh one.
func (c *Client) tokenLogin(ctx context.Context, forced string) error {
	mech, err := oauth.ChooseMechanism(forced, c.caps.SASL)
	if err != nil {
		return sources.Permanent(fmt.Errorf("pop3 %s: %w", c.cfg.Addr, err))
	}
	token, err := c.cfg.Token(ctx)
	if err != nil {
		if sources.IsPermanent(err) {
			return sources.Permanent(fmt.Errorf("pop3 %s: %w", c.cfg.Addr, err))
		}
		return fmt.Errorf("pop3 %s: %w", c.cfg.Addr, err)
	}
	host, port := c.host, 0
	err = c.authenticate(ctx, oauth.NewSASLClient(mech, c.cfg.Username, token, host, port))
	if err == nil {
		return nil
	}
	var perr *Error
	if errors.As(err, &perr) && c.cfg.TokenRejected != nil && loginTemporary(perr.Code) == "" && !throttled(perr.Text) {
		c.cfg.TokenRejected(token)
		return &tokenRefused{err: c.loginError(err, token), mech: mech}
	}
	return c.loginError(err, token)
}

// tokenRefused is a token login the server refused; Dial retries it
// once with a fresh token.
type tokenRefused struct {
	err  error
	mech string
}

func (e *tokenRefused) Error() string { return e.err.Error() }
func (e *tokenRefused) Unwrap() error { return e.err }

// loginTemporary returns the response code if it marks a refusal as
// temporary (RFC 2449/3206), else "".
func loginTemporary(code string) string {
	switch code {
	case "IN-USE", "LOGIN-DELAY", "SYS/TEMP":
		return code
	}
	return ""
}

// loginError turns a refused login into the error to report: permanent,
// unless the server says the refusal is temporary (RFC 2449/3206 codes
// IN-USE, LOGIN-DELAY, SYS/TEMP). The password is scrubbed from the
// server's text in case it echoes it.
func (c *Client) loginError(err error, token ...string) error {
	var perr *Error
	if !errors.As(err, &perr) {
		return err
	}
	text := perr.Text
	if c.cfg.Password != "" {
		text = strings.ReplaceAll(text, c.cfg.Password, "********")
	}
	for _, t := range token {
		if t != "" {
			text = strings.ReplaceAll(text, t, "********")
		}
	}
	if loginTemporary(perr.Code) != "" || throttled(text) {
		return fmt.Errorf("pop3 login for %s refused for now, retry later: %s", c.cfg.Username, text)
	}
	return sources.Permanent(fmt.Errorf("pop3 login rejected for %s: %s", c.cfg.Username, text))
}

// maxAuthLine is the longest AUTH command RFC 5034 allows with an
// initial response (255 octets including CRLF).
const maxAuthLine = 253

// authenticate runs an RFC 5034 AUTH exchange.
func (c *Client) authenticate(ctx context.Context, sc sasl.Client) error {
	mech, ir, err := sc.Start()
	if err != nil {
		return fmt.Errorf("pop3 auth: %w", err)
	}
	end, err := c.begin(ctx, "AUTH")
	if err != nil {
		return err
	}
	defer end()
	line := "AUTH " + mech
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		if len(line)+1+len(enc) <= maxAuthLine {
			line += " " + enc
			ir = nil
		}
	}
	if err := c.send(ctx, "AUTH", line); err != nil {
		return err
	}
	for {
		l, err := readLine(c.br)
		if err != nil {
			return c.ioError(ctx, "AUTH", err)
		}
		if !bytes.Equal(l, []byte("+")) && !bytes.HasPrefix(l, []byte("+ ")) {
			_, err := c.statusOf("AUTH", l)
			return err
		}
		resp := ir
		ir = nil
		if resp == nil {
			chal, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(l[1:])))
			if derr == nil {
				resp, derr = sc.Next(chal)
			}
			if derr != nil {
				// Cancel the exchange; the server answers -ERR.
				if err := c.send(ctx, "AUTH", "*"); err != nil {
					return err
				}
				c.status(ctx, "AUTH")
				return fmt.Errorf("pop3 auth %s: %w", mech, derr)
			}
		}
		if err := c.send(ctx, "AUTH", base64.StdEncoding.EncodeToString(resp)); err != nil {
			return err
		}
	}
}

// throttled reports whether a -ERR text without a temporary response
// code still asks to come back later, as providers' texts do ("Too many
// simultaneous connections", "Request is throttled").
func throttled(text string) bool {
	t := strings.ToLower(text)
	for _, s := range []string{"too many simultaneous", "too many connections", "throttl", "try again later", "temporarily unavailable"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}
