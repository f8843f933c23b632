package migrate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// worker copies messages over one target session.
type worker struct {
	e      *engine
	t      target.Target
	br     *bufio.Reader
	header []byte
	spool  *spool
	batch  batch // small messages waiting to be stored together
}

func newWorker(e *engine) *worker {
	return &worker{e: e, br: bufio.NewReaderSize(nil, mailhdr.MaxPeek), spool: newSpool(e.opts.SpoolDir)}
}

// maxTempFailures is how many messages in a row may fail for temporary
// reasons (all attempts used) before the job stops.
const maxTempFailures = 3

// errors that steer the retry loop
var errSizeMismatch = errors.New("the source delivered a different size than it announced")

type sourceError struct{ err error }

func (e sourceError) Error() string { return "source: " + e.err.Error() }
func (e sourceError) Unwrap() error { return e.err }

type dialError struct{ err error }

func (e dialError) Error() string { return e.err.Error() }
func (e dialError) Unwrap() error { return e.err }

// transfer copies one message, retrying temporary failures. It returns
// an error only when the whole job must stop.
func (w *worker) transfer(ctx context.Context, st *mailboxState, m sources.Message) error {
	// A message too big for the batch goes after the batch, so the
	// target stores messages in the source's order.
	if w.batch.full() || (len(w.batch.items) > 0 && m.Size > batchMessage) {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	forceSpool := false
	for attempt := 1; ; attempt++ {
		err := w.try(ctx, st, m, forceSpool)
		if err == nil {
			return nil
		}
		var me *sources.MessageError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &me):
			w.e.fail(Failure{Mailbox: m.Mailbox, Location: m.Location, Err: me.Err})
			w.e.emit(Event{Kind: EventFailed, Mailbox: m.Mailbox, Target: st.plan.dst, Message: m, Err: me.Err})
			return nil
		case sources.IsPermanent(err):
			return err
		}
		w.recover(ctx, st, err)
		if errors.Is(err, errSizeMismatch) {
			forceSpool = true
		}
		if attempt >= w.e.opts.Attempts {
			if errors.As(err, &dialError{}) || errors.As(err, &sourceError{}) {
				return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
			}
			w.e.fail(Failure{Mailbox: m.Mailbox, Location: m.Location, Err: err})
			w.e.emit(Event{Kind: EventFailed, Mailbox: m.Mailbox, Target: st.plan.dst, Message: m, Err: err})
			// A server that fails message after message for temporary
			// reasons is down, not refusing messages: stop the job
			// rather than spend every message's attempts on it.
			if n := w.e.tempFailures.Add(1); n >= maxTempFailures {
				return fmt.Errorf("%d messages in a row failed for temporary reasons, last: %w (nothing is lost: run again later)", n, err)
			}
			return nil
		}
		wait := backoff(w.e.opts.Backoff, attempt)
		if errors.Is(err, errSizeMismatch) {
			wait = 0
		}
		w.e.job.Stats.Retries.Add(1)
		w.e.emit(Event{Kind: EventRetry, Mailbox: m.Mailbox, Message: m, Err: err, Wait: wait, Attempt: attempt})
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// recover prepares the next attempt after a temporary failure: the
// append may or may not have landed, so the mailbox index is rebuilt
// before the next claim; a failed source or target is reconnected.
func (w *worker) recover(ctx context.Context, st *mailboxState, err error) {
	st.markStale()
	if errors.As(err, &sourceError{}) {
		w.reopenSource(ctx)
	}
	if !errors.As(err, &dialError{}) {
		w.closeTarget()
	}
}

// reopenSource reconnects the source after a failure, unless another
// worker already did.
func (w *worker) reopenSource(ctx context.Context) {
	w.e.srcMu.Lock()
	defer w.e.srcMu.Unlock()
	if _, err := w.e.reopenLocked(ctx); err != nil {
		w.e.src = nil // the next attempt reports it
	}
}

// begin readies an attempt: the target session is dialed, the mailbox
// indexed, the mailbox state held for reading (no rebuild while a copy
// is claimed, appended and recorded) and the source held (shared if it
// reads concurrently). end releases them.
func (w *worker) begin(ctx context.Context, st *mailboxState) (end func(), err error) {
	if err := w.dial(ctx); err != nil {
		return nil, dialError{err}
	}
	if err := w.reindex(ctx, st); err != nil {
		return nil, err
	}
	st.mu.RLock()
	lock, unlock := w.e.srcMu.Lock, w.e.srcMu.Unlock
	if w.e.concurrent {
		lock, unlock = w.e.srcMu.RLock, w.e.srcMu.RUnlock
	}
	lock()
	end = func() {
		unlock()
		st.mu.RUnlock()
	}
	if w.e.src == nil {
		end()
		return nil, sourceError{errors.New("not connected")}
	}
	return end, nil
}

// try makes one attempt at copying m.
func (w *worker) try(ctx context.Context, st *mailboxState, m sources.Message, forceSpool bool) error {
	end, err := w.begin(ctx, st)
	if err != nil {
		return err
	}
	defer end()
	cur, ok, err := w.e.current(m)
	if err != nil {
		return sources.Permanent(err)
	}
	if !ok {
		return &sources.MessageError{Location: m.Location, Err: errors.New("the message is no longer on the source")}
	}
	rc, err := w.e.src.Open(ctx, cur)
	if err != nil {
		var me *sources.MessageError
		if sources.IsPermanent(err) || errors.As(err, &me) {
			return err
		}
		return sourceError{err}
	}
	defer rc.Close()
	sr := &sourceReader{r: rc}
	return w.copy(ctx, st, cur, sr, forceSpool)
}

// copy reads the message from sr and appends it unless the target
// already holds an unaccounted copy.
func (w *worker) copy(ctx context.Context, st *mailboxState, m sources.Message, sr *sourceReader, forceSpool bool) error {
	w.br.Reset(sr)
	w.header = append(w.header[:0], mailhdr.Peek(w.br)...)
	if sr.err != nil {
		return sourceError{sr.err}
	}
	date := m.Date
	if date.IsZero() {
		if d, ok := mailhdr.ArrivalDate(w.header); ok {
			date = d
		} else {
			date = w.e.now()
		}
	}
	flags := m.Flags
	if flags == nil {
		flags = mailhdr.Flags(w.header)
	}
	if w.e.opts.MarkSeen {
		flags = addFlag(flags, `\Seen`)
	}

	var body io.Reader
	var size int64
	var exact *exactReader
	if m.SizeExact && !forceSpool {
		size = m.Size
		exact = &exactReader{r: w.br, left: size}
		body = exact
	} else {
		if err := w.spool.fill(w.br); err != nil {
			if sr.err != nil {
				return sourceError{sr.err}
			}
			return err
		}
		size = w.spool.size
		body = w.spool.reader()
		if size == 0 && m.Size > 0 && m.SizeExact {
			// An empty body for a message listed with content is the
			// server's failure to serve it, not the message.
			return &sources.MessageError{Location: m.Location, Err: fmt.Errorf("the source listed %d bytes but delivered an empty message; not copied", m.Size)}
		}
	}
	identity := mailhdr.Identity(size, w.header)

	if ref, ok := st.claim(identity); ok {
		if err := w.e.job.Journal.Queue(ctx, w.e.entry(st.plan, m, identity, size, "found", ref, m.Flags)); err != nil {
			return sources.Permanent(err)
		}
		w.e.job.Stats.AlreadyThere.Add(1)
		w.e.emit(Event{Kind: EventFound, Mailbox: m.Mailbox, Target: st.plan.dst, Message: m})
		return nil
	}

	if w.batchable(size) && w.batch.room(size) {
		err := w.queue(st, m, identity, target.Message{Flags: flags, Date: date, Size: size}, body)
		switch {
		case err == nil:
			return nil
		case sr.err != nil:
			return sourceError{sr.err}
		case exact != nil && exact.mismatch || errors.Is(err, errSizeMismatch) || errors.Is(err, io.ErrUnexpectedEOF):
			return errSizeMismatch
		}
		return sourceError{err}
	}

	if err := w.e.noteAppending(ctx, st.plan.dst); err != nil {
		return err
	}
	counted := &countingReader{r: body, n: &w.e.job.Stats.Bytes}
	receipt, err := w.t.Append(ctx, st.plan.dst, target.Message{Flags: flags, Date: date, Size: size}, counted)
	if err != nil {
		w.e.job.Stats.Bytes.Add(-counted.read)
		switch {
		case sr.err != nil:
			return sourceError{sr.err}
		case exact != nil && exact.mismatch:
			return errSizeMismatch
		}
		return err
	}
	if err := w.e.job.Journal.Queue(ctx, w.e.entry(st.plan, m, identity, size, "appended", receipt.Ref, m.Flags)); err != nil {
		return sources.Permanent(err)
	}
	w.e.job.Stats.Copied.Add(1)
	w.e.tempFailures.Store(0)
	w.e.emit(Event{Kind: EventCopied, Mailbox: m.Mailbox, Target: st.plan.dst, Message: m})
	return nil
}

func addFlag(flags []string, f string) []string {
	for _, x := range flags {
		if x == f {
			return flags
		}
	}
	return append(append([]string(nil), flags...), f)
}
