package pop3

import (
	"context"
	"errors"
	"io"

	"github.com/mailferry/mailferry/sources"
)

// pipelineWindow is how many RETR commands OpenEach writes ahead of
// their answers: as many as the engine reads in one chunk (a batch of
// 64 messages), and little enough that the commands (about 1 KiB) fit
// the socket buffers while the server is busy sending.
const pipelineWindow = 64

var _ sources.Streamer = (*Source)(nil)

// OpenEach reads msgs with pipelined RETR commands (RFC 2449
// PIPELINING, up to 64 written ahead of their answers) where the server
// announced it, one after the other otherwise, and calls fn with each
// message's index in msgs and its bytes, in the order of msgs. A message
// no longer on the server (not in the listing, or refused with -ERR) is
// left out; Open then reports why.
//
// If fn returns an error while answers are still outstanding, the
// connection is dropped rather than read up to its end. After that, or a
// network failure during OpenEach, the next call on the Source logs in
// again (a new session numbers the messages anew, so it lists first).
// While deletions are pending, which a lost connection would abandon,
// OpenEach reads one message at a time and never drops the connection
// itself.
func (s *Source) OpenEach(ctx context.Context, msgs []sources.Message, fn func(i int, r io.Reader) error) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := s.redial(ctx); err != nil {
		return err
	}
	nums := make([]int, 0, len(msgs))
	index := make([]int, 0, len(msgs)) // index[k]: msgs index of nums[k]
	for i, m := range msgs {
		n, _, err := s.number(ctx, m)
		if errors.As(err, new(*sources.MessageError)) {
			continue
		}
		if err != nil {
			return err
		}
		nums = append(nums, n)
		index = append(index, i)
	}
	window := pipelineWindow
	if s.dele > 0 {
		window = 1
	}
	err := s.c.RetrEach(ctx, nums, window, func(k int, r io.Reader, refused error) error {
		if refused != nil {
			return nil
		}
		return fn(index[k], r)
	})
	if err != nil && s.c.err != nil && s.dele == 0 {
		s.dropped = true
	}
	return err
}

// redial logs in again if OpenEach left the connection unusable.
func (s *Source) redial(ctx context.Context) error {
	if !s.dropped {
		return nil
	}
	c, err := Dial(ctx, s.c.cfg)
	if err != nil {
		return err
	}
	s.c, s.drop, s.dropped = c, nil, false
	return nil
}
