package journal

import (
	"context"
	"time"
)

// Batching: Queue commits when this many entries wait, or when the
// oldest waiting entry is this old.
const (
	batchSize = 256
	batchAge  = 250 * time.Millisecond
)

// Queue records an entry, committing it together with others in one
// transaction a little later (see Flush). An entry that is lost in a
// crash before its commit costs nothing but time: the engine finds the
// copy on the target on the next run. Whatever must be durable before
// an irreversible step (deleting from the source, counting identities)
// is committed with Flush first.
func (j *Journal) Queue(ctx context.Context, e Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.queue) == 0 {
		j.lastFlush = time.Now()
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	j.queue = append(j.queue, e)
	if len(j.queue) >= batchSize || time.Since(j.lastFlush) >= batchAge {
		return j.flushLocked(ctx)
	}
	return nil
}

// Flush commits every queued entry.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.flushLocked(ctx)
}

func (j *Journal) flushLocked(ctx context.Context) error {
	if len(j.queue) == 0 {
		return nil
	}
	if err := j.Record(context.WithoutCancel(ctx), j.queue...); err != nil {
		return err
	}
	j.queue = j.queue[:0]
	j.lastFlush = time.Now()
	return nil
}
