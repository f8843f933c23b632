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
	if err := w.dial(ctx); err != nil {
		return err
	}
	if su, ok := w.t.(target.SpecialUser); ok {
		roles, err := su.SpecialUse(ctx)
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		e.roles = roles
	}
	return nil
}

// prepareMailboxes creates every mapped source folder on the target,
// empty ones included, and copies subscriptions.
func (e *engine) prepareMailboxes(ctx context.Context, w *worker) error {
	if len(e.boxes) == 0 {
		return nil
	}
	if err := w.dial(ctx); err != nil {
		return err
	}
	sub, canSubscribe := w.t.(target.Subscriber)
	for _, b := range sortedBoxes(e.boxes) {
		dst, skip := e.mapMailbox(b.Name)
		if skip {
			continue
		}
		if err := w.t.EnsureMailbox(ctx, dst); err != nil {
			var me *sources.MessageError
			if errors.As(err, &me) {
				e.fail(Failure{Mailbox: b.Name, Location: dst, Err: fmt.Errorf("cannot create the target folder: %w", me.Err)})
				continue
			}
			return err
		}
		if b.Subscribed && canSubscribe {
			if err := sub.Subscribe(ctx, dst); err != nil {
				e.emit(Event{Kind: EventRetry, Mailbox: b.Name, Err: fmt.Errorf("subscribing to %s: %w", dst, err)})
			}
		}
	}
	return nil
}

func sortedBoxes(m map[string]sources.Mailbox) []sources.Mailbox {
	out := make([]sources.Mailbox, 0, len(m))
	for _, b := range m {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b sources.Mailbox) int { return strings.Compare(a.Name, b.Name) })
	return out
}
