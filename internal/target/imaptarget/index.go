package imaptarget

import (
	"context"
	"errors"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/mailhdr"
)

// Index examines mailbox read-only and counts its messages by
// mailhdr.Identity, computed from RFC822.SIZE and the IdentityFields
// header fields (BODY.PEEK[HEADER.FIELDS (...)], which does not set
// \Seen). The FETCH response is consumed one message at a time. A
// mailbox that does not exist has an empty index.
func (t *Target) Index(ctx context.Context, mailbox string) (map[string]int, error) {
	c, err := t.session(ctx)
	if err != nil {
		return nil, err
	}
	name := t.serverName(mailbox)
	idx := make(map[string]int)
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
			idx[mailhdr.Identity(buf.RFC822Size, header)]++
		}
		return cmd.Close()
	})
	if err == nil {
		return idx, nil
	}
	var ie *imap.Error
	if selectErr != nil && errors.As(selectErr, &ie) {
		if ie.Code == imap.ResponseCodeNonExistent {
			return map[string]int{}, nil
		}
		if exists, lerr := t.exists(ctx, c, name); lerr == nil && !exists {
			return map[string]int{}, nil
		}
	}
	return nil, t.wrap("indexing mailbox", mailbox, err)
}
