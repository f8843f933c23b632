package imap

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

// DefaultSkipSpecialUse are the special-use attributes whose mailboxes
// List skips unless Options.SkipSpecialUse says otherwise: Gmail's
// "All Mail" and "Important" views, which repeat messages that are also
// in other folders.
var DefaultSkipSpecialUse = []string{`\All`, `\Important`}

// Options adjusts a Source.
type Options struct {
	// Mailbox, if not empty, restricts the source to this one mailbox
	// (UTF-8, "/"-separated, as in the URL path). It is listed even if
	// its special use is in SkipSpecialUse.
	Mailbox string

	// SkipSpecialUse lists special-use attributes whose mailboxes are
	// left out. Nil means DefaultSkipSpecialUse; an empty, non-nil slice
	// skips nothing.
	SkipSpecialUse []string

	// Connections is how many connections Open may use at once; 0 or 1
	// means one. With more, NewSource returns a source implementing
	// sources.ConcurrentOpener.
	Connections int

	// IdleTimeout, if not zero, replaces the configuration's IdleTimeout.
	IdleTimeout time.Duration

	// Since holds high-water marks by mailbox name (UTF-8, "/"): List
	// reports only messages with a UID above HighWater.UID when the
	// mailbox's UIDVALIDITY still equals HighWater.UIDValidity.
	Since map[string]HighWater
}

// HighWater is the highest UID of a mailbox already dealt with, valid
// for one UIDVALIDITY.
type HighWater struct {
	UIDValidity uint32
	UID         uint32
	// ModSeq, if not zero, is the mailbox's HIGHESTMODSEQ at the mark: on
	// a CONDSTORE server List then also reports older messages whose
	// flags changed since (FETCH CHANGEDSINCE), for --sync-flags.
	ModSeq uint64
}

// boxStatus is what EXAMINE said about a mailbox.
type boxStatus struct {
	uidValidity, uidNext uint32
	modSeq               uint64
}

// Source is an IMAP account seen as a mailferry source. Use New or
// NewSource.
type Source struct {
	cfg   imapconn.Config
	opts  Options
	pool  *pool
	caps  goimap.CapSet
	where string // "imaps://alice@mail.example.com", for Location

	delim  rune
	prefix string   // personal namespace prefix
	others []string // prefixes of other users' and shared namespaces

	mu     sync.Mutex
	boxes  map[string]mailbox   // by UTF-8 name, from the last LIST
	status map[string]boxStatus // by UTF-8 name, from the last EXAMINE in List
	listed []mailbox            // the mailboxes the last List read

	shared interner // flag lists and zones shared between listed messages
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Mailboxer = (*Source)(nil)
	_ sources.Deleter   = (*Source)(nil)

	_ sources.ConcurrentOpener = concurrentSource{}
)

// New connects and logs in (imapconn.Dial), reads the hierarchy
// delimiter and namespaces, and returns the account as a Source.
func New(ctx context.Context, cfg imapconn.Config, opts Options) (*Source, error) {
	if opts.IdleTimeout > 0 {
		cfg.IdleTimeout = opts.IdleTimeout
	}
	if opts.SkipSpecialUse == nil {
		opts.SkipSpecialUse = DefaultSkipSpecialUse
	}
	s := &Source{
		cfg:    cfg,
		opts:   opts,
		pool:   newPool(cfg, opts.Connections),
		where:  location(cfg),
		boxes:  map[string]mailbox{},
		status: map[string]boxStatus{},
	}
	c, err := imapconn.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.caps = c.Caps()
	if err := s.readNamespaces(ctx, c); err != nil {
		c.Close()
		return nil, err
	}
	s.pool.add(&session{Conn: c})
	return s, nil
}

// NewSource is New returning the source as a sources.Source that also
// implements sources.ConcurrentOpener when opts.Connections > 1. The
// other optional interfaces and methods of *Source stay available.
func NewSource(ctx context.Context, cfg imapconn.Config, opts Options) (sources.Source, error) {
	s, err := New(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	if opts.Connections > 1 {
		return concurrentSource{s}, nil
	}
	return s, nil
}

// concurrentSource marks a Source whose pool allows parallel Opens.
type concurrentSource struct{ *Source }

// ConcurrentOpen implements sources.ConcurrentOpener.
func (concurrentSource) ConcurrentOpen() {}

// readNamespaces learns the delimiter and the namespace prefixes.
func (s *Source) readNamespaces(ctx context.Context, c *imapconn.Conn) error {
	var err error
	if s.delim, err = c.Delimiter(ctx); err != nil {
		return err
	}
	if !s.caps.Has(goimap.CapNamespace) {
		return nil
	}
	var ns *goimap.NamespaceData
	err = c.Do(ctx, func() error {
		ns, err = c.Client.Namespace().Wait()
		return err
	})
	if err != nil {
		return fmt.Errorf("imap %s: reading the namespaces: %w", s.cfg.Addr, err)
	}
	if len(ns.Personal) > 0 {
		s.prefix = ns.Personal[0].Prefix
	}
	for _, d := range append(ns.Other, ns.Shared...) {
		if d.Prefix != "" {
			s.others = append(s.others, d.Prefix)
		}
	}
	return nil
}

// Caps returns the capabilities the server advertised after login.
func (s *Source) Caps() goimap.CapSet { return s.caps }

// MailboxStatus returns the UIDVALIDITY and UIDNEXT that the last List
// (or ListSince) saw for mailbox (UTF-8, "/"); ok is false if it was not
// listed. UIDNEXT-1 is a safe high-water mark for the next run once
// every listed message is dealt with.
func (s *Source) MailboxStatus(mailbox string) (uidValidity, uidNext uint32, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.status[normName(mailbox)]
	return st.uidValidity, st.uidNext, ok
}

// Close logs out of every connection. Deletions took effect already.
func (s *Source) Close() error {
	s.pool.close()
	return nil
}

// location renders "imaps://user@host[:port]" for Message.Location,
// without the password.
func location(cfg imapconn.Config) string {
	scheme, port := "imaps", "993"
	if cfg.TLS != imapconn.Implicit {
		scheme, port = "imap", "143"
	}
	host := cfg.Addr
	if h, p, err := net.SplitHostPort(cfg.Addr); err == nil && p == port {
		host = h
	}
	return scheme + "://" + cfg.Username + "@" + host
}

// messageLocation names one message for people: "imaps://alice@host/Work uid 7".
func (s *Source) messageLocation(mailbox string, uid uint32) string {
	return fmt.Sprintf("%s/%s uid %d", s.where, mailbox, uid)
}

var _ sources.Incremental = (*Source)(nil)

// SetSince implements sources.Incremental: the next List reports, in
// each named mailbox, only messages above the mark (if the mailbox still
// has the mark's UIDVALIDITY).
func (s *Source) SetSince(marks map[string]sources.Mark) {
	s.opts.Since = make(map[string]HighWater, len(marks))
	for name, m := range marks {
		s.opts.Since[name] = HighWater{UIDValidity: m.UIDValidity, UID: m.UID, ModSeq: m.ModSeq}
	}
}

var _ sources.ModSeqer = (*Source)(nil)

// HighestModSeq implements sources.ModSeqer: the mailbox's HIGHESTMODSEQ
// when List examined it (0, false without CONDSTORE).
func (s *Source) HighestModSeq(mailbox string) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.status[normName(mailbox)]
	return st.modSeq, ok && st.modSeq > 0
}
