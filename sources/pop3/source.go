package pop3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	byID map[string]int // message ID -> message number, from the last List
	dele int            // messages marked for deletion in this session
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
	msgs, err := s.index(ctx)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// index reads LIST and UIDL (or digests) and rebuilds s.byID.
func (s *Source) index(ctx context.Context) ([]sources.Message, error) {
	list, err := s.c.List(ctx)
	if err != nil {
		return nil, err
	}
	ids := make(map[int]string, len(list))
	uidl, err := s.c.UIDL(ctx)
	var perr *Error
	switch {
	case errors.As(err, &perr):
		if err := s.digests(ctx, list, ids); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		for _, u := range uidl {
			ids[u.Number] = u.UID
		}
	}
	msgs := make([]sources.Message, 0, len(list))
	byID := make(map[string]int, len(list))
	seen := make(map[string]int, len(list))
	for _, l := range list {
		id, ok := ids[l.Number]
		if !ok {
			return nil, fmt.Errorf("pop3: server %s listed message %d in LIST but not in UIDL", s.c.cfg.Addr, l.Number)
		}
		seen[id]++
		if k := seen[id]; k > 1 {
			id = fmt.Sprintf("%s#%d", id, k)
		}
		byID[id] = l.Number
		msgs = append(msgs, sources.Message{
			ID:        id,
			Mailbox:   "INBOX",
			Size:      l.Size,
			SizeExact: true,
			Location:  location(l.Number, id),
		})
	}
	s.byID = byID
	return msgs, nil
}

// digests fills ids with the SHA-256 of each listed message's bytes.
func (s *Source) digests(ctx context.Context, list []MessageInfo, ids map[int]string) error {
	for _, l := range list {
		r, err := s.c.Retr(ctx, l.Number)
		if err != nil {
			return fmt.Errorf("pop3: server has no UIDL, digesting message %d: %w", l.Number, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("pop3: server has no UIDL, digesting message %d: %w", l.Number, err)
		}
		ids[l.Number] = hex.EncodeToString(h.Sum(nil))
	}
	return nil
}

func location(n int, id string) string {
	return fmt.Sprintf("pop3 message %d (uidl %s)", n, id)
}

// number finds the message number for m, listing first if this Source
// has not listed yet (e.g. a reconnected session).
func (s *Source) number(ctx context.Context, m sources.Message) (int, error) {
	if s.byID == nil {
		if _, err := s.index(ctx); err != nil {
			return 0, err
		}
	}
	n, ok := s.byID[m.ID]
	if !ok {
		return 0, &sources.MessageError{Location: m.Location,
			Err: fmt.Errorf("message %s is no longer on the pop3 server", m.ID)}
	}
	return n, nil
}

// Open streams the message with RETR. The reader must be closed before
// the next call on this Source.
func (s *Source) Open(ctx context.Context, m sources.Message) (io.ReadCloser, error) {
	n, err := s.number(ctx, m)
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
	for _, m := range msgs {
		n, err := s.number(ctx, m)
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
		delete(s.byID, m.ID)
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
