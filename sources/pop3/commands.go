package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MessageInfo is one line of a LIST or UIDL answer.
type MessageInfo struct {
	Number int    // message number in this session, from 1
	Size   int64  // octets, as LIST reports them (0 from UIDL)
	UID    string // unique id, as UIDL reports it ("" from LIST)
}

// Stat returns the number of messages and their total size (STAT).
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	text, err := c.cmd(ctx, "STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(text)
	if len(f) >= 2 {
		count, err = strconv.Atoi(f[0])
		if err == nil {
			size, err = strconv.ParseInt(f[1], 10, 64)
		}
	}
	if len(f) < 2 || err != nil || count < 0 || size < 0 {
		return 0, 0, fmt.Errorf("pop3 STAT: malformed answer %q", text)
	}
	return count, size, nil
}

// List returns every message's number and size (LIST).
func (c *Client) List(ctx context.Context) ([]MessageInfo, error) {
	var out []MessageInfo
	err := c.scanList(ctx, func(n int, size int64) error {
		out = append(out, MessageInfo{Number: n, Size: size})
		return nil
	})
	return out, err
}

// UIDL returns every message's number and unique id (UIDL). A server
// without UIDL answers with an *Error.
func (c *Client) UIDL(ctx context.Context) ([]MessageInfo, error) {
	var out []MessageInfo
	err := c.scanUIDL(ctx, func(n int, uid []byte) error {
		out = append(out, MessageInfo{Number: n, UID: string(uid)})
		return nil
	})
	return out, err
}

// scanList reads a LIST answer, calling fn for each message, so that
// the caller keeps only what it needs of a large listing.
func (c *Client) scanList(ctx context.Context, fn func(n int, size int64) error) error {
	return c.multiLine(ctx, "LIST", "LIST", func(line []byte) error {
		n, arg, err := parseScanBytes(line)
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(arg), 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("malformed LIST line %q", clip(line))
		}
		return fn(n, size)
	})
}

// scanUIDL reads a UIDL answer, calling fn for each message; uid is
// valid only during the call.
func (c *Client) scanUIDL(ctx context.Context, fn func(n int, uid []byte) error) error {
	return c.multiLine(ctx, "UIDL", "UIDL", func(line []byte) error {
		n, uid, err := parseScanBytes(line)
		if err != nil {
			return err
		}
		return fn(n, uid)
	})
}

// parseScanLine splits "n arg" from a LIST or UIDL listing.
func parseScanLine(line []byte) (n int, arg string, err error) {
	n, b, err := parseScanBytes(line)
	return n, string(b), err
}

// parseScanBytes is parseScanLine without copying: arg points into line.
func parseScanBytes(line []byte) (n int, arg []byte, err error) {
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0, nil, fmt.Errorf("malformed listing line %q", clip(line))
	}
	n, err = strconv.Atoi(string(f[0]))
	if err != nil || n < 1 {
		return 0, nil, fmt.Errorf("malformed listing line %q", clip(line))
	}
	return n, f[1], nil
}

// Retr returns a reader for message n (RETR), streamed from the socket
// with dot-stuffing undone. The caller must Close it before the next
// command; closing early reads and discards the rest of the message so
// the session stays usable. ctx covers the whole read. If the connection
// fails before the message's end, Read returns an error, never io.EOF.
func (c *Client) Retr(ctx context.Context, n int) (io.ReadCloser, error) {
	return c.body(ctx, "RETR", fmt.Sprintf("RETR %d", n))
}

// Top returns a reader for the header and the first lines body lines of
// message n (TOP), like Retr.
func (c *Client) Top(ctx context.Context, n, lines int) (io.ReadCloser, error) {
	return c.body(ctx, "TOP", fmt.Sprintf("TOP %d %d", n, lines))
}

func (c *Client) body(ctx context.Context, verb, line string) (io.ReadCloser, error) {
	end, err := c.begin(ctx, verb)
	if err != nil {
		return nil, err
	}
	if err := c.send(ctx, verb, line); err != nil {
		end()
		return nil, err
	}
	if _, err := c.status(ctx, verb); err != nil {
		end()
		return nil, err
	}
	c.busy = true
	d := newDotReader(c.br)
	d.wrap = func(err error) error { return c.ioError(ctx, line, err) }
	return &bodyReader{c: c, d: d, end: end}, nil
}

// bodyReader is the io.ReadCloser Retr and Top return.
type bodyReader struct {
	c    *Client
	d    *dotReader
	end  func()
	done bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.done {
		if r.d.done {
			return 0, io.EOF
		}
		if r.d.err != nil {
			return 0, r.d.err
		}
		return 0, errors.New("pop3: read from a closed message reader")
	}
	n, err := r.d.Read(p)
	if err != nil {
		r.finish()
	}
	return n, err
}

// Close discards the rest of the message, if any, and frees the session
// for the next command.
func (r *bodyReader) Close() error {
	if r.done {
		return nil
	}
	_, err := io.Copy(io.Discard, r.d)
	r.finish()
	return err
}

func (r *bodyReader) finish() {
	if !r.done {
		r.done = true
		r.c.busy = false
		r.end()
	}
}

// Dele marks message n for deletion (DELE). Deletions take effect only
// when Quit succeeds.
func (c *Client) Dele(ctx context.Context, n int) error {
	_, err := c.cmd(ctx, "DELE", fmt.Sprintf("DELE %d", n))
	return err
}

// Rset unmarks all messages marked for deletion (RSET).
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.cmd(ctx, "RSET", "RSET")
	return err
}

// Noop does nothing but keep the session alive (NOOP).
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP", "NOOP")
	return err
}

// Quit ends the session (QUIT), which commits deletions, and closes the
// connection. If Quit returns an error, deletions were not committed.
func (c *Client) Quit(ctx context.Context) error {
	if c.err == nil && c.busy {
		c.fail(errors.New("pop3 QUIT: a message reader was still open"))
	}
	_, err := c.cmd(ctx, "QUIT", "QUIT")
	c.fail(errors.New("pop3: session ended"))
	if err != nil {
		return fmt.Errorf("pop3: deletions not committed: %w", err)
	}
	return nil
}

// Close closes the connection without QUIT: deletions are abandoned.
func (c *Client) Close() error {
	c.fail(errors.New("pop3: session closed"))
	return nil
}
