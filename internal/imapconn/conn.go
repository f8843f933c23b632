package imapconn

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// logoutTimeout bounds the LOGOUT that Close sends.
const logoutTimeout = 10 * time.Second

// Conn is a logged-in IMAP connection. The embedded go-imap client is
// used directly for commands; every command must run inside Do (or
// between Begin and End) so that the idle watchdog covers it.
//
// A Conn is used by one goroutine at a time.
type Conn struct {
	*imapclient.Client

	cfg  Config
	raw  *idleConn
	pc   *pauseConn // what go-imap reads and writes; see Raw
	caps imap.CapSet
}

// Caps returns the capabilities the server advertised after login.
func (c *Conn) Caps() imap.CapSet { return c.caps }

// Config returns the configuration the connection was dialed with.
func (c *Conn) Config() Config { return c.cfg }

// Begin marks an operation as outstanding: from now until End the
// connection is closed if no byte moves for the idle timeout. Prefer Do.
func (c *Conn) Begin() { c.raw.begin() }

// End marks the operation started by Begin as finished.
func (c *Conn) End() { c.raw.end() }

// Do runs fn, which issues IMAP commands on c and waits for their
// results, under the idle watchdog. If ctx is cancelled meanwhile the
// connection is closed, which makes fn's commands fail. When the
// connection was closed by the watchdog or by ctx, the returned error
// says so (and wraps ctx.Err() or an *IdleTimeoutError) instead of
// reporting go-imap's "use of closed network connection".
func (c *Conn) Do(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.raw.isClosed() {
		return c.closedError()
	}
	c.raw.begin()
	stop := context.AfterFunc(ctx, func() {
		c.raw.abort(fmt.Errorf("operation cancelled: %w", context.Cause(ctx)))
	})
	err := fn()
	stop()
	c.raw.end()
	if err != nil {
		if cause := c.raw.closeCause(); cause != nil {
			return fmt.Errorf("imap %s: %w", c.cfg.Addr, cause)
		}
	}
	return err
}

func (c *Conn) closedError() error {
	if cause := c.raw.closeCause(); cause != nil {
		return fmt.Errorf("imap %s: connection closed earlier: %w", c.cfg.Addr, cause)
	}
	return fmt.Errorf("imap %s: connection closed", c.cfg.Addr)
}

// Broken reports whether the connection is closed or known to be
// unusable; a broken Conn only needs Close.
func (c *Conn) Broken() bool {
	if c.raw.isClosed() {
		return true
	}
	select {
	case <-c.Client.Closed():
		return true
	default:
		return false
	}
}

// Abort closes the socket at once without completing the command in
// progress. It is how an APPEND whose source failed mid-literal is
// abandoned: the server sees the connection drop before the literal is
// complete and discards the partial message. The Conn is unusable
// afterwards. Errors of the interrupted command are reported as they
// are (not replaced by a "connection closed" error as in Do).
func (c *Conn) Abort() {
	c.raw.Close()
}

// Close logs out (bounded by a short timeout) and closes the connection.
// It is safe to call on a broken or aborted Conn, and more than once.
func (c *Conn) Close() error {
	if !c.Broken() {
		ctx, cancel := context.WithTimeout(context.Background(), logoutTimeout)
		_ = c.Do(ctx, func() error { return c.Client.Logout().Wait() })
		cancel()
	}
	c.raw.Close()
	c.Client.Close()
	return nil
}

// AppendLimit returns the largest message the server accepts, from the
// APPENDLIMIT=n capability (RFC 7889), else Config.MaxMessageSize; ok is
// false if neither states an account-wide limit.
func (c *Conn) AppendLimit() (limit int64, ok bool) {
	l, has := c.caps.AppendLimit()
	if !has || l == nil {
		return c.cfg.MaxMessageSize, c.cfg.MaxMessageSize > 0
	}
	return int64(*l), true
}
