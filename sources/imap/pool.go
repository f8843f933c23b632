package imap

import (
	"context"
	"errors"
	"sync"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
)

// errClosed is returned by operations on a closed Source.
var errClosed = errors.New("imap source: already closed")

// session is one logged-in connection of the pool and the mailbox it has
// selected.
type session struct {
	*imapconn.Conn

	mailbox     string // server name of the selected mailbox, "" if none
	readOnly    bool   // selected with EXAMINE
	uidValidity uint32
	uidNext     goimap.UID
	numMessages uint32
	modSeq      uint64 // HIGHESTMODSEQ, where the server has CONDSTORE
}

// pool hands out at most cap(sem) sessions at a time, reusing idle ones
// and dialing new ones on demand. Broken sessions are closed on return.
type pool struct {
	cfg imapconn.Config
	sem chan struct{}

	mu     sync.Mutex
	idle   []*session
	closed bool
}

func newPool(cfg imapconn.Config, size int) *pool {
	return &pool{cfg: cfg, sem: make(chan struct{}, max(size, 1))}
}

// get returns an idle session or dials a new one, waiting while all
// sessions are in use.
func (p *pool) get(ctx context.Context) (*session, error) {
	return p.getFor(ctx, "")
}

// getFor is get preferring an idle session that has mailbox (a server
// name) selected already: switching costs a round trip.
func (p *pool) getFor(ctx context.Context, mailbox string) (*session, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.sem
			return nil, errClosed
		}
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		i := n - 1
		for j, s := range p.idle {
			if mailbox != "" && s.mailbox == mailbox {
				i = j
			}
		}
		s := p.idle[i]
		p.idle = append(p.idle[:i], p.idle[i+1:]...)
		p.mu.Unlock()
		if !s.Broken() {
			return s, nil
		}
		s.Close()
	}
	c, err := imapconn.Dial(ctx, p.cfg)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return &session{Conn: c}, nil
}

// put returns a session taken with get.
func (p *pool) put(s *session) {
	p.mu.Lock()
	if p.closed || s.Broken() {
		p.mu.Unlock()
		s.Close()
		<-p.sem
		return
	}
	p.idle = append(p.idle, s)
	p.mu.Unlock()
	<-p.sem
}

// add puts a freshly dialed session into the pool without taking a slot.
func (p *pool) add(s *session) {
	p.mu.Lock()
	p.idle = append(p.idle, s)
	p.mu.Unlock()
}

// close logs out of every idle session; sessions in use are closed when
// they are returned.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range idle {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }() // LOGOUT is a round trip each
	}
	wg.Wait()
}

// examine opens mailbox (a server name) read-only unless it is already
// selected that way, and returns its UIDVALIDITY.
func (s *session) examine(ctx context.Context, mailbox string) error {
	if s.mailbox == mailbox && s.readOnly {
		return nil
	}
	return s.open(ctx, mailbox, true)
}

// open selects mailbox, read-only (EXAMINE) or read-write (SELECT).
func (s *session) open(ctx context.Context, mailbox string, readOnly bool) error {
	s.mailbox = ""
	var data *goimap.SelectData
	err := s.Do(ctx, func() error {
		var err error
		data, err = s.Select(mailbox, &goimap.SelectOptions{ReadOnly: readOnly, CondStore: s.Caps().Has(goimap.CapCondStore)}).Wait()
		return err
	})
	if err != nil {
		return err
	}
	s.mailbox, s.readOnly = mailbox, readOnly
	s.uidValidity, s.uidNext, s.numMessages = data.UIDValidity, data.UIDNext, data.NumMessages
	s.modSeq = data.HighestModSeq
	return nil
}
