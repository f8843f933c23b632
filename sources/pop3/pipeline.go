package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Pipelining reports whether the server announced PIPELINING (RFC
// 2449): it accepts several commands before answering the first.
func (c *Client) Pipelining() bool { return c.caps.Has("PIPELINING") }

// RetrEach retrieves messages nums with RETR and calls fn for each, in
// the order of nums: k is the message's index in nums and r its bytes
// with dot-stuffing undone (the same bytes Retr gives), valid until fn
// returns; what fn leaves unread is read and discarded. A message the
// server refuses (-ERR, e.g. deleted by another session) is passed as
// r == nil with refused its *Error, and RetrEach goes on.
//
// When the server announced PIPELINING, up to window RETR commands are
// written before their answers are read, so the messages cost one round
// trip instead of one each; otherwise, or with window below 2, each RETR
// waits for the answer before it. ctx covers the whole exchange, and the
// idle timeout applies to every read and write as for Retr.
//
// An error from fn stops RetrEach, which returns it unchanged. The
// session stays usable if no later answer was outstanding (the rest of
// fn's message is read and discarded); otherwise the connection is
// closed rather than read up to the answers still coming, and every
// further call fails: dial again. A network failure is returned and
// leaves the connection unusable.
func (c *Client) RetrEach(ctx context.Context, nums []int, window int, fn func(k int, r io.Reader, refused error) error) error {
	if len(nums) == 0 {
		return nil
	}
	end, err := c.begin(ctx, "RETR")
	if err != nil {
		return err
	}
	defer end()
	c.busy = true
	defer func() { c.busy = false }()
	if window < 2 || !c.Pipelining() {
		window = 1
	}
	p := pipeline{c: c, ctx: ctx, nums: nums, window: window}
	for k := range nums {
		if ctx.Err() != nil {
			err := fmt.Errorf("pop3 RETR: %w", context.Cause(ctx))
			c.fail(err)
			return err
		}
		if err := p.refill(k); err != nil {
			return err
		}
		if err := p.answer(k, fn); err != nil {
			return err
		}
	}
	return nil
}

// pipeline is one RetrEach exchange.
type pipeline struct {
	c      *Client
	ctx    context.Context
	nums   []int
	window int
	sent   int // RETR commands written so far
	buf    []byte
}

// refill writes more RETR commands once at most half the window is
// still outstanding before answer k is read (with a window of 1: the
// next command once its predecessor is answered).
func (p *pipeline) refill(k int) error {
	if p.sent == len(p.nums) || p.sent-k > p.window/2 {
		return nil
	}
	for ; p.sent < min(len(p.nums), k+p.window); p.sent++ {
		p.buf = append(p.buf[:0], "RETR "...)
		p.buf = strconv.AppendInt(p.buf, int64(p.nums[p.sent]), 10)
		p.buf = append(p.buf, "\r\n"...)
		p.c.bw.Write(p.buf) // an error sticks and comes back from Flush
	}
	if err := p.c.bw.Flush(); err != nil {
		return p.c.ioError(p.ctx, "RETR", err)
	}
	return nil
}

// answer reads the answer to RETR nums[k] and hands it to fn.
func (p *pipeline) answer(k int, fn func(k int, r io.Reader, refused error) error) error {
	c := p.c
	op := "RETR " + strconv.Itoa(p.nums[k])
	line, err := readLine(c.br)
	if err != nil {
		return c.ioError(p.ctx, op, err)
	}
	if _, err := c.statusOf("RETR", line); err != nil {
		var refused *Error
		if !errors.As(err, &refused) {
			return err // a malformed answer: the connection is closed
		}
		if ferr := fn(k, nil, refused); ferr != nil {
			p.stop(k)
			return ferr
		}
		return nil
	}
	d := newDotReader(c.br)
	d.wrap = func(err error) error { return c.ioError(p.ctx, op, err) }
	ferr := fn(k, d, nil)
	if ferr != nil && p.sent > k+1 {
		p.stop(k)
		return ferr
	}
	if _, err := io.Copy(io.Discard, d); err != nil && ferr == nil {
		return err
	}
	return ferr
}

// stop closes the connection when answers after k are still to come.
func (p *pipeline) stop(k int) {
	if p.sent > k+1 {
		p.c.fail(fmt.Errorf("pop3 RETR: stopped with %d answers unread, connection closed", p.sent-k-1))
	}
}
