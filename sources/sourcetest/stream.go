package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/mailferry/mailferry/sources"
)

// RunStreamer checks the sources.Streamer of a source built by build,
// which must hold exactly the fixtures, in order, in one mailbox:
// OpenEach delivers every listed message once, in any order, with the
// bytes Open gives for it, also for a subset in another order; an error
// from fn stops it, is returned unchanged, and leaves the source usable
// for Open and OpenEach.
func RunStreamer(t *testing.T, build func(t *testing.T, fixtures []Fixture) sources.Source) {
	ctx := context.Background()
	fixtures := Fixtures()

	t.Run("All", func(t *testing.T) {
		src := build(t, fixtures)
		defer src.Close()
		msgs := list(t, src)
		want := make([][]byte, len(msgs))
		for i, m := range msgs {
			want[i] = open(t, src, m)
			if i < len(fixtures) && !bytes.Equal(want[i], fixtures[i].Raw) {
				t.Errorf("Open(%s) = %q, want %q", m.ID, trim(want[i]), trim(fixtures[i].Raw))
			}
		}
		checkEach(t, src, msgs, want)
		// A subset, backwards: indexes refer to the slice passed.
		var sub []sources.Message
		var subWant [][]byte
		for i := len(msgs) - 1; i >= 0; i -= 2 {
			sub = append(sub, msgs[i])
			subWant = append(subWant, want[i])
		}
		checkEach(t, src, sub, subWant)
		checkEach(t, src, nil, nil)
	})

	t.Run("Stop", func(t *testing.T) {
		src := build(t, fixtures)
		defer src.Close()
		msgs := list(t, src)
		stop := errors.New("stop")
		calls := 0
		err := streamerOf(t, src).OpenEach(ctx, msgs, func(i int, r io.Reader) error {
			calls++
			if calls == 2 {
				return stop
			}
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != stop || calls != 2 {
			t.Errorf("OpenEach() with fn failing on the second message = %v after %d calls, want stop after 2", err, calls)
		}
		for _, i := range []int{0, len(msgs) - 1} {
			if got := open(t, src, msgs[i]); !bytes.Equal(got, fixtures[i].Raw) {
				t.Errorf("Open(%s) after a stopped OpenEach = %q, want %q", msgs[i].ID, trim(got), trim(fixtures[i].Raw))
			}
		}
		want := make([][]byte, len(msgs))
		for i := range msgs {
			want[i] = fixtures[i].Raw
		}
		checkEach(t, src, msgs, want)
	})
}

// checkEach runs OpenEach over msgs and compares what it delivers with
// want, parallel to msgs.
func checkEach(t *testing.T, src sources.Source, msgs []sources.Message, want [][]byte) {
	t.Helper()
	got := make([][]byte, len(msgs))
	err := streamerOf(t, src).OpenEach(context.Background(), msgs, func(i int, r io.Reader) error {
		if i < 0 || i >= len(msgs) {
			t.Errorf("OpenEach() delivered index %d of %d messages", i, len(msgs))
			return errors.New("index out of range")
		}
		if got[i] != nil {
			t.Errorf("OpenEach() delivered %s twice", msgs[i].ID)
		}
		b, err := io.ReadAll(r)
		got[i] = append(b, 0)[:len(b)] // non-nil even when empty
		return err
	})
	if err != nil {
		t.Fatalf("OpenEach(%d messages) = %v", len(msgs), err)
	}
	for i, m := range msgs {
		switch {
		case got[i] == nil:
			t.Errorf("OpenEach() left out %s", m.ID)
		case !bytes.Equal(got[i], want[i]):
			t.Errorf("OpenEach() gave %s as %q, want %q (what Open gives)", m.ID, trim(got[i]), trim(want[i]))
		}
	}
}

func streamerOf(t *testing.T, src sources.Source) sources.Streamer {
	t.Helper()
	s, ok := src.(sources.Streamer)
	if !ok {
		t.Fatalf("%T is not a sources.Streamer", src)
	}
	return s
}
