// Package memsource is a Source held in memory, for tests and for the
// engine's unit tests. It can be told to fail.
package memsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// Message is one message of a memory source.
type Message struct {
	Mailbox string // "" means INBOX
	Raw     []byte
	Flags   []string
	Date    time.Time
	// Inexact makes List announce the size as an estimate (SizeExact
	// false), like a source that cannot know it in advance.
	Inexact bool
	// WrongSize, if non-zero, is announced as the exact size instead of
	// the real one (a lying POP3 server).
	WrongSize int64
}

// Box is the shared content behind any number of Source instances, so a
// test can "reconnect" and see the same mail (minus deletions).
type Box struct {
	mu      sync.Mutex
	msgs    []*Message
	deleted map[int]bool
	// FailOpen, if set, is called before each Open with the message
	// index and the number of earlier Opens; a non-nil error is returned.
	FailOpen func(i, opens int) error
	// CutAfter, if set, returns a byte count after which the reader of
	// message i breaks with an error (-1: no cut).
	CutAfter func(i, opens int) int64
	opens    int
	// Folders, if set, is what Mailboxes reports (the folder tree with
	// roles and subscriptions), making the source a sources.Mailboxer.
	Folders []sources.Mailbox
	// Concurrent makes Session's sources sources.ConcurrentOpeners, so
	// the engine reads them over several sessions at once.
	Concurrent bool
	// Validity, if non-zero, is reported as every mailbox's UIDVALIDITY
	// (sources.UIDValidator) and prefixes message IDs, like IMAP's.
	Validity uint32
}

// MailboxStatus implements sources.UIDValidator when Validity is set.
func (s *Source) MailboxStatus(mailbox string) (uint32, uint32, bool) {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	return s.box.Validity, uint32(len(s.box.msgs) + 1), s.box.Validity != 0
}

// NewBox returns a box holding msgs.
func NewBox(msgs ...Message) *Box {
	b := &Box{deleted: map[int]bool{}}
	for i := range msgs {
		m := msgs[i]
		b.msgs = append(b.msgs, &m)
	}
	return b
}

// Remaining returns how many messages have not been deleted.
func (b *Box) Remaining() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs) - len(b.deleted)
}

// Source returns a new session on the box.
func (b *Box) Source() *Source { return &Source{box: b, pending: map[int]bool{}} }

// Source is one session on a Box. Deletions take effect on Close, as in
// POP3.
type Source struct {
	box     *Box
	pending map[int]bool
}

var (
	_ sources.Source  = (*Source)(nil)
	_ sources.Deleter = (*Source)(nil)
)

// List implements sources.Source.
func (s *Source) List(ctx context.Context, fn func(sources.Message) error) error {
	s.box.mu.Lock()
	var out []sources.Message
	for i, m := range s.box.msgs {
		if s.box.deleted[i] {
			continue
		}
		mb := m.Mailbox
		if mb == "" {
			mb = "INBOX"
		}
		size, exact := int64(len(m.Raw)), !m.Inexact
		if m.WrongSize != 0 {
			size, exact = m.WrongSize, true
		}
		id := fmt.Sprintf("m%d", i)
		if s.box.Validity != 0 {
			id = fmt.Sprintf("%d/m%d", s.box.Validity, i)
		}
		out = append(out, sources.Message{
			ID: id, Mailbox: mb, Size: size, SizeExact: exact,
			Flags: m.Flags, Date: m.Date, Location: fmt.Sprintf("memory message %d", i),
		})
	}
	s.box.mu.Unlock()
	for _, m := range out {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) index(m sources.Message) (int, error) {
	var i int
	id := m.ID
	if k := strings.IndexByte(id, '/'); k >= 0 {
		id = id[k+1:]
	}
	if _, err := fmt.Sscanf(id, "m%d", &i); err != nil || i < 0 || i >= len(s.box.msgs) {
		return 0, &sources.MessageError{Location: m.Location, Err: errors.New("no such message")}
	}
	return i, nil
}

// Open implements sources.Source.
func (s *Source) Open(ctx context.Context, m sources.Message) (io.ReadCloser, error) {
	i, err := s.index(m)
	if err != nil {
		return nil, err
	}
	s.box.mu.Lock()
	opens := s.box.opens
	s.box.opens++
	raw := s.box.msgs[i].Raw
	failOpen, cutAfter := s.box.FailOpen, s.box.CutAfter
	s.box.mu.Unlock()
	if failOpen != nil {
		if err := failOpen(i, opens); err != nil {
			return nil, err
		}
	}
	var r io.Reader = bytes.NewReader(raw)
	if cutAfter != nil {
		if n := cutAfter(i, opens); n >= 0 {
			r = io.MultiReader(io.LimitReader(r, n), errReader{})
		}
	}
	return io.NopCloser(r), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset (injected)") }

// Delete implements sources.Deleter; deletions take effect on Close.
func (s *Source) Delete(ctx context.Context, msgs []sources.Message) error {
	for _, m := range msgs {
		i, err := s.index(m)
		if err != nil {
			return err
		}
		s.pending[i] = true
	}
	return nil
}

// Close commits pending deletions.
func (s *Source) Close() error {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	for i := range s.pending {
		s.box.deleted[i] = true
	}
	s.pending = map[int]bool{}
	return nil
}

// SetFlags changes the flags of message i, as a mail client would.
func (b *Box) SetFlags(i int, flags []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs[i].Flags = flags
}

// FolderSource is a Source whose box has Folders: it also implements
// sources.Mailboxer.
type FolderSource struct{ *Source }

var _ sources.Mailboxer = FolderSource{}

// Mailboxes implements sources.Mailboxer.
func (s FolderSource) Mailboxes(ctx context.Context) ([]sources.Mailbox, error) {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	return append([]sources.Mailbox(nil), s.box.Folders...), nil
}

// Session returns a new session, as a Mailboxer if the box has Folders,
// and as a sources.ConcurrentOpener if Concurrent is set.
func (b *Box) Session() sources.Source {
	switch {
	case b.Folders != nil && b.Concurrent:
		return concurrentFolders{FolderSource{b.Source()}}
	case b.Folders != nil:
		return FolderSource{b.Source()}
	case b.Concurrent:
		return concurrent{b.Source()}
	}
	return b.Source()
}

type concurrent struct{ *Source }

func (concurrent) ConcurrentOpen() {}

type concurrentFolders struct{ FolderSource }

func (concurrentFolders) ConcurrentOpen() {}
