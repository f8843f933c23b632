package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mailferry/mailferry/sources"
)

// Source is a POP3 maildrop seen as a mailferry source: one mailbox,
// "INBOX", identified by UIDL. Deletions (sources.Deleter) take effect
// when Close sends QUIT.
type Source struct {
	c    *Client
	drop *maildrop // from the last List; nil before it
	dele int       // messages marked for deletion in this session

	dropped bool // OpenEach left the connection unusable: log in again
}

var (
	_ sources.Source  = (*Source)(nil)
	_ sources.Deleter = (*Source)(nil)
)

// New dials and logs in (see Dial) and returns the session as a Source.
func New(ctx context.Context, cfg Config) (*Source, error) {
	c, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Source{c: c}, nil
}

// Client returns the underlying POP3 session.
func (s *Source) Client() *Client { return s.c }

// List reports every message in message-number order, all in "INBOX",
// with ID = UIDL and Size from LIST (SizeExact: the engine checks it).
//
// If the server has no UIDL (it answers -ERR), the ID is the hex SHA-256
// digest of the message's bytes instead. That costs a full download of
// every message during List, on top of the transfer itself. Repeated IDs
// (identical messages) get an occurrence suffix: "<id>#2", "<id>#3".
func (s *Source) List(ctx context.Context, fn func(sources.Message) error) error {
	if err := s.redial(ctx); err != nil {
		return err
	}
	sizes, err := s.index(ctx)
	if err != nil {
		return err
	}
	d := s.drop
	for i, loc := range d.locs {
		m := sources.Message{ID: idOf(loc), Mailbox: "INBOX", Size: sizes[i], SizeExact: true, Location: loc}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// number finds the message number for m and its place in s.drop,
// listing first if this Source has not listed yet (e.g. a reconnected
// session).
func (s *Source) number(ctx context.Context, m sources.Message) (int, int, error) {
	if s.drop == nil {
		if _, err := s.index(ctx); err != nil {
			return 0, 0, err
		}
	}
	i, ok := s.drop.find(m.ID)
	if !ok {
		return 0, 0, &sources.MessageError{Location: m.Location,
			Err: fmt.Errorf("message %s is no longer on the pop3 server", m.ID)}
	}
	return int(s.drop.nums[i]), i, nil
}

// Open streams the message with RETR. The reader must be closed before
// the next call on this Source.
func (s *Source) Open(ctx context.Context, m sources.Message) (io.ReadCloser, error) {
	if err := s.redial(ctx); err != nil {
		return nil, err
	}
	n, _, err := s.number(ctx, m)
	if err != nil {
		return nil, err
	}
	r, err := s.c.Retr(ctx, n)
	var perr *Error
	if errors.As(err, &perr) {
		return nil, &sources.MessageError{Location: location(n, m.ID), Err: err}
	}
	return r, err
}

// Delete marks msgs for deletion (DELE). They are removed from the
// server only when Close succeeds.
func (s *Source) Delete(ctx context.Context, msgs []sources.Message) error {
	if err := s.redial(ctx); err != nil {
		return err
	}
	for _, m := range msgs {
		n, i, err := s.number(ctx, m)
		if err != nil {
			return err
		}
		if err := s.c.Dele(ctx, n); err != nil {
			var perr *Error
			if errors.As(err, &perr) {
				return &sources.MessageError{Location: location(n, m.ID), Err: err}
			}
			return err
		}
		s.drop.markGone(i)
		s.dele++
	}
	return nil
}

// Close ends the session with QUIT, which commits deletions. If Close
// returns an error, no deletion was committed. A failing QUIT is not an
// error when no message was marked for deletion.
func (s *Source) Close() error {
	err := s.c.Quit(context.Background())
	if s.dele == 0 {
		return nil
	}
	return err
}
