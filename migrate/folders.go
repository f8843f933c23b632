package migrate

import (
	"context"
	"fmt"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/sources"
)

// Incremental listing: after a run that copied every message of an IMAP
// mailbox, the journal keeps a high-water mark (UIDVALIDITY, the highest
// UID listed and, on CONDSTORE servers, HIGHESTMODSEQ), and the next run
// lists only what arrived since, plus, with a HIGHESTMODSEQ, what
// changed flags since. Marks are neither used nor moved when the run
// needs every message (--delete-source) or leaves some out on purpose
// (date and size filters, which may change between runs); --sync-flags
// uses only marks that carry a HIGHESTMODSEQ.

func (e *engine) marksApply() bool {
	return !e.opts.DeleteSource && e.opts.Filter == nil
}

// loadMarks reads the job's marks for the source to use.
func (e *engine) loadMarks(ctx context.Context) error {
	if !e.marksApply() {
		return nil
	}
	marks, err := e.job.Journal.Marks(ctx, e.job.Name)
	if err != nil {
		return err
	}
	e.since = make(map[string]sources.Mark, len(marks))
	for mb, m := range marks {
		if e.opts.SyncFlags && m.ModSeq == 0 {
			continue // flag changes need the whole listing here
		}
		e.since[mb] = sources.Mark{UIDValidity: m.UIDValidity, UID: m.UID, ModSeq: m.ModSeq}
	}
	e.sum.Incremental = len(e.since) > 0
	return nil
}

// saveMark moves the mailbox's mark to the last UID listed, if every
// message of it is now on the target.
func (e *engine) saveMark(ctx context.Context, mb *mailboxPlan) error {
	if !e.marksApply() || e.opts.DryRun {
		return nil
	}
	e.srcMu.RLock()
	uv, ok := e.src.(sources.UIDValidator)
	e.srcMu.RUnlock()
	if !ok {
		return nil
	}
	e.evMu.Lock()
	for _, f := range e.sum.Failed {
		if f.Mailbox == mb.src {
			e.evMu.Unlock()
			return nil
		}
	}
	e.evMu.Unlock()
	validity, next, ok := uv.MailboxStatus(mb.src)
	if !ok || next <= 1 {
		return nil
	}
	mark := journal.Mark{UIDValidity: validity, UID: next - 1}
	if ms, ok := uv.(sources.ModSeqer); ok {
		mark.ModSeq, _ = ms.HighestModSeq(mb.src)
	}
	return e.job.Journal.SetMark(ctx, e.job.Name, mb.src, mark)
}

// checkValidity compares the source mailbox's UIDVALIDITY with the one
// the journal saw. After a change the mailbox's entries are forgotten:
// its messages have new IDs, and the copies already on the target are
// recognised by identity instead.
func (e *engine) checkValidity(ctx context.Context, mb *mailboxPlan) error {
	uv, ok := e.src.(sources.UIDValidator)
	if !ok || e.opts.DryRun {
		return nil
	}
	validity, _, ok := uv.MailboxStatus(mb.src)
	if !ok {
		return nil
	}
	old, known, err := e.job.Journal.Validity(ctx, e.job.Name, mb.src)
	if err != nil {
		return err
	}
	if known && old == validity {
		return nil
	}
	if known {
		n, err := e.job.Journal.Forget(ctx, e.job.Name, mb.src)
		if err != nil {
			return err
		}
		e.emit(Event{Kind: EventValidity, Mailbox: mb.src, Count: int(n),
			Err: fmt.Errorf("UIDVALIDITY of %s changed from %d to %d: the %d copies made before are recognised by their headers instead", mb.src, old, validity, n)})
	}
	return e.job.Journal.SetValidity(ctx, e.job.Name, mb.src, validity)
}
