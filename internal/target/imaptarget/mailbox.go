package imaptarget

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

// EnsureMailbox creates mailbox, and any missing parent, on the server.
// The first call lists the account's mailboxes; later calls use that
// list. A CREATE the server refuses (no permission, invalid name) is
// returned as a *sources.MessageError located at the mailbox, so the
// engine can report it and go on with other mailboxes.
func (t *Target) EnsureMailbox(ctx context.Context, mailbox string) error {
	c, err := t.session(ctx)
	if err != nil {
		return err
	}
	if t.known == nil {
		if err := t.loadMailboxes(ctx, c); err != nil {
			return err
		}
	}
	parts := strings.Split(strings.Trim(mailbox, "/"), "/")
	for i := range parts {
		if i == 0 && strings.EqualFold(parts[0], "INBOX") {
			continue
		}
		name := t.serverName(strings.Join(parts[:i+1], "/"))
		if t.known[name] {
			continue
		}
		if err := t.create(ctx, c, mailbox, name); err != nil {
			return err
		}
		t.known[name] = true
	}
	return nil
}

func (t *Target) loadMailboxes(ctx context.Context, c *imapconn.Conn) error {
	known := map[string]bool{"INBOX": true}
	err := c.Do(ctx, func() error {
		cmd := c.List("", "*", nil)
		for l := cmd.Next(); l != nil; l = cmd.Next() {
			known[l.Mailbox] = true
		}
		return cmd.Close()
	})
	if err != nil {
		return fmt.Errorf("imap %s: listing mailboxes: %w", t.cfg.Addr, err)
	}
	t.known = known
	return nil
}

// create sends CREATE for name, accepting a mailbox that exists already.
func (t *Target) create(ctx context.Context, c *imapconn.Conn, mailbox, name string) error {
	err := c.Do(ctx, func() error { return c.Create(name, nil).Wait() })
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return t.wrap("creating mailbox", name, err)
	}
	if ie.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	// Some servers answer a plain NO for an existing mailbox.
	if exists, lerr := t.exists(ctx, c, name); lerr != nil {
		return lerr
	} else if exists {
		return nil
	}
	if imapconn.Classify(err) == imapconn.Temporary {
		return t.wrap("creating mailbox", name, err)
	}
	return &sources.MessageError{
		Location: mailbox,
		Err:      fmt.Errorf("imap server refused to create mailbox %q: %s", name, ie.Text),
	}
}

// exists reports whether the server lists name.
func (t *Target) exists(ctx context.Context, c *imapconn.Conn, name string) (bool, error) {
	var found bool
	err := c.Do(ctx, func() error {
		list, err := c.List("", name, nil).Collect()
		found = len(list) > 0
		return err
	})
	if err != nil {
		return false, t.wrap("listing mailbox", name, err)
	}
	return found, nil
}
