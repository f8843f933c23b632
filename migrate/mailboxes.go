package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// loadMailboxes learns the source's folders (with their special-use
// roles and subscriptions) and the target's special-use mailboxes, so
// that a source's \Sent lands in the target's \Sent whatever each is
// called.
func (e *engine) loadMailboxes(ctx context.Context, w *worker) error {
	e.srcMu.RLock()
	mbx, ok := e.src.(sources.Mailboxer)
	e.srcMu.RUnlock()
	if !ok {
		return nil
	}
	boxes, err := mbx.Mailboxes(ctx)
	if err != nil {
		return fmt.Errorf("source: listing folders: %w", err)
	}
	e.boxes = make(map[string]sources.Mailbox, len(boxes))
	for _, b := range boxes {
		e.boxes[b.Name] = b
	}
	return e.withTarget(ctx, w, func(t target.Target) error {
		su, ok := t.(target.SpecialUser)
		if !ok {
			return nil
		}
		roles, err := su.SpecialUse(ctx)
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		e.roles = roles
		return nil
	})
}

// prepareMailboxes creates every mapped source folder on the target,
// empty ones included, and copies subscriptions.
func (e *engine) prepareMailboxes(ctx context.Context, w *worker) error {
	if len(e.boxes) == 0 {
		return nil
	}
	for _, b := range sortedBoxes(e.boxes) {
		dst, skip := e.mapMailbox(b.Name)
		if skip {
			continue
		}
		err := e.withTarget(ctx, w, func(t target.Target) error { return t.EnsureMailbox(ctx, dst) })
		var me *sources.MessageError
		switch {
		case errors.As(err, &me):
			e.fail(Failure{Mailbox: b.Name, Location: dst, Err: fmt.Errorf("cannot create the target folder: %w", me.Err)})
			continue
		case err != nil:
			return err
		}
		if !b.Subscribed {
			continue
		}
		err = e.withTarget(ctx, w, func(t target.Target) error {
			if sub, ok := t.(target.Subscriber); ok {
				return sub.Subscribe(ctx, dst)
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			// A missing subscription loses no mail: report and go on.
			e.emit(Event{Kind: EventRetry, Mailbox: b.Name, Err: fmt.Errorf("subscribing to %s: %w", dst, err)})
		}
	}
	return nil
}

// withTarget runs fn on the worker's target session, dialling it first,
// and retries temporary failures (a dropped connection, BYE, a refused
// dial) with the same attempts and backoff as message transfers.
// Permanent errors and message errors are returned at once.
func (e *engine) withTarget(ctx context.Context, w *worker, fn func(t target.Target) error) error {
	for attempt := 1; ; attempt++ {
		err := w.dial(ctx)
		if err == nil {
			err = fn(w.t)
		}
		var me *sources.MessageError
		if err == nil || sources.IsPermanent(err) || errors.As(err, &me) || ctx.Err() != nil {
			return err
		}
		w.closeTarget()
		if attempt >= e.opts.Attempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait := backoff(e.opts.Backoff, attempt)
		e.job.Stats.Retries.Add(1)
		e.emit(Event{Kind: EventRetry, Err: err, Wait: wait, Attempt: attempt})
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func sortedBoxes(m map[string]sources.Mailbox) []sources.Mailbox {
	out := make([]sources.Mailbox, 0, len(m))
	for _, b := range m {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b sources.Mailbox) int { return strings.Compare(a.Name, b.Name) })
	return out
}
