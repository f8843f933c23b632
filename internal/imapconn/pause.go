package imapconn

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
)

// pauseConn is the connection go-imap reads and writes (over TLS when the
// connection is encrypted). It lets mailferry speak on the connection
// itself for a command go-imap lacks (MULTIAPPEND): pause parks go-imap's
// reading goroutine, interrupting a read in progress, and resume lets it
// go on, first with any bytes mailferry read past its own response.
type pauseConn struct {
	net.Conn // what go-imap would otherwise be given: TLS or the idleConn
	idle     *idleConn

	mu      sync.Mutex
	cond    *sync.Cond
	paused  bool
	reading bool   // go-imap's goroutine is inside Conn.Read
	pending []byte // delivered to go-imap before anything from the socket
	closed  bool
}

func newPauseConn(c net.Conn, idle *idleConn, pending []byte) *pauseConn {
	p := &pauseConn{Conn: c, idle: idle, pending: pending}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *pauseConn) Read(b []byte) (int, error) {
	p.mu.Lock()
	for {
		for p.paused && !p.closed {
			p.cond.Wait()
		}
		if len(p.pending) > 0 {
			n := copy(b, p.pending)
			p.pending = p.pending[n:]
			p.mu.Unlock()
			return n, nil
		}
		p.reading = true
		p.mu.Unlock()
		n, err := p.Conn.Read(b)
		p.mu.Lock()
		p.reading = false
		p.cond.Broadcast()
		if n == 0 && p.paused && !p.closed && errors.Is(err, os.ErrDeadlineExceeded) {
			continue // interrupted by pause: wait for resume, then read on
		}
		p.mu.Unlock()
		return n, err
	}
}

// pause stops go-imap's reading: when it returns, nothing but the caller
// reads from the connection until resume.
func (p *pauseConn) pause() {
	p.mu.Lock()
	p.paused = true
	if p.reading {
		p.idle.interruptRead()
	}
	for p.reading {
		p.cond.Wait()
	}
	p.mu.Unlock()
	p.idle.clearReadDeadline()
}

// resume hands the connection back to go-imap; leftover are bytes the
// caller read past its own responses.
func (p *pauseConn) resume(leftover []byte) {
	p.mu.Lock()
	p.pending = append(p.pending, leftover...)
	p.paused = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *pauseConn) Close() error {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	return p.Conn.Close()
}

// Deadlines are go-imap's fixed timeouts: ignored (see the package
// documentation).
func (p *pauseConn) SetDeadline(time.Time) error      { return nil }
func (p *pauseConn) SetReadDeadline(time.Time) error  { return nil }
func (p *pauseConn) SetWriteDeadline(time.Time) error { return nil }

// ErrNoRaw is returned by Raw on a connection that cannot be spoken on
// directly.
var ErrNoRaw = errors.New("imap: connection does not allow raw commands")

// Raw runs fn with the connection to itself, go-imap's reading paused,
// under the idle watchdog as Do. fn writes a command to w (flushing it)
// and reads the server's responses from r up to the command's tagged
// response. It must leave the connection between commands: if fn
// returns an error that is not the server's tagged NO or BAD (an
// *imap.Error), the connection's state is unknown and it is closed.
func (c *Conn) Raw(ctx context.Context, fn func(r *bufio.Reader, w *bufio.Writer) error) error {
	if c.pc == nil {
		return ErrNoRaw
	}
	return c.Do(ctx, func() error {
		c.pc.pause()
		r := bufio.NewReaderSize(c.pc.Conn, 4<<10)
		w := bufio.NewWriterSize(c.pc.Conn, 32<<10)
		err := fn(r, w)
		var ie *imap.Error
		if err != nil && !errors.As(err, &ie) {
			c.Abort()
			c.pc.resume(nil)
			return err
		}
		leftover, _ := r.Peek(r.Buffered())
		c.pc.resume(append([]byte(nil), leftover...))
		return err
	})
}

// CanRaw reports whether Raw can be used on this connection.
func (c *Conn) CanRaw() bool { return c.pc != nil }
