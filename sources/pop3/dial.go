package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/mailferry/mailferry/sources"
)

// Client is one logged-in POP3 session. It is used by one goroutine at a
// time. After a network error, a timeout or a cancelled context the
// connection is unusable and every further call fails; dial again.
type Client struct {
	cfg  Config
	host string
	idle *idleConn // the TCP connection, beneath any TLS layer
	conn net.Conn  // what we speak POP3 over (idle or a *tls.Conn on it)
	br   *bufio.Reader
	bw   *bufio.Writer
	caps Capabilities

	busy bool  // a multi-line response reader is open
	err  error // why the connection is unusable
}

// Dial connects to cfg.Addr, reads the greeting, sets up TLS as cfg.TLS
// says, and logs in. Errors retrying cannot fix (login rejected, STLS not
// offered, untrusted certificate, bad configuration) are
// sources.Permanent.
//
// With cfg.Token, a token the server refuses is reported to
// cfg.TokenRejected and the login is tried once more, on a new
// connection, with a fresh token.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := dialOnce(ctx, cfg)
	var tr *tokenRefused
	if errors.As(err, &tr) {
		c, err = dialOnce(ctx, cfg)
	}
	if errors.As(err, &tr) {
		return nil, sources.Permanent(fmt.Errorf("%w; the oauth token was refused even after a refresh: check that POP3 is enabled for the account and the app was granted the POP scope, or run mailferry auth login again", tr.err))
	}
	return c, err
}

func dialOnce(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, sources.Permanent(fmt.Errorf("pop3: bad server address %q, want host:port: %w", cfg.Addr, err))
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("pop3: connect to %s: %w", cfg.Addr, err)
	}
	c := &Client{cfg: cfg, host: host, idle: &idleConn{Conn: raw, idle: cfg.IdleTimeout}}
	c.setConn(c.idle)
	if err := c.open(ctx); err != nil {
		c.fail(err)
		return nil, err
	}
	return c, nil
}

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, readBufferSize)
	c.bw = bufio.NewWriter(conn)
}

// open runs the session setup: TLS, greeting, CAPA, STLS, login.
func (c *Client) open(ctx context.Context) error {
	if c.cfg.TLS == TLSImplicit {
		if err := c.handshake(ctx); err != nil {
			return err
		}
	}
	end, err := c.begin(ctx, "greeting")
	if err != nil {
		return err
	}
	_, err = c.status(ctx, "greeting")
	end()
	if err != nil {
		return err
	}
	c.caps, _ = c.Capa(ctx) // servers without CAPA answer -ERR
	if c.err != nil {
		return c.err
	}
	switch c.cfg.TLS {
	case TLSImplicit, TLSNone:
	case TLSStartTLS:
		if err := c.startTLS(ctx); err != nil {
			return err
		}
	default:
		return sources.Permanent(fmt.Errorf("pop3: unknown TLS mode %d", c.cfg.TLS))
	}
	return c.login(ctx)
}

// startTLS upgrades the connection with STLS, refusing servers that do
// not offer it: we never fall back to sending the password in clear text.
func (c *Client) startTLS(ctx context.Context) error {
	if !c.caps.Has("STLS") {
		return sources.Permanent(fmt.Errorf("pop3: server %s does not offer STLS, refusing to log in without TLS "+
			"(hint: use pop3s:// if the server speaks TLS on another port, or ?tls=none to allow clear text)", c.cfg.Addr))
	}
	if _, err := c.cmd(ctx, "STLS", "STLS"); err != nil {
		return err
	}
	if err := c.handshake(ctx); err != nil {
		return err
	}
	// RFC 2595: capabilities may change after STLS.
	c.caps, _ = c.Capa(ctx)
	return c.err
}

// handshake wraps the connection in TLS.
func (c *Client) handshake(ctx context.Context) error {
	cfg := &tls.Config{}
	if c.cfg.TLSConfig != nil {
		cfg = c.cfg.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.host
	}
	tc := tls.Client(c.idle, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		err = fmt.Errorf("pop3: tls handshake with %s: %w", c.cfg.Addr, err)
		var verr *tls.CertificateVerificationError
		if errors.As(err, &verr) {
			err = sources.Permanent(err)
		}
		return err
	}
	c.setConn(tc)
	return nil
}

// Capabilities are the server's CAPA answer: upper-case capability name
// to its arguments, e.g. "SASL" -> ["PLAIN", "LOGIN"].
type Capabilities map[string][]string

// Has reports whether the server announced capability name.
func (cs Capabilities) Has(name string) bool {
	_, ok := cs[strings.ToUpper(name)]
	return ok
}

// SASL reports whether the server announced SASL mechanism mech.
func (cs Capabilities) SASL(mech string) bool {
	for _, m := range cs["SASL"] {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// Capabilities returns what the server announced in its last CAPA answer
// (empty if it does not support CAPA).
func (c *Client) Capabilities() Capabilities { return c.caps }

// Capa asks the server for its capabilities (RFC 2449).
func (c *Client) Capa(ctx context.Context) (Capabilities, error) {
	caps := Capabilities{}
	err := c.multiLine(ctx, "CAPA", "CAPA", func(line []byte) error {
		f := strings.Fields(string(line))
		if len(f) > 0 {
			caps[strings.ToUpper(f[0])] = f[1:]
		}
		return nil
	})
	if err != nil {
		return Capabilities{}, err
	}
	return caps, nil
}

// multiLine sends a command whose +OK answer is followed by a listing.
func (c *Client) multiLine(ctx context.Context, verb, line string, fn func([]byte) error) error {
	end, err := c.begin(ctx, verb)
	if err != nil {
		return err
	}
	defer end()
	if err := c.send(ctx, verb, line); err != nil {
		return err
	}
	if _, err := c.status(ctx, verb); err != nil {
		return err
	}
	return c.readListing(ctx, verb, fn)
}
