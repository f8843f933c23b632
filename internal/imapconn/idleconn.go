package imapconn

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// writeChunk bounds a single write to the socket so that the write
// deadline measures progress rather than the time to send a whole
// literal.
const writeChunk = 64 << 10

// IdleTimeoutError reports that a connection was closed because an
// operation saw no traffic for the idle timeout.
type IdleTimeoutError struct {
	Idle time.Duration
}

func (e *IdleTimeoutError) Error() string {
	return fmt.Sprintf("no data moved for %v while waiting for the server; connection closed", e.Idle)
}

// Timeout reports true, as for net.Error.
func (e *IdleTimeoutError) Timeout() bool { return true }

// idleConn is the net.Conn handed to go-imap. It ignores go-imap's
// deadline calls and enforces an idle timeout instead (see the package
// documentation).
type idleConn struct {
	net.Conn
	idle time.Duration

	last atomic.Int64 // unix nanoseconds of the last byte moved
	busy atomic.Int32 // outstanding operations

	mu     sync.Mutex
	closed bool
	cause  error // why we closed the socket ourselves, if we did
	done   chan struct{}
}

func newIdleConn(c net.Conn, idle time.Duration) *idleConn {
	ic := &idleConn{Conn: c, idle: idle, done: make(chan struct{})}
	ic.touch()
	go ic.watch()
	return ic
}

func (c *idleConn) touch() { c.last.Store(time.Now().UnixNano()) }

// watch closes the connection when an operation is outstanding and
// nothing moved for the idle timeout.
func (c *idleConn) watch() {
	tick := max(c.idle/8, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			if c.busy.Load() > 0 && now.Sub(time.Unix(0, c.last.Load())) > c.idle {
				c.abort(&IdleTimeoutError{Idle: c.idle})
			}
		}
	}
}

// begin marks an operation as outstanding; the idle clock starts now.
func (c *idleConn) begin() {
	c.touch()
	c.busy.Add(1)
}

// end marks an operation as finished.
func (c *idleConn) end() { c.busy.Add(-1) }

func (c *idleConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), writeChunk)]
		c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
		n, err := c.Conn.Write(chunk)
		written += n
		if n > 0 {
			c.touch()
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.abort(&IdleTimeoutError{Idle: c.idle})
			}
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}

// interruptRead makes a read in progress return at once with
// os.ErrDeadlineExceeded (see pauseConn.pause).
func (c *idleConn) interruptRead() { c.Conn.SetReadDeadline(time.Now()) }

// clearReadDeadline undoes interruptRead.
func (c *idleConn) clearReadDeadline() { c.Conn.SetReadDeadline(time.Time{}) }

// SetDeadline is ignored: see the package documentation.
func (c *idleConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is ignored: see the package documentation.
func (c *idleConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is ignored: see the package documentation.
func (c *idleConn) SetWriteDeadline(time.Time) error { return nil }

func (c *idleConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// abort closes the connection and records why, unless it was closed
// before.
func (c *idleConn) abort(cause error) {
	c.mu.Lock()
	if !c.closed && c.cause == nil {
		c.cause = cause
	}
	c.mu.Unlock()
	c.Close()
}

// isClosed reports whether the socket was closed, by anyone.
func (c *idleConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// closeCause returns the reason the connection was aborted, or nil.
func (c *idleConn) closeCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}
