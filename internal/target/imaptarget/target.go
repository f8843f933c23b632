// Package imaptarget stores messages into an IMAP account: it implements
// target.Target with APPEND, creates mailboxes on demand and indexes
// what a mailbox already holds so that an interrupted run can be
// resumed without duplicates.
//
// # Connections and errors
//
// A Target is one IMAP connection (imapconn.Dial) used by one goroutine.
// Errors follow the target.Target contract, classified with
// imapconn.Classify: a message the server refuses (TOOBIG, PARSE, an
// APPENDLIMIT overrun detected before sending) is a
// *sources.MessageError; a login refusal or NO [OVERQUOTA] is
// sources.Permanent; anything else is temporary. After a temporary error
// the connection may be dead: the engine closes the Target and dials a
// new one. For robustness a Target also redials by itself on its next
// call when it finds its connection closed (which go-imap does after a
// rejected synchronizing literal, so a MessageError never leaves the
// Target unusable).
//
// # Batches
//
// Append streams one message (memory flat in message size). AppendBatch
// stores several small messages held in memory with one MULTIAPPEND
// (RFC 3502), written on the connection directly because go-imap v2 does
// not implement it (see batch.go).
package imaptarget

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/target"
)

var _ target.Target = (*Target)(nil)

// Target is an IMAP account receiving messages. Use Dial.
type Target struct {
	cfg  imapconn.Config
	conn *imapconn.Conn

	named  bool // delim and prefix are known
	delim  rune
	prefix string

	known     map[string]bool        // server names that exist; nil until listed
	permFlags map[string][]imap.Flag // PERMANENTFLAGS by server name; nil slice: any flag
	dropped   map[string]bool
	closed    bool

	seq int // tag of the last raw command (MULTIAPPEND)

	ignoreAppendLimit bool // tests: let the server refuse instead
	noMultiAppend     bool // tests: one APPEND per message
}

// Dial connects and logs in to the account described by cfg.
func Dial(ctx context.Context, cfg imapconn.Config) (*Target, error) {
	t := &Target{
		cfg:       cfg,
		permFlags: make(map[string][]imap.Flag),
		dropped:   make(map[string]bool),
	}
	if _, err := t.session(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// Dialer returns a target.Dialer opening Targets for cfg.
func Dialer(cfg imapconn.Config) target.Dialer {
	return func(ctx context.Context) (target.Target, error) {
		t, err := Dial(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

// session returns a live connection, dialing (again) if needed.
func (t *Target) session(ctx context.Context) (*imapconn.Conn, error) {
	if t.closed {
		return nil, errors.New("imap target: used after Close")
	}
	if t.conn != nil && !t.conn.Broken() {
		return t.conn, nil
	}
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
	c, err := imapconn.Dial(ctx, t.cfg)
	if err != nil {
		return nil, err
	}
	if !t.named {
		if t.delim, err = c.Delimiter(ctx); err == nil {
			t.prefix, err = c.Namespace(ctx)
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		t.named = true
	}
	t.conn = c
	return c, nil
}

// serverName translates a mailferry mailbox name for this server.
func (t *Target) serverName(mailbox string) string {
	return imapconn.ToServerName(mailbox, t.delim, t.prefix)
}

// DroppedFlags returns, sorted, the flags and keywords the target could
// not store and left out of APPEND: keywords the mailbox's
// PERMANENTFLAGS do not allow, keywords that are not valid IMAP atoms,
// and unknown system flags (e.g. `\Junk`).
func (t *Target) DroppedFlags() []string {
	var l []string
	for f := range t.dropped {
		l = append(l, f)
	}
	sort.Strings(l)
	return l
}

// Close logs out and closes the connection.
func (t *Target) Close() error {
	t.closed = true
	if t.conn == nil {
		return nil
	}
	err := t.conn.Close()
	t.conn = nil
	return err
}

// wrap adds the server and mailbox to a temporary error.
func (t *Target) wrap(op, mailbox string, err error) error {
	return fmt.Errorf("imap %s: %s %q: %w", t.cfg.Addr, op, mailbox, err)
}
