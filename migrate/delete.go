package migrate

import (
	"context"
	"fmt"
	"slices"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/sources"
)

// deleteCopied removes from the source every listed message whose copy
// the journal records (from this run or an earlier one). POP3 commits the
// deletions on QUIT, so the source is closed here and the deletions are
// recorded only once Close succeeded.
func (e *engine) deleteCopied(ctx context.Context, plan []*mailboxPlan) error {
	e.srcMu.Lock()
	defer e.srcMu.Unlock()
	del, ok := e.src.(sources.Deleter)
	if !ok {
		e.sum.DeleteSkipped = "this source cannot delete messages"
		return nil
	}
	type group struct {
		mailbox string
		ids     []string
	}
	var doomed []sources.Message
	var groups []group
	for _, mb := range plan {
		g := group{mailbox: mb.src}
		var copied []int // indexes into mb.all
		err := e.journaled(ctx, e.planList, mb.src, mb.all, func(i int, ent journal.Entry) {
			if !ent.Deleted {
				copied = append(copied, i)
			}
		})
		if err != nil {
			return err
		}
		slices.Sort(copied) // in listing order
		for _, i := range copied {
			m, err := e.planList.get(int(mb.all[i]))
			if err != nil {
				return err
			}
			cur, ok, err := e.current(m)
			if err != nil {
				return err
			}
			if ok {
				doomed = append(doomed, cur)
				g.ids = append(g.ids, m.ID)
			}
		}
		if len(g.ids) > 0 {
			groups = append(groups, g)
		}
	}
	if len(doomed) == 0 {
		return nil
	}
	if err := del.Delete(ctx, doomed); err != nil {
		return fmt.Errorf("deleting copied messages from the source: %w", err)
	}
	for _, m := range doomed {
		e.sum.FreedBytes += m.Size
	}
	if q, ok := e.src.(sources.Quotaer); ok && e.sum.QuotaKnown {
		// IMAP deletions (UID EXPUNGE) have taken effect by now.
		if used, _, ok, err := q.Quota(ctx); err == nil && ok {
			e.sum.QuotaAfter = used
		}
	}
	src := e.src
	e.src = nil
	if err := src.Close(); err != nil {
		return fmt.Errorf("committing deletions on the source: %w (nothing was lost: the messages stay on the source)", err)
	}
	for _, g := range groups {
		if err := e.job.Journal.MarkDeleted(context.WithoutCancel(ctx), e.job.Name, g.mailbox, g.ids); err != nil {
			return err
		}
	}
	e.job.Stats.Deleted.Add(int64(len(doomed)))
	e.emit(Event{Kind: EventDeleted, Count: len(doomed)})
	return nil
}
