package migrate

import (
	"context"
	"errors"
	"io"

	"github.com/mailferry/mailferry/sources"
)

// chunkLen returns how many of todo's first messages are read together
// from a sources.Streamer: as many small ones as one batch holds, so
// that the batch never fills in the middle of a read, or a run of up to
// largeRun messages too big for a batch, each streamed to the target
// while the next is already on its way (the source's order is kept).
func chunkLen(todo []sources.Message, streaming bool) int {
	if !streaming || len(todo) < 2 {
		return min(len(todo), 1)
	}
	if todo[0].Size > batchMessage {
		n := 1
		for n < len(todo) && n < largeRun && todo[n].Size > batchMessage {
			n++
		}
		return n
	}
	n, bytes := 0, int64(0)
	for n < len(todo) && n < batchItems {
		s := todo[n].Size
		if s > batchMessage || bytes+s > batchBytes {
			break
		}
		bytes += s
		n++
	}
	return n
}

// transferChunk copies msgs, read with one request where the source
// allows; the messages that read did not deliver go one by one through
// transfer, with its retries and reports.
func (w *worker) transferChunk(ctx context.Context, st *mailboxState, msgs []sources.Message) error {
	done := make([]bool, len(msgs))
	if len(msgs) > 1 {
		if err := w.flush(ctx); err != nil {
			return err
		}
		err := w.tryChunk(ctx, st, msgs, done)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case sources.IsPermanent(err):
			return err
		case !errors.As(err, new(*sources.MessageError)) && !errors.Is(err, errNotStreamer):
			w.recover(ctx, st, err)
		}
	}
	for i, m := range msgs {
		if done[i] {
			continue
		}
		if err := w.transfer(ctx, st, m); err != nil {
			return err
		}
	}
	return nil
}

// largeRun is the most large messages read with one request.
const largeRun = 16

var errNotStreamer = errors.New("source reads one message at a time")

// tryChunk reads msgs with one sources.Streamer request and copies each
// message as it arrives, marking it done.
func (w *worker) tryChunk(ctx context.Context, st *mailboxState, msgs []sources.Message, done []bool) error {
	end, err := w.begin(ctx, st)
	if err != nil {
		return err
	}
	defer end()
	bs, ok := w.e.src.(sources.Streamer)
	if !ok {
		return errNotStreamer
	}
	var cur []sources.Message
	var index []int
	for i, m := range msgs {
		c, ok, err := w.e.current(m)
		if err != nil {
			return sources.Permanent(err)
		}
		if ok {
			cur = append(cur, c)
			index = append(index, i)
		}
	}
	var copyErr error
	err = bs.OpenEach(ctx, cur, func(j int, r io.Reader) error {
		if err := w.copy(ctx, st, cur[j], &sourceReader{r: r}, false); err != nil {
			copyErr = err // classified by copy
			return err
		}
		done[index[j]] = true
		return nil
	})
	if err != nil && copyErr == nil && !errors.As(err, new(*sources.MessageError)) && !sources.IsPermanent(err) {
		return sourceError{err}
	}
	return err
}
