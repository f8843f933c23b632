package migrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// resync is a copied message whose source flags changed since.
type resync struct {
	msg sources.Message
	ref string // the copy's Receipt.Ref
	dst string // the target mailbox it was copied to
}

// syncFlags sets the source's current flags on copies made earlier.
// Copies recognised on the target (no UID known) are left as they are.
func (e *engine) syncFlags(ctx context.Context, w *worker, mb *mailboxPlan) error {
	if len(mb.resync) == 0 {
		return nil
	}
	for _, r := range mb.resync {
		flags := r.msg.Flags
		if e.opts.MarkSeen {
			flags = addFlag(flags, `\Seen`)
		}
		unsupported := false
		err := e.withTarget(ctx, w, func(t target.Target) error {
			fs, ok := t.(target.FlagSetter)
			if !ok {
				unsupported = true
				return nil
			}
			return fs.SetFlags(ctx, r.dst, r.ref, flags)
		})
		if unsupported {
			return nil
		}
		var me *sources.MessageError
		switch {
		case errors.As(err, &me):
			e.fail(Failure{Mailbox: r.msg.Mailbox, Location: r.msg.Location, Err: fmt.Errorf("syncing flags: %w", me.Err)})
			continue
		case err != nil:
			return err
		}
		if err := e.job.Journal.SetFlags(ctx, e.job.Name, r.msg.Mailbox, r.msg.ID, flagKey(r.msg.Flags)); err != nil {
			return sources.Permanent(err)
		}
		e.job.Stats.FlagsSynced.Add(1)
	}
	return nil
}
