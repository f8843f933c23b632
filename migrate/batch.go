package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// Small messages bound for a target.Batcher are gathered and stored
// several at a time (one MULTIAPPEND: one server transaction instead of
// one per message). Larger ones are streamed one by one, so memory stays
// bounded by batchBytes per session.
const (
	batchItems   = 256       // messages per batch
	batchBytes   = 2 << 20   // bytes held per session
	batchMessage = 128 << 10 // larger messages are not batched
	batchAge     = 2 * time.Second
)

// pending is a message read and checked against the target, waiting in a
// batch to be stored.
type pending struct {
	m        sources.Message
	identity string
	item     target.Item
}

// batch is one worker's messages waiting to be stored, all for one
// target mailbox.
type batch struct {
	st      *mailboxState
	items   []pending
	arena   []byte // the items' bytes
	started time.Time
}

// full reports whether the batch must be stored before another message
// can join it.
func (b *batch) full() bool {
	return len(b.items) >= batchItems || len(b.arena)+batchMessage > batchBytes ||
		(len(b.items) > 0 && time.Since(b.started) > batchAge)
}

// room reports whether a message of size bytes fits into the batch.
func (b *batch) room(size int64) bool {
	return len(b.items) < batchItems && int64(len(b.arena))+size <= batchBytes
}

// batchable reports whether the message goes into a batch.
func (w *worker) batchable(size int64) bool {
	_, ok := w.t.(target.Batcher)
	return ok && size <= batchMessage && !w.e.opts.NoBatch
}

// queue reads the message's size bytes from body into the worker's batch.
func (w *worker) queue(st *mailboxState, m sources.Message, identity string, it target.Message, body io.Reader) error {
	b := &w.batch
	if b.arena == nil {
		b.arena = newArena(batchBytes)
	}
	if len(b.items) == 0 {
		b.st, b.started = st, time.Now()
	}
	start := len(b.arena)
	data := b.arena[start : start+int(it.Size)]
	if _, err := io.ReadFull(body, data); err != nil {
		return err
	}
	var one [1]byte
	if n, err := body.Read(one[:]); n > 0 || (err != nil && err != io.EOF) {
		if err == nil {
			err = errSizeMismatch
		}
		return err
	}
	b.arena = b.arena[:start+len(data)]
	b.items = append(b.items, pending{m: m, identity: identity, item: target.Item{Message: it, Data: data}})
	return nil
}

// flush stores the worker's batch, retrying temporary failures like
// transfer. It returns an error only when the whole job must stop.
func (w *worker) flush(ctx context.Context) error {
	b := &w.batch
	if len(b.items) == 0 {
		return nil
	}
	err := w.store(ctx, b.st, b.items)
	b.items, b.arena, b.st = b.items[:0], b.arena[:0], nil
	return err
}

// store stores items, retrying temporary failures; a batch the server
// refuses is stored one message at a time, so only the bad message fails.
func (w *worker) store(ctx context.Context, st *mailboxState, items []pending) error {
	reclaim := false
	for attempt := 1; ; attempt++ {
		rest, err := w.tryStore(ctx, st, items, reclaim)
		if err == nil {
			return nil
		}
		items = rest
		var me *sources.MessageError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &me) && len(items) > 1:
			for _, p := range items {
				if err := w.store(ctx, st, []pending{p}); err != nil {
					return err
				}
			}
			return nil
		case errors.As(err, &me):
			w.failed(st, items[0].m, me.Err)
			return nil
		case sources.IsPermanent(err):
			return err
		}
		// Temporary: the batch may or may not have landed. Look again
		// before the next attempt and take what did as found.
		st.markStale()
		reclaim = true
		if !errors.As(err, &dialError{}) {
			w.closeTarget()
		}
		if attempt >= w.e.opts.Attempts {
			for _, p := range items {
				w.failed(st, p.m, err)
			}
			if n := w.e.tempFailures.Add(int32(len(items))); n >= maxTempFailures {
				return fmt.Errorf("%d messages in a row failed for temporary reasons, last: %w (nothing is lost: run again later)", n, err)
			}
			return nil
		}
		wait := backoff(w.e.opts.Backoff, attempt)
		w.e.job.Stats.Retries.Add(1)
		w.e.emit(Event{Kind: EventRetry, Mailbox: items[0].m.Mailbox, Message: items[0].m, Err: err, Wait: wait, Attempt: attempt})
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// tryStore makes one attempt at storing items; rest are those not known
// to be stored.
func (w *worker) tryStore(ctx context.Context, st *mailboxState, items []pending, reclaim bool) (rest []pending, err error) {
	if err := w.dial(ctx); err != nil {
		return items, dialError{err}
	}
	if err := w.reindex(ctx, st); err != nil {
		return items, err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	if reclaim {
		keep := items[:0:0]
		for _, p := range items {
			if ref, ok := st.claim(p.identity); ok {
				if err := w.e.job.Journal.Queue(ctx, w.e.entry(st.plan, p.m, p.identity, p.item.Size, "found", ref, p.m.Flags)); err != nil {
					return items, sources.Permanent(err)
				}
				w.e.job.Stats.AlreadyThere.Add(1)
				w.e.emit(Event{Kind: EventFound, Mailbox: p.m.Mailbox, Target: st.plan.dst, Message: p.m})
				continue
			}
			keep = append(keep, p)
		}
		items = keep
		if len(items) == 0 {
			return nil, nil
		}
	}
	list := make([]target.Item, len(items))
	for i, p := range items {
		list[i] = p.item
	}
	if err := w.e.noteAppending(ctx, st.plan.dst); err != nil {
		return items, err
	}
	receipts, err := w.t.(target.Batcher).AppendBatch(ctx, st.plan.dst, list)
	for i, rc := range receipts[:min(len(receipts), len(items))] {
		p := items[i]
		if jerr := w.e.job.Journal.Queue(ctx, w.e.entry(st.plan, p.m, p.identity, p.item.Size, "appended", rc.Ref, p.m.Flags)); jerr != nil {
			return items[i:], sources.Permanent(jerr)
		}
		w.e.job.Stats.Copied.Add(1)
		w.e.job.Stats.Bytes.Add(p.item.Size)
		w.e.emit(Event{Kind: EventCopied, Mailbox: p.m.Mailbox, Target: st.plan.dst, Message: p.m})
	}
	if err != nil {
		return items[min(len(receipts), len(items)):], err
	}
	w.e.tempFailures.Store(0)
	return nil, nil
}

// failed records a message that could not be stored.
func (w *worker) failed(st *mailboxState, m sources.Message, err error) {
	w.e.fail(Failure{Mailbox: m.Mailbox, Location: m.Location, Err: err})
	w.e.emit(Event{Kind: EventFailed, Mailbox: m.Mailbox, Target: st.plan.dst, Message: m, Err: err})
}
