package imap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

// mailbox is one LIST entry.
type mailbox struct {
	name       string // UTF-8, "/"-separated
	server     string // the server's name (UTF-8; go-imap encodes it)
	specialUse []string
	subscribed bool
	selectable bool
}

// specialUseAttrs are the RFC 6154 attributes (and Gmail's \Important).
var specialUseAttrs = []goimap.MailboxAttr{
	goimap.MailboxAttrAll, goimap.MailboxAttrArchive, goimap.MailboxAttrDrafts,
	goimap.MailboxAttrFlagged, goimap.MailboxAttrJunk, goimap.MailboxAttrSent,
	goimap.MailboxAttrTrash, goimap.MailboxAttrImportant,
}

// specialUse returns the canonical spelling of a special-use attribute.
func specialUse(a goimap.MailboxAttr) (string, bool) {
	for _, u := range specialUseAttrs {
		if strings.EqualFold(string(u), string(a)) {
			return string(u), true
		}
	}
	return "", false
}

// Mailboxes reports the mailboxes List reads: every selectable mailbox
// of the personal namespace except the skipped special-use ones, or only
// Options.Mailbox. Subscribed comes from LIST RETURN (SUBSCRIBED) where
// the server offers LIST-EXTENDED; a server without it cannot say, and
// every mailbox is then reported as subscribed.
//
// After List, it reports the mailboxes List read (no second LIST).
func (s *Source) Mailboxes(ctx context.Context) ([]sources.Mailbox, error) {
	s.mu.Lock()
	boxes := s.listed
	s.mu.Unlock()
	if boxes == nil {
		var err error
		if boxes, err = s.selected(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]sources.Mailbox, len(boxes))
	for i, b := range boxes {
		out[i] = sources.Mailbox{Name: b.name, SpecialUse: b.specialUse, Subscribed: b.subscribed}
	}
	return out, nil
}

// selected lists the mailboxes and keeps those the source reads, INBOX
// first and then by name.
func (s *Source) selected(ctx context.Context) ([]mailbox, error) {
	all, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []mailbox
	if s.opts.Mailbox != "" {
		want := normName(s.opts.Mailbox)
		for _, b := range all {
			if b.name == want && b.selectable {
				return []mailbox{b}, nil
			}
		}
		return nil, sources.Permanent(fmt.Errorf("%s: mailbox %q does not exist (or cannot be selected); check the name in the URL", s.where, s.opts.Mailbox))
	}
	for _, b := range all {
		if b.selectable && !s.skipped(b) {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b mailbox) int {
		if (a.name == "INBOX") != (b.name == "INBOX") {
			if a.name == "INBOX" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// skipped reports whether b has a special use in Options.SkipSpecialUse.
func (s *Source) skipped(b mailbox) bool {
	for _, use := range b.specialUse {
		for _, skip := range s.opts.SkipSpecialUse {
			if strings.EqualFold(use, skip) {
				return true
			}
		}
	}
	return false
}

// list runs LIST "" "*" and records the name mapping.
func (s *Source) list(ctx context.Context) ([]mailbox, error) {
	sess, err := s.pool.get(ctx)
	if err != nil {
		return nil, err
	}
	defer s.pool.put(sess)
	var opts *goimap.ListOptions
	if s.caps.Has(goimap.CapListExtended) || s.caps.Has(goimap.CapIMAP4rev2) {
		opts = &goimap.ListOptions{
			ReturnSubscribed: true,
			ReturnSpecialUse: s.caps.Has(goimap.CapSpecialUse),
		}
	}
	var data []*goimap.ListData
	err = sess.Do(ctx, func() error {
		var err error
		data, err = sess.List("", "*", opts).Collect()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: listing mailboxes: %w", s.where, err)
	}
	var out []mailbox
	seen := map[string]bool{}
	for _, d := range data {
		if s.foreign(d.Mailbox) {
			continue
		}
		delim := d.Delim
		if delim == 0 {
			delim = s.delim
		}
		b := mailbox{
			name:       imapconn.FromServerName(d.Mailbox, delim, s.prefix),
			server:     d.Mailbox,
			subscribed: opts == nil,
			selectable: true,
		}
		for _, a := range d.Attrs {
			switch {
			case strings.EqualFold(string(a), string(goimap.MailboxAttrNoSelect)),
				strings.EqualFold(string(a), string(goimap.MailboxAttrNonExistent)):
				b.selectable = false
			case strings.EqualFold(string(a), string(goimap.MailboxAttrSubscribed)):
				b.subscribed = true
			default:
				if use, ok := specialUse(a); ok {
					b.specialUse = append(b.specialUse, use)
				}
			}
		}
		if seen[b.name] {
			// Two server names map to one (e.g. "a/b" and "a_b" on a
			// "."-server): keep the first, which List then reads.
			continue
		}
		seen[b.name] = true
		out = append(out, b)
	}
	s.mu.Lock()
	for _, b := range out {
		s.boxes[b.name] = b
	}
	s.mu.Unlock()
	return out, nil
}

// foreign reports whether a server name lies in another user's or a
// shared namespace.
func (s *Source) foreign(name string) bool {
	for _, p := range s.others {
		if strings.HasPrefix(name, p) || name+string(s.delim) == p {
			return true
		}
	}
	return false
}

// serverName returns the server's name for a UTF-8 mailbox name, from
// the last LIST if it saw the mailbox.
func (s *Source) serverName(name string) string {
	name = normName(name)
	s.mu.Lock()
	b, ok := s.boxes[name]
	s.mu.Unlock()
	if ok {
		return b.server
	}
	return imapconn.ToServerName(name, s.delim, s.prefix)
}

// normName canonicalises a UTF-8 mailbox name: no surrounding "/", and
// "INBOX" (with children) in upper case.
func normName(name string) string {
	name = strings.Trim(name, "/")
	if name == "" {
		return "INBOX"
	}
	if len(name) >= 5 && strings.EqualFold(name[:5], "INBOX") && (len(name) == 5 || name[5] == '/') {
		return "INBOX" + name[5:]
	}
	return name
}
