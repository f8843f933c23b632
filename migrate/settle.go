package migrate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// settleTime is the default Options.Settle: how long after the last
// append a run could not see answered it waits before looking at the
// mailbox, long enough for a server to commit a batch whose bytes had
// all arrived when the earlier process died (see journal.MarkAppending).
const settleTime = 3 * time.Second

// markEvery bounds how often the note is rewritten while appending (a
// quarter of Settle if that is shorter); Settle counts from the note, so
// it covers appends started up to markEvery after it.
const markEvery = 500 * time.Millisecond

// appendMarks remembers when each target mailbox's note was written.
type appendMarks struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// noteAppending writes the journal's note for dst before an append,
// at most every markEvery.
func (e *engine) noteAppending(ctx context.Context, dst string) error {
	e.marks.mu.Lock()
	defer e.marks.mu.Unlock()
	now := e.now()
	if last, ok := e.marks.last[dst]; ok && now.Sub(last) < min(markEvery, e.opts.Settle/4) {
		return nil
	}
	if e.marks.last == nil {
		e.marks.last = map[string]time.Time{}
	}
	if err := e.job.Journal.MarkAppending(ctx, e.job.Name, dst, now); err != nil {
		return sources.Permanent(err)
	}
	e.marks.last[dst] = now
	return nil
}

// appendsAnswered forgets the note once every append into dst was
// answered.
func (e *engine) appendsAnswered(ctx context.Context, dst string) error {
	e.marks.mu.Lock()
	defer e.marks.mu.Unlock()
	delete(e.marks.last, dst)
	return e.job.Journal.ClearAppending(ctx, e.job.Name, dst)
}

// settle waits, before dst is indexed, until settleTime has passed since
// an append that was never answered (a killed run, or a connection lost
// in this one).
func (e *engine) settle(ctx context.Context, dst string) error {
	at, ok, err := e.job.Journal.LastAppending(ctx, e.job.Name, dst)
	if err != nil {
		return sources.Permanent(err)
	}
	if !ok {
		return nil
	}
	settle := e.opts.Settle
	wait := at.Add(settle).Sub(e.now())
	if wait <= 0 {
		return nil
	}
	if wait > settle {
		wait = settle // a clock that went back
	}
	e.emit(Event{Kind: EventRetry, Mailbox: dst, Wait: wait,
		Err: fmt.Errorf("an append into %s was not answered %v ago; waiting for the server to finish it before looking", dst, e.now().Sub(at).Round(time.Millisecond))})
	return sleep(ctx, wait)
}
