package memsource

import (
	"context"
	"errors"
	"io"

	"github.com/mailferry/mailferry/sources"
)

// StreamingSource returns a source that is also a sources.Streamer. Its
// OpenEach delivers the messages in reverse order (the contract allows
// any), each through Open, so FailOpen and CutAfter apply; a message
// Open refuses with a *sources.MessageError is left out.
func (b *Box) StreamingSource() sources.Source { return streaming{b.Source()} }

type streaming struct{ *Source }

var _ sources.Streamer = streaming{}

func (s streaming) OpenEach(ctx context.Context, msgs []sources.Message, fn func(i int, r io.Reader) error) error {
	for i := len(msgs) - 1; i >= 0; i-- {
		rc, err := s.Open(ctx, msgs[i])
		if errors.As(err, new(*sources.MessageError)) {
			continue
		}
		if err != nil {
			return err
		}
		err = fn(i, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
