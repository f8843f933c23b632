package pop3

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/mailferry/mailferry/sources"
)

// login authenticates with the method cfg.Auth asks for.
func (c *Client) login(ctx context.Context) error {
	method := strings.ToLower(c.cfg.Auth)
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
	case "xoauth2":
		if c.cfg.Token == nil {
			return sources.Permanent(errors.New("pop3: auth xoauth2 needs an access token source"))
		}
		token, terr := c.cfg.Token(ctx)
		if terr != nil {
			return fmt.Errorf("pop3: get oauth2 token for %s: %w", c.cfg.Username, terr)
		}
		err = c.authenticate(ctx, xoauth2{user: c.cfg.Username, token: token})
	default:
		return sources.Permanent(fmt.Errorf("pop3: unknown auth method %q, want plain, user or xoauth2", c.cfg.Auth))
	}
	return c.loginError(err)
}

// loginError turns a refused login into the error to report: permanent,
// unless the server says the refusal is temporary (RFC 2449/3206 codes
// IN-USE, LOGIN-DELAY, SYS/TEMP). The password is scrubbed from the
// server's text in case it echoes it.
func (c *Client) loginError(err error) error {
	var perr *Error
	if !errors.As(err, &perr) {
		return err
	}
	text := perr.Text
	if c.cfg.Password != "" {
		text = strings.ReplaceAll(text, c.cfg.Password, "********")
	}
	switch perr.Code {
	case "IN-USE", "LOGIN-DELAY", "SYS/TEMP":
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

// xoauth2 is the SASL XOAUTH2 mechanism used by Gmail and Outlook.
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response, after
// which the server sends -ERR.
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }
