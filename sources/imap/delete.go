package imap

import (
	"context"
	"errors"
	"fmt"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/sources"
)

// deleteBatch bounds the UIDs of one STORE/UID EXPUNGE pair, keeping
// command lines short when the UIDs are scattered.
const deleteBatch = 500

// Delete removes exactly the given messages, at once: per mailbox it
// SELECTs (read-write), sends UID STORE uids +FLAGS.SILENT (\Deleted)
// and UID EXPUNGE uids. Other messages, including ones another client
// marked \Deleted, stay. A server without UIDPLUS is refused before
// anything is touched. Messages whose mailbox's UIDVALIDITY changed
// since List are not deleted (they are reported in the error); the other
// mailboxes are processed regardless.
func (s *Source) Delete(ctx context.Context, msgs []sources.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if !s.caps.Has(goimap.CapUIDPlus) && !s.caps.Has(goimap.CapIMAP4rev2) {
		return sources.Permanent(fmt.Errorf("%s: deleting from the source needs the UIDPLUS extension (UID EXPUNGE), which this server does not offer; nothing was deleted (a plain EXPUNGE would also remove messages other clients marked \\Deleted)", s.where))
	}
	type key struct {
		mailbox  string
		validity uint32
	}
	var order []key
	groups := map[key]*goimap.UIDSet{}
	for _, m := range msgs {
		validity, uid, err := ParseID(m.ID)
		if err != nil {
			return fmt.Errorf("%s: %w; nothing was deleted", m.Location, err)
		}
		k := key{normName(m.Mailbox), validity}
		if groups[k] == nil {
			groups[k] = &goimap.UIDSet{}
			order = append(order, k)
		}
		groups[k].AddNum(goimap.UID(uid))
	}
	sess, err := s.pool.get(ctx)
	if err != nil {
		return err
	}
	defer s.pool.put(sess)
	var errs []error
	for _, k := range order {
		if err := s.deleteUIDs(ctx, sess, k.mailbox, k.validity, *groups[k]); err != nil {
			if sess.Broken() || ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteUIDs deletes uids from one mailbox after checking UIDVALIDITY.
func (s *Source) deleteUIDs(ctx context.Context, sess *session, name string, validity uint32, uids goimap.UIDSet) error {
	if err := sess.open(ctx, s.serverName(name), false); err != nil {
		return fmt.Errorf("%s/%s: selecting the mailbox to delete messages: %w", s.where, name, err)
	}
	if sess.uidValidity != validity {
		return fmt.Errorf("%s/%s: UIDVALIDITY changed (listed under %d, now %d); its messages were not deleted", s.where, name, validity, sess.uidValidity)
	}
	all, _ := uids.Nums()
	for len(all) > 0 {
		n := min(len(all), deleteBatch)
		var batch goimap.UIDSet
		batch.AddNum(all[:n]...)
		all = all[n:]
		err := sess.Do(ctx, func() error {
			store := sess.Store(batch, &goimap.StoreFlags{
				Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted},
			}, nil)
			if err := store.Close(); err != nil {
				return fmt.Errorf("marking \\Deleted: %w", err)
			}
			if err := sess.UIDExpunge(batch).Close(); err != nil {
				return fmt.Errorf("UID EXPUNGE: %w", err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s/%s: deleting messages: %w", s.where, name, err)
		}
	}
	return nil
}
