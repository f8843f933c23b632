package imaptarget

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/internal/target"
)

// Index examines mailbox read-only and counts its messages by
// mailhdr.Identity, computed from RFC822.SIZE and the IdentityFields
// header fields (BODY.PEEK[HEADER.FIELDS (...)], which does not set
// \Seen). The FETCH response is consumed one message at a time. A
// mailbox that does not exist has an empty index.
func (t *Target) Index(ctx context.Context, mailbox string) (map[string]int, error) {
	idx := make(map[string]int)
	err := t.index(ctx, mailbox, func(identity, _ string) { idx[identity]++ })
	return idx, err
}

// IndexRefs is Index with each copy's "UIDVALIDITY/UID" (the form of
// Append's receipt), so the engine can journal a copy it recognised with
// its UID, for --sync-flags later.
func (t *Target) IndexRefs(ctx context.Context, mailbox string) (map[string][]string, error) {
	idx := make(map[string][]string)
	err := t.index(ctx, mailbox, func(identity, ref string) { idx[identity] = append(idx[identity], ref) })
	return idx, err
}

var _ target.RefIndexer = (*Target)(nil)

func (t *Target) index(ctx context.Context, mailbox string, add func(identity, ref string)) error {
	c, err := t.session(ctx)
	if err != nil {
		return err
	}
	name := t.serverName(mailbox)
	var selectErr error
	err = c.Do(ctx, func() error {
		sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			selectErr = err
			return err
		}
		if sel.NumMessages == 0 {
			return nil
		}
		cmd := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
			UID:        true,
			RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{{
				Specifier:    imap.PartSpecifierHeader,
				HeaderFields: mailhdr.IdentityFields,
				Peek:         true,
			}},
		})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			buf, err := msg.Collect()
			if err != nil {
				cmd.Close()
				return err
			}
			var header []byte
			if len(buf.BodySection) > 0 {
				header = buf.BodySection[0].Bytes
			}
			add(mailhdr.Identity(buf.RFC822Size, header), fmt.Sprintf("%d/%d", sel.UIDValidity, buf.UID))
		}
		return cmd.Close()
	})
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if selectErr != nil && errors.As(selectErr, &ie) {
		if ie.Code == imap.ResponseCodeNonExistent {
			return nil
		}
		if exists, lerr := t.exists(ctx, c, name); lerr == nil && !exists {
			return nil
		}
	}
	return t.wrap("indexing mailbox", mailbox, err)
}
