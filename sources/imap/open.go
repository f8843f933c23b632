package imap

import (
	"context"
	"errors"
	"fmt"
	"io"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

// drainLimit is how much of an unread message Close reads to keep the
// connection; with more left it drops the connection instead.
const drainLimit = 256 << 10

// Open streams the message's bytes from the server: EXAMINE its mailbox
// if the connection has not, check that UIDVALIDITY still matches the
// ID, then UID FETCH uid (BODY.PEEK[]). The reader delivers the literal
// straight from the socket; the connection is busy until the reader is
// closed.
//
// A changed UIDVALIDITY, a message expunged meanwhile, or a server
// refusing the FETCH with NO gives a *sources.MessageError; connection
// trouble gives a plain (temporary) error.
func (s *Source) Open(ctx context.Context, m sources.Message) (io.ReadCloser, error) {
	validity, uid, err := ParseID(m.ID)
	if err != nil {
		return nil, &sources.MessageError{Location: m.Location, Err: err}
	}
	loc := m.Location
	if loc == "" {
		loc = s.messageLocation(normName(m.Mailbox), uid)
	}
	sess, err := s.pool.getFor(ctx, s.serverName(m.Mailbox))
	if err != nil {
		return nil, err
	}
	r, err := s.open(ctx, sess, m.Mailbox, validity, uid, loc)
	if err != nil {
		s.pool.put(sess)
		return nil, err
	}
	return r, nil
}

func (s *Source) open(ctx context.Context, sess *session, mailboxName string, validity, uid uint32, loc string) (*messageReader, error) {
	if err := sess.examine(ctx, s.serverName(mailboxName)); err != nil {
		if imapconn.Classify(err) == imapconn.PerMessage {
			return nil, &sources.MessageError{Location: loc, Err: fmt.Errorf("opening the mailbox: %w", err)}
		}
		return nil, fmt.Errorf("%s: opening the mailbox: %w", loc, err)
	}
	if sess.uidValidity != validity {
		return nil, &sources.MessageError{Location: loc, Err: fmt.Errorf(
			"UIDVALIDITY changed (listed under %d, the server now says %d): the mailbox was rebuilt; run again to list it anew", validity, sess.uidValidity)}
	}

	sess.Begin()
	stop := context.AfterFunc(ctx, sess.Abort)
	r := &messageReader{s: s, sess: sess, stop: stop, ctx: ctx, loc: loc}
	r.cmd = sess.Fetch(goimap.UIDSetNum(goimap.UID(uid)), &goimap.FetchOptions{
		UID:         true,
		BodySection: []*goimap.FetchItemBodySection{{Peek: true}},
	})
	lit, err := r.start()
	if err != nil {
		r.finish(false)
		return nil, err
	}
	r.lit = lit
	r.left = lit.Size()
	return r, nil
}

// messageReader reads one FETCH literal from the socket.
type messageReader struct {
	s    *Source
	sess *session
	cmd  *imapclient.FetchCommand
	lit  goimap.LiteralReader
	stop func() bool
	ctx  context.Context
	loc  string

	left   int64 // literal bytes not read yet
	err    error // sticky read error
	closed bool
}

// start waits for the FETCH answer and returns its body literal.
func (r *messageReader) start() (goimap.LiteralReader, error) {
	msg := r.cmd.Next()
	if msg == nil {
		err := r.cmd.Close()
		if err == nil {
			return nil, &sources.MessageError{Location: r.loc, Err: errors.New("the message is no longer on the server (expunged since it was listed)")}
		}
		return nil, r.fail("fetching", err)
	}
	for {
		item := msg.Next()
		if item == nil {
			break
		}
		if body, ok := item.(imapclient.FetchItemDataBodySection); ok {
			if body.Literal == nil {
				return nil, &sources.MessageError{Location: r.loc, Err: errors.New("the server sent NIL instead of the message body")}
			}
			return body.Literal, nil
		}
	}
	if err := r.cmd.Close(); err != nil {
		return nil, r.fail("fetching", err)
	}
	return nil, &sources.MessageError{Location: r.loc, Err: errors.New("the server's FETCH answer holds no message body")}
}

// fail wraps a command error: NO/BAD answers are confined to the
// message, anything else is the connection's (temporary) failure.
func (r *messageReader) fail(what string, err error) error {
	if ctxErr := r.ctx.Err(); ctxErr != nil && r.sess.Broken() {
		return fmt.Errorf("%s: %s: %w", r.loc, what, ctxErr)
	}
	switch {
	case imapconn.DailyLimit(err):
		return sources.Permanent(fmt.Errorf("%s: %s: %w (%s)", r.loc, what, err, imapconn.DailyLimitHint))
	case imapconn.Classify(err) == imapconn.Permanent:
		return sources.Permanent(fmt.Errorf("%s: %s: %w", r.loc, what, err))
	case imapconn.Classify(err) == imapconn.PerMessage:
		return &sources.MessageError{Location: r.loc, Err: fmt.Errorf("%s: %w", what, err)}
	}
	return fmt.Errorf("%s: %s: %w", r.loc, what, err)
}

// Read reads the literal.
func (r *messageReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("imap source: read after Close")
	}
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.lit.Read(p)
	r.left -= int64(n)
	if err != nil && err != io.EOF {
		r.err = r.fail("reading the message", err)
		return n, r.err
	}
	if err == io.EOF && r.left > 0 {
		r.err = fmt.Errorf("%s: connection ended %d bytes before the end of the message", r.loc, r.left)
		return n, r.err
	}
	return n, err
}

// Close finishes the FETCH (draining a short unread rest, or dropping
// the connection when much is left) and returns the connection to the
// pool.
func (r *messageReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.finish(r.left > drainLimit || r.err != nil)
	r.s.pool.put(r.sess)
	return err
}

// finish ends the command; abort drops the connection first. The
// caller returns the session to the pool.
func (r *messageReader) finish(abort bool) error {
	if abort {
		r.sess.Abort()
	}
	err := r.cmd.Close()
	r.stop()
	r.sess.End()
	if abort || r.err != nil {
		return nil
	}
	if err != nil {
		return r.fail("finishing the FETCH", err)
	}
	return nil
}
