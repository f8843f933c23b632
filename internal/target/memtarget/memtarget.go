// Package memtarget is a Target held in memory, with failures on cue,
// for the engine's unit tests.
package memtarget

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// Stored is one message in the store.
type Stored struct {
	Mailbox string
	Raw     []byte
	Msg     target.Message
}

// Store is the shared content behind any number of sessions.
type Store struct {
	mu      sync.Mutex
	Msgs    []Stored
	appends int
	dials   int

	// FailAppend, if set, is called for every append with its sequence
	// number (from 0). before fails the append without storing; after
	// stores the message and then fails (the reply was lost).
	FailAppend func(n int) (before, after error)
	// FailDial, if set, fails the n-th dial (from 0).
	FailDial func(n int) error

	// AfterStore, if set, runs after a message is stored and before
	// Append returns (a slow reply).
	AfterStore func(mailbox string)

	// Late, if set, is called for every append (single or batch) with
	// its sequence number; a delay above zero makes the append fail at
	// once with err and store the message(s) delay later, as a server
	// does that commits an append whose client died meanwhile.
	Late func(n int) (delay time.Duration, err error)

	// Batch makes sessions target.Batchers: AppendBatch stores a whole
	// batch as one append (one FailAppend call, all or nothing).
	Batch bool
	// Batches counts AppendBatch calls.
	Batches int
	// Refuse, if set, refuses (sources.MessageError) every message it
	// returns true for, and every batch holding one.
	Refuse func(raw []byte) bool

	// Roles, if set, makes sessions target.SpecialUsers reporting it.
	Roles map[string]string
	// Created and Subscribed record EnsureMailbox and Subscribe calls.
	Created, Subscribed []string
}

// Dialer returns a target.Dialer for the store.
func (s *Store) Dialer() target.Dialer {
	return func(ctx context.Context) (target.Target, error) {
		s.mu.Lock()
		n := s.dials
		s.dials++
		f := s.FailDial
		s.mu.Unlock()
		if f != nil {
			if err := f(n); err != nil {
				return nil, err
			}
		}
		if s.Batch {
			return &batchSession{session{s: s}}, nil
		}
		return &session{s: s}, nil
	}
}

// Mailbox returns the raw messages of a mailbox.
func (s *Store) Mailbox(name string) []Stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Stored
	for _, m := range s.Msgs {
		if m.Mailbox == name {
			out = append(out, m)
		}
	}
	return out
}

type session struct{ s *Store }

var _ target.Target = (*session)(nil)

func (t *session) EnsureMailbox(ctx context.Context, mailbox string) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for _, m := range t.s.Created {
		if m == mailbox {
			return nil
		}
	}
	t.s.Created = append(t.s.Created, mailbox)
	return nil
}

// SpecialUse implements target.SpecialUser with Store.Roles.
func (t *session) SpecialUse(ctx context.Context) (map[string]string, error) {
	return t.s.Roles, nil
}

// Subscribe implements target.Subscriber.
func (t *session) Subscribe(ctx context.Context, mailbox string) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.Subscribed = append(t.s.Subscribed, mailbox)
	return nil
}

func (t *session) Index(ctx context.Context, mailbox string) (map[string]int, error) {
	out := map[string]int{}
	for _, m := range t.s.Mailbox(mailbox) {
		end := mailhdr.HeaderEnd(m.Raw)
		if end < 0 {
			end = len(m.Raw)
		}
		out[mailhdr.Identity(int64(len(m.Raw)), m.Raw[:end])]++
	}
	return out, nil
}

func (t *session) Append(ctx context.Context, mailbox string, m target.Message, r io.Reader) (target.Receipt, error) {
	t.s.mu.Lock()
	n := t.s.appends
	t.s.appends++
	f := t.s.FailAppend
	t.s.mu.Unlock()
	var before, after error
	if f != nil {
		before, after = f(n)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, m.Size); err != nil {
		return target.Receipt{}, fmt.Errorf("reading message: %w", err)
	}
	var one [1]byte
	if k, err := r.Read(one[:]); k > 0 || (err != nil && err != io.EOF) {
		return target.Receipt{}, fmt.Errorf("message longer than announced: %v", err)
	}
	if before != nil {
		return target.Receipt{}, before
	}
	if err := t.s.late(n, mailbox, []target.Item{{Message: m, Data: buf.Bytes()}}); err != nil {
		return target.Receipt{}, err
	}
	if t.s.Refuse != nil && t.s.Refuse(buf.Bytes()) {
		return target.Receipt{}, &sources.MessageError{Location: mailbox, Err: errors.New("refused")}
	}
	t.s.mu.Lock()
	t.s.Msgs = append(t.s.Msgs, Stored{Mailbox: mailbox, Raw: buf.Bytes(), Msg: m})
	uid := len(t.s.Msgs)
	afterStore := t.s.AfterStore
	t.s.mu.Unlock()
	if afterStore != nil {
		afterStore(mailbox)
	}
	if after != nil {
		return target.Receipt{}, after
	}
	return target.Receipt{Ref: fmt.Sprintf("1/%d", uid)}, nil
}

func (t *session) Close() error { return nil }

// SetFlags implements target.FlagSetter; ref is "1/N" as Append gave it.
func (t *session) SetFlags(ctx context.Context, mailbox, ref string, flags []string) error {
	var v, uid int
	if _, err := fmt.Sscanf(ref, "%d/%d", &v, &uid); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if uid < 1 || uid > len(t.s.Msgs) {
		return fmt.Errorf("no message %s", ref)
	}
	t.s.Msgs[uid-1].Msg.Flags = flags
	return nil
}

// batchSession is a session that also stores batches.
type batchSession struct{ session }

var _ target.Batcher = (*batchSession)(nil)

// AppendBatch implements target.Batcher: one FailAppend call for the
// whole batch; before stores nothing, after stores every item.
func (t *batchSession) AppendBatch(ctx context.Context, mailbox string, items []target.Item) ([]target.Receipt, error) {
	t.s.mu.Lock()
	n := t.s.appends
	t.s.appends++
	t.s.Batches++
	f := t.s.FailAppend
	t.s.mu.Unlock()
	var before, after error
	if f != nil {
		before, after = f(n)
	}
	if before != nil {
		return nil, before
	}
	for _, it := range items {
		if int64(len(it.Data)) != it.Size {
			return nil, fmt.Errorf("item of %d bytes announced as %d", len(it.Data), it.Size)
		}
		if t.s.Refuse != nil && t.s.Refuse(it.Data) {
			return nil, &sources.MessageError{Location: mailbox, Err: errors.New("a message of the batch was refused")}
		}
	}
	if err := t.s.late(n, mailbox, items); err != nil {
		return nil, err
	}
	receipts := make([]target.Receipt, len(items))
	t.s.mu.Lock()
	for i, it := range items {
		t.s.Msgs = append(t.s.Msgs, Stored{Mailbox: mailbox, Raw: bytes.Clone(it.Data), Msg: it.Message})
		receipts[i].Ref = fmt.Sprintf("1/%d", len(t.s.Msgs))
	}
	t.s.mu.Unlock()
	if after != nil {
		return nil, after
	}
	return receipts, nil
}

// late stores items delay later and returns err if Late says so for
// append n.
func (s *Store) late(n int, mailbox string, items []target.Item) error {
	s.mu.Lock()
	f := s.Late
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	delay, err := f(n)
	if delay <= 0 {
		return nil
	}
	kept := make([]Stored, len(items))
	for i, it := range items {
		kept[i] = Stored{Mailbox: mailbox, Raw: bytes.Clone(it.Data), Msg: it.Message}
	}
	time.AfterFunc(delay, func() {
		s.mu.Lock()
		s.Msgs = append(s.Msgs, kept...)
		s.mu.Unlock()
	})
	return err
}
