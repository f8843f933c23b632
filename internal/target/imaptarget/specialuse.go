package imaptarget

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/target"
)

var (
	_ target.SpecialUser = (*Target)(nil)
	_ target.Subscriber  = (*Target)(nil)
)

// specialUses are the roles the engine maps by.
var specialUses = []imap.MailboxAttr{
	imap.MailboxAttrSent, imap.MailboxAttrDrafts, imap.MailboxAttrTrash,
	imap.MailboxAttrJunk, imap.MailboxAttrArchive, imap.MailboxAttrAll,
}

// SpecialUse lists the account's mailboxes with their special-use
// attributes (RFC 6154) and returns role -> mailbox name, in
// mailferry's UTF-8 "/"-separated form.
func (t *Target) SpecialUse(ctx context.Context) (map[string]string, error) {
	c, err := t.session(ctx)
	if err != nil {
		return nil, err
	}
	roles := map[string]string{}
	err = c.Do(ctx, func() error {
		var opts *imap.ListOptions
		if c.Caps().Has(imap.CapSpecialUse) {
			opts = &imap.ListOptions{ReturnSpecialUse: true}
		}
		cmd := c.List("", "*", opts)
		for l := cmd.Next(); l != nil; l = cmd.Next() {
			for _, a := range l.Attrs {
				for _, su := range specialUses {
					if a == su {
						if _, dup := roles[string(su)]; !dup {
							roles[string(su)] = imapconn.FromServerName(l.Mailbox, t.delim, t.prefix)
						}
					}
				}
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("imap %s: listing special-use mailboxes: %w", t.cfg.Addr, err)
	}
	return roles, nil
}

// Subscribe subscribes the account to mailbox.
func (t *Target) Subscribe(ctx context.Context, mailbox string) error {
	c, err := t.session(ctx)
	if err != nil {
		return err
	}
	name := t.serverName(mailbox)
	if err := c.Do(ctx, func() error { return c.Client.Subscribe(name).Wait() }); err != nil {
		return t.wrap("subscribing to", mailbox, err)
	}
	return nil
}
