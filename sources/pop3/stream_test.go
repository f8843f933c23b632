package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

func TestStreamerConformance(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			sourcetest.RunStreamer(t, func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
				opts := []pop3test.Option{}
				if pipelining {
					opts = append(opts, pop3test.WithPipelining())
				}
				for _, f := range fixtures {
					opts = append(opts, pop3test.WithMessages(f.Raw))
				}
				return newSource(t, pop3test.NewServer(t, opts...))
			})
		})
	}
}

// openEach runs OpenEach and returns what it delivered, by index.
func openEach(ctx context.Context, src *Source, msgs []sources.Message) (map[int][]byte, error) {
	got := map[int][]byte{}
	err := src.OpenEach(ctx, msgs, func(i int, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[i] = b
		return err
	})
	return got, err
}

// checkAll fails unless got holds want[i] for each i in idx and nothing
// else.
func checkAll(t *testing.T, got map[int][]byte, want [][]byte, idx ...int) {
	t.Helper()
	if len(got) != len(idx) {
		t.Errorf("OpenEach() delivered %d messages, want %d (%v)", len(got), len(idx), idx)
	}
	for _, i := range idx {
		if b, ok := got[i]; !ok || !bytes.Equal(b, want[i]) {
			t.Errorf("OpenEach() message %d = %d bytes (delivered %v), want %d bytes", i, len(b), ok, len(want[i]))
		}
	}
}

// TestOpenEachPipelined proves the RETRs are pipelined: the server
// answers none until it has read a whole window of them.
func TestOpenEachPipelined(t *testing.T) {
	raws := make([][]byte, 64)
	for i := range raws {
		raws[i] = testMessages[i%len(testMessages)]
	}
	srv := pop3test.NewServer(t, pop3test.WithPipelining(), pop3test.WithMessages(raws...))
	src := newSource(t, srv)
	msgs := listAll(t, src)
	srv.HoldRetrs(64)
	got, err := openEach(context.Background(), src, msgs)
	if err != nil {
		t.Fatalf("OpenEach(64 messages) = %v", err)
	}
	checkAll(t, got, raws, seq(64)...)
	if n := srv.MaxHeld(); n != 64 {
		t.Errorf("server read %d RETRs before answering one, want 64", n)
	}
}

// TestOpenEachWindow reads more messages than one window holds: the
// commands go out in refills of half a window.
func TestOpenEachWindow(t *testing.T) {
	raws := make([][]byte, 160)
	for i := range raws {
		raws[i] = []byte(fmt.Sprintf("Subject: %d\r\n\r\n.%d\r\n", i, i))
	}
	srv := pop3test.NewServer(t, pop3test.WithPipelining(), pop3test.WithMessages(raws...))
	src := newSource(t, srv)
	msgs := listAll(t, src)
	srv.HoldRetrs(pipelineWindow / 2) // 64 at first, then 32 per refill
	got, err := openEach(context.Background(), src, msgs)
	if err != nil {
		t.Fatalf("OpenEach(160 messages) = %v", err)
	}
	checkAll(t, got, raws, seq(160)...)
	if n := srv.Retrs(); n != 160 {
		t.Errorf("Retrs() = %d, want 160", n)
	}
}

// TestOpenEachBytes compares OpenEach with Open for the client test
// messages (a 1.1 MB line starting with a dot, bare LF, 8-bit bytes),
// with and without pipelining.
func TestOpenEachBytes(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		opts := []pop3test.Option{pop3test.WithMessages(testMessages...)}
		if pipelining {
			opts = append(opts, pop3test.WithPipelining())
		}
		srv := pop3test.NewServer(t, opts...)
		src := newSource(t, srv)
		if src.Client().Pipelining() != pipelining {
			t.Errorf("Pipelining() = %v, want %v", src.Client().Pipelining(), pipelining)
		}
		msgs := listAll(t, src)
		got, err := openEach(context.Background(), src, msgs)
		if err != nil {
			t.Fatalf("OpenEach() with pipelining=%v = %v", pipelining, err)
		}
		checkAll(t, got, testMessages, 0, 1, 2, 3)
	}
}

// TestOpenEachLeftOut leaves out a message the server refuses in the
// middle of the pipeline, and one this session deleted.
func TestOpenEachLeftOut(t *testing.T) {
	ctx := context.Background()
	srv := pop3test.NewServer(t, pop3test.WithPipelining(), pop3test.WithMessages(testMessages...))
	src := newSource(t, srv)
	msgs := listAll(t, src)
	srv.RefuseRetr(1)
	got, err := openEach(ctx, src, msgs)
	if err != nil {
		t.Fatalf("OpenEach() with message 2 refused = %v", err)
	}
	checkAll(t, got, testMessages, 0, 2, 3)
	var merr *sources.MessageError
	if _, err := src.Open(ctx, msgs[1]); !errors.As(err, &merr) {
		t.Errorf("Open(refused %s) = %v, want *sources.MessageError", msgs[1].ID, err)
	}

	// A deleted message is not even asked for.
	srv.ClearFaults()
	if err := src.Delete(ctx, msgs[3:]); err != nil {
		t.Fatalf("Delete(%s) = %v", msgs[3].ID, err)
	}
	retrs := srv.Retrs()
	got, err = openEach(ctx, src, msgs)
	if err != nil {
		t.Fatalf("OpenEach() after deleting message 4 = %v", err)
	}
	checkAll(t, got, testMessages, 0, 1, 2)
	if n := srv.Retrs() - retrs; n != 3 {
		t.Errorf("OpenEach() sent %d RETRs, want 3", n)
	}
	if err := src.Close(); err != nil || srv.Committed() != 1 {
		t.Errorf("Close() = %v, Committed() = %d, want nil, 1", err, srv.Committed())
	}
}

// TestOpenEachCut drops the connection in the middle of the third
// message: OpenEach fails, what came before is whole, and the next call
// logs in again.
func TestOpenEachCut(t *testing.T) {
	ctx := context.Background()
	srv := pop3test.NewServer(t, pop3test.WithPipelining(), pop3test.WithMessages(testMessages...))
	src := newSource(t, srv)
	msgs := listAll(t, src)
	srv.FailRetrAt(2, 1000)
	got, err := openEach(ctx, src, msgs)
	if err == nil || errors.As(err, new(*sources.MessageError)) {
		t.Fatalf("OpenEach() cut in message 3 = %v, want a connection error", err)
	}
	if len(got) != 3 || !bytes.Equal(got[0], testMessages[0]) || !bytes.Equal(got[1], testMessages[1]) || len(got[2]) > 1000 {
		t.Errorf("OpenEach() cut in message 3 delivered %d messages, want 2 whole and the start of the third", len(got))
	}
	got, err = openEach(ctx, src, msgs)
	if err != nil {
		t.Fatalf("OpenEach() after a cut = %v", err)
	}
	checkAll(t, got, testMessages, 0, 1, 2, 3)
	if n := srv.Logins(); n != 2 {
		t.Errorf("Logins() = %d, want 2", n)
	}
}

// TestOpenEachStop stops at the first message: with answers outstanding
// the connection is dropped and the next call logs in again; without
// (no pipelining), the session goes on.
func TestOpenEachStop(t *testing.T) {
	for _, tt := range []struct {
		pipelining bool
		logins     int
	}{{true, 2}, {false, 1}} {
		ctx := context.Background()
		opts := []pop3test.Option{pop3test.WithMessages(testMessages...)}
		if tt.pipelining {
			opts = append(opts, pop3test.WithPipelining())
		}
		srv := pop3test.NewServer(t, opts...)
		src := newSource(t, srv)
		msgs := listAll(t, src)
		stop := errors.New("stop")
		err := src.OpenEach(ctx, msgs, func(i int, r io.Reader) error {
			io.CopyN(io.Discard, r, 5)
			return stop
		})
		if err != stop {
			t.Errorf("OpenEach() with fn failing = %v, want stop", err)
		}
		rc, err := src.Open(ctx, msgs[2])
		if err != nil {
			t.Fatalf("Open(%s) after a stopped OpenEach = %v", msgs[2].ID, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, testMessages[2]) {
			t.Errorf("Open(%s) after a stopped OpenEach = %d bytes, %v, want %d bytes", msgs[2].ID, len(b), err, len(testMessages[2]))
		}
		if n := srv.Logins(); n != tt.logins {
			t.Errorf("pipelining=%v: Logins() = %d, want %d", tt.pipelining, n, tt.logins)
		}
	}
}

// TestOpenEachCancel cancels the context in the middle: OpenEach fails
// with the cancellation, and the next call logs in again.
func TestOpenEachCancel(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithPipelining(), pop3test.WithMessages(testMessages...))
	src := newSource(t, srv)
	msgs := listAll(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	err := src.OpenEach(ctx, msgs, func(i int, r io.Reader) error {
		if i == 2 {
			cancel()
		}
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("OpenEach() cancelled = %v, want context.Canceled", err)
	}
	got, err := openEach(context.Background(), src, msgs)
	if err != nil {
		t.Fatalf("OpenEach() after a cancelled one = %v", err)
	}
	checkAll(t, got, testMessages, 0, 1, 2, 3)
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
