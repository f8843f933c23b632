package pop3

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// readBufferSize bounds the memory a connection uses for reading: the
// dot reader and status lines never need more than this buffer.
const readBufferSize = 64 << 10

// maxLineLength bounds a status or listing line. RFC 1939 allows 512
// octets; we are lenient but never unbounded.
const maxLineLength = 64 << 10

// idleConn is a net.Conn whose every Read and Write first pushes the
// deadline to now+idle, so a transfer survives as long as bytes flow and
// a silent peer fails after idle. abort makes all further I/O fail at
// once (used for context cancellation).
type idleConn struct {
	net.Conn
	idle time.Duration

	mu      sync.Mutex
	aborted error
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *idleConn) arm(set func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted != nil {
		return c.aborted
	}
	return set(time.Now().Add(c.idle))
}

// abort makes pending and future I/O fail with err.
func (c *idleConn) abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted == nil {
		c.aborted = err
	}
	c.Conn.SetDeadline(time.Unix(1, 0))
}

// Error is a -ERR answer from the server.
type Error struct {
	// Command is the command's verb, e.g. "RETR" (never its arguments,
	// which may hold a password).
	Command string
	// Code is the RFC 2449 response code without brackets, e.g.
	// "IN-USE" or "AUTH", or "" if the server gave none.
	Code string
	// Text is the server's text after -ERR.
	Text string
}

func (e *Error) Error() string {
	return fmt.Sprintf("pop3 %s refused by server: %s", e.Command, e.Text)
}

// errBroken wraps the error that made a connection unusable.
type errBroken struct{ err error }

func (e errBroken) Error() string {
	return "connection unusable after an earlier error: " + e.err.Error()
}
func (e errBroken) Unwrap() error { return e.err }

// begin starts a command: it refuses if the connection is broken or a
// response is still being read, and ties ctx to the connection. The
// returned end must be called when the command's I/O is over.
func (c *Client) begin(ctx context.Context, op string) (end func(), err error) {
	if c.err != nil {
		return nil, fmt.Errorf("pop3 %s: %w", op, errBroken{c.err})
	}
	if c.busy {
		return nil, fmt.Errorf("pop3 %s: the previous response is still being read; close its reader first", op)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pop3 %s: %w", op, context.Cause(ctx))
	}
	stop := context.AfterFunc(ctx, func() { c.idle.abort(context.Cause(ctx)) })
	return func() {
		if !stop() && c.err == nil {
			// ctx ended while we were working: the socket is aborted.
			c.fail(context.Cause(ctx))
		}
	}, nil
}

// fail marks the connection unusable and closes it.
func (c *Client) fail(err error) {
	if c.err == nil {
		c.err = err
		c.conn.Close()
	}
}

// ioError describes a network failure during op, marks the connection
// broken and returns the error to report.
func (c *Client) ioError(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("pop3 %s: %w", op, context.Cause(ctx))
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("pop3 %s: server %s sent nothing for %v (idle timeout): %w", op, c.cfg.Addr, c.cfg.IdleTimeout, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("pop3 %s: server %s closed the connection: %w", op, c.cfg.Addr, io.ErrUnexpectedEOF)
	default:
		err = fmt.Errorf("pop3 %s: %w", op, err)
	}
	c.fail(err)
	return err
}

// readLine reads one line of at most maxLineLength bytes and returns it
// without its line ending (CRLF or a lenient bare LF). The returned
// slice is valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		line = append([]byte(nil), line...)
		for err == bufio.ErrBufferFull && len(line) <= maxLineLength {
			var more []byte
			more, err = br.ReadSlice('\n')
			line = append(line, more...)
		}
	}
	switch {
	case err == io.EOF:
		return nil, io.ErrUnexpectedEOF
	case err != nil && err != bufio.ErrBufferFull:
		return nil, err
	case err != nil || len(line) > maxLineLength:
		return nil, fmt.Errorf("response line longer than %d bytes", maxLineLength)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}
