package migrate

import (
	"context"

	"github.com/mailferry/mailferry/sources"
)

// Incremental listing: after a run that copied every message of an IMAP
// mailbox, the journal keeps a high-water mark (UIDVALIDITY and the
// highest UID listed), and the next run lists only what arrived since.
// Marks are neither used nor moved when the run needs every message
// (--delete-source, --sync-flags) or leaves some out on purpose (date
// and size filters, which may change between runs).

func (e *engine) marksApply() bool {
	return !e.opts.DeleteSource && !e.opts.SyncFlags && e.opts.Filter == nil
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
	e.sum.Incremental = len(marks) > 0
	e.since = make(map[string]sources.Mark, len(marks))
	for mb, m := range marks {
		e.since[mb] = sources.Mark{UIDValidity: m[0], UID: m[1]}
	}
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
	return e.job.Journal.SetMark(ctx, e.job.Name, mb.src, validity, next-1)
}
