package imaptarget

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

var _ target.FlagSetter = (*Target)(nil)

// SetFlags replaces the flags of the stored copy ref ("UIDVALIDITY/UID",
// as Append's receipt gave it) in mailbox with UID STORE FLAGS.SILENT. A
// copy whose mailbox changed UIDVALIDITY since, or that is gone, is a
// *sources.MessageError.
func (t *Target) SetFlags(ctx context.Context, mailbox, ref string, flags []string) error {
	var validity, uid uint32
	if _, err := fmt.Sscanf(ref, "%d/%d", &validity, &uid); err != nil || uid == 0 {
		return &sources.MessageError{Location: mailbox, Err: fmt.Errorf("no UID known for the copy (%q)", ref)}
	}
	c, err := t.session(ctx)
	if err != nil {
		return err
	}
	name := t.serverName(mailbox)
	fl, err := t.appendFlags(ctx, c, name, flags)
	if err != nil {
		return err
	}
	return c.Do(ctx, func() error {
		sel, err := c.Select(name, nil).Wait()
		if err != nil {
			return t.wrap("selecting", mailbox, err)
		}
		if sel.UIDValidity != validity {
			return &sources.MessageError{Location: mailbox, Err: fmt.Errorf("UIDVALIDITY changed from %d to %d; the copy cannot be addressed", validity, sel.UIDValidity)}
		}
		if fl == nil {
			fl = []imap.Flag{}
		}
		err = c.Store(imap.UIDSetNum(imap.UID(uid)), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: fl}, nil).Close()
		if err != nil {
			return t.wrap("storing flags in", mailbox, err)
		}
		return nil
	})
}
