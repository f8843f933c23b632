package imapconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/sources"
)

// Dial connects to cfg.Addr, secures the connection as cfg.TLS says,
// logs in and returns the logged-in connection.
//
// Errors that retrying cannot fix (login rejected, no STARTTLS, no
// usable authentication mechanism, a certificate the handshake refused)
// are wrapped with sources.Permanent; connection failures are returned
// plain (temporary).
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.Addr == "" {
		return nil, sources.Permanent(errors.New("imap: no server address given"))
	}
	tcp, err := dialTCP(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("imap %s: connect: %w", cfg.Addr, err)
	}
	c := &Conn{cfg: cfg, raw: newIdleConn(tcp, cfg.idleTimeout())}
	err = c.Do(ctx, func() error { return c.open(ctx) })
	if err != nil {
		if c.Client != nil {
			c.Client.Close()
		}
		c.raw.Close()
		return nil, err
	}
	return c, nil
}

func dialTCP(ctx context.Context, cfg Config) (net.Conn, error) {
	if cfg.DialContext != nil {
		return cfg.DialContext(ctx, "tcp", cfg.Addr)
	}
	d := net.Dialer{Timeout: cfg.idleTimeout()}
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	// Closing (or the process dying) resets the connection instead of
	// letting the kernel send what is still queued: an APPEND abandoned
	// mid-way, or whose process was killed, must not complete later on
	// its own, after a rerun has looked at the mailbox.
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return conn, nil
}

// open runs the TLS handshake, waits for the greeting and logs in. It
// runs under c.Do.
func (c *Conn) open(ctx context.Context) error {
	cfg := c.cfg
	opts := &imapclient.Options{TLSConfig: cfg.tlsConfig()}
	switch cfg.TLS {
	case Implicit:
		tc := opts.TLSConfig.Clone()
		if tc.NextProtos == nil {
			tc.NextProtos = []string{"imap"}
		}
		tlsConn := tls.Client(c.raw, tc)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return tlsError(cfg, err)
		}
		c.pc = newPauseConn(tlsConn, c.raw, nil)
	case StartTLS:
		tlsConn, greeting, err := c.startTLS(ctx, opts.TLSConfig)
		if err != nil {
			return err
		}
		c.pc = newPauseConn(tlsConn, c.raw, greeting)
	case None:
		c.pc = newPauseConn(c.raw, c.raw, nil)
	default:
		return sources.Permanent(fmt.Errorf("imap %s: unknown TLS mode %d", cfg.Addr, cfg.TLS))
	}
	c.Client = imapclient.New(c.pc, opts)
	if err := c.Client.WaitGreeting(); err != nil {
		return fmt.Errorf("imap %s: greeting: %w", cfg.Addr, err)
	}
	if c.Client.State() == imap.ConnStateNotAuthenticated {
		if err := c.login(ctx); err != nil {
			return err
		}
	}
	c.caps = c.Client.Caps()
	if c.caps == nil {
		return fmt.Errorf("imap %s: could not read the server's capabilities after login", cfg.Addr)
	}
	return nil
}

// tlsError classifies a handshake failure: certificate problems are
// permanent, everything else (resets, timeouts) temporary.
func tlsError(cfg Config, err error) error {
	var (
		certErr   *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
	)
	switch {
	case errors.As(err, &certErr):
		return sources.Permanent(fmt.Errorf("imap %s: TLS certificate rejected: %w", cfg.Addr, err))
	case errors.As(err, &recordErr):
		return sources.Permanent(fmt.Errorf("imap %s: server did not answer with TLS (%v); if it expects STARTTLS use imap:// (port 143)", cfg.Addr, err))
	case errors.As(err, &alertErr):
		return sources.Permanent(fmt.Errorf("imap %s: TLS handshake refused: %w", cfg.Addr, err))
	}
	return fmt.Errorf("imap %s: TLS handshake: %w", cfg.Addr, err)
}

// describe renders a server response for an error message: its text
// and, if present, its code.
func describe(ie *imap.Error) string {
	text := ie.Text
	if text == "" {
		text = string(ie.Type)
	}
	if ie.Code != "" {
		return fmt.Sprintf("%s (%s)", text, ie.Code)
	}
	return text
}
