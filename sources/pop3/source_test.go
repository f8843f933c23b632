package pop3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Caps{}, func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
		var raws [][]byte
		for _, f := range fixtures {
			raws = append(raws, f.Raw)
		}
		return newSource(t, pop3test.NewServer(t, pop3test.WithMessages(raws...)))
	})
}

// TestConformanceNoUIDL runs the suite against a server without UIDL,
// where identities are content digests (the fixtures hold twins).
func TestConformanceNoUIDL(t *testing.T) {
	sourcetest.Run(t, sourcetest.Caps{}, func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
		var raws [][]byte
		for _, f := range fixtures {
			raws = append(raws, f.Raw)
		}
		return newSource(t, pop3test.NewServer(t, pop3test.NoUIDL(), pop3test.WithMessages(raws...)))
	})
}

func newSource(t *testing.T, srv *pop3test.Server) *Source {
	t.Helper()
	src, err := New(context.Background(), config(srv))
	if err != nil {
		t.Fatalf("New(%s) = %v", srv.Addr(), err)
	}
	t.Cleanup(func() { src.Client().Close() })
	return src
}

func listAll(t *testing.T, src *Source) []sources.Message {
	t.Helper()
	var msgs []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error {
		msgs = append(msgs, m)
		return nil
	}); err != nil {
		t.Fatalf("List() = %v", err)
	}
	return msgs
}

func TestSourceList(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	msgs := listAll(t, newSource(t, srv))
	if len(msgs) != len(testMessages) {
		t.Fatalf("List() gave %d messages, want %d", len(msgs), len(testMessages))
	}
	for i, m := range msgs {
		wantLoc := fmt.Sprintf("pop3 message %d (uidl %s)", i+1, m.ID)
		if m.Mailbox != "INBOX" || m.ID == "" || !m.SizeExact || m.Size != int64(len(testMessages[i])) ||
			m.Flags != nil || !m.Date.IsZero() || m.Location != wantLoc {
			t.Errorf("List()[%d] = %+v, want INBOX, a UIDL, exact size %d, no flags or date, location %q",
				i, m, len(testMessages[i]), wantLoc)
		}
	}
}

func TestSourceNoUIDL(t *testing.T) {
	twin := []byte("Subject: twin\r\n\r\nsame\r\n")
	srv := pop3test.NewServer(t, pop3test.NoUIDL(), pop3test.WithMessages(twin, testMessages[0], twin, twin))
	src := newSource(t, srv)
	msgs := listAll(t, src)
	sum := sha256.Sum256(twin)
	d := hex.EncodeToString(sum[:])
	want := []string{d, "", d + "#2", d + "#3"}
	for i, m := range msgs {
		if want[i] != "" && m.ID != want[i] {
			t.Errorf("List()[%d].ID = %q, want %q", i, m.ID, want[i])
		}
	}
	if got := srv.Retrs(); got != 4 {
		t.Errorf("Retrs() after List = %d, want 4 (one digest download per message)", got)
	}
	rc, err := src.Open(context.Background(), msgs[2])
	if err != nil {
		t.Fatalf("Open(%s) = %v", msgs[2].ID, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, twin) {
		t.Errorf("Open(%s) = %q, %v, want %q", msgs[2].ID, got, err, twin)
	}
}

func TestSourceDeleteCommitsOnQuit(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	ctx := context.Background()

	// Deletions of a session that never QUITs are abandoned.
	src := newSource(t, srv)
	msgs := listAll(t, src)
	if err := src.Delete(ctx, msgs[:2]); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	src.Client().Close()
	if srv.Deleted() != 2 || srv.Committed() != 0 || len(srv.Messages()) != 4 {
		t.Errorf("after DELE without QUIT: Deleted() = %d, Committed() = %d, %d messages, want 2, 0, 4",
			srv.Deleted(), srv.Committed(), len(srv.Messages()))
	}

	// A failing QUIT commits nothing and says so.
	src = newSource(t, srv)
	msgs = listAll(t, src)
	src.Delete(ctx, msgs[:1])
	srv.ErrOn("QUIT")
	if err := src.Close(); err == nil || !strings.Contains(err.Error(), "not committed") {
		t.Errorf("Close() with a failing QUIT = %v, want a 'not committed' error", err)
	}
	srv.ClearFaults()

	src = newSource(t, srv)
	msgs = listAll(t, src)
	if err := src.Delete(ctx, []sources.Message{msgs[0], msgs[3]}); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	if _, err := src.Open(ctx, msgs[0]); err == nil {
		t.Errorf("Open(deleted %s) = nil error, want one", msgs[0].ID)
	}
	if err := src.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	left := srv.Messages()
	if srv.Committed() != 2 || len(left) != 2 || !bytes.Equal(left[0], testMessages[1]) {
		t.Errorf("after QUIT: Committed() = %d, %d messages left, want 2 and 2", srv.Committed(), len(left))
	}
}

// TestSourceOpenWithoutList opens a message listed by another session,
// as a reconnected source does.
func TestSourceOpenWithoutList(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	first := newSource(t, srv)
	msgs := listAll(t, first)
	first.Close()
	second := newSource(t, srv)
	rc, err := second.Open(context.Background(), msgs[1])
	if err != nil {
		t.Fatalf("Open(%s) on a fresh source = %v", msgs[1].ID, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, testMessages[1]) {
		t.Errorf("Open(%s) = %q, %v, want %q", msgs[1].ID, got, err, testMessages[1])
	}
	gone := sources.Message{ID: "no-such-uidl", Location: "pop3 message ? (uidl no-such-uidl)"}
	var merr *sources.MessageError
	if _, err := second.Open(context.Background(), gone); !errors.As(err, &merr) {
		t.Errorf("Open(unknown) = %v, want *sources.MessageError", err)
	}
}

// TestSourceListAfterDelete lists again in a session that marked a
// message for deletion: LIST skips its number, and the others keep
// theirs.
func TestSourceListAfterDelete(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	ctx := context.Background()
	src := newSource(t, srv)
	first := listAll(t, src)
	if err := src.Delete(ctx, first[1:2]); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	again := listAll(t, src)
	if len(again) != len(first)-1 || again[0].ID != first[0].ID || again[1].ID != first[2].ID {
		t.Fatalf("List() after deleting %s = %+v, want the others", first[1].ID, again)
	}
	wantLoc := fmt.Sprintf("pop3 message 3 (uidl %s)", first[2].ID)
	if again[1].Location != wantLoc {
		t.Errorf("List()[1].Location = %q, want %q", again[1].Location, wantLoc)
	}
	for _, i := range []int{0, 2, 3} {
		rc, err := src.Open(ctx, first[i])
		if err != nil {
			t.Fatalf("Open(%s) = %v", first[i].ID, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, testMessages[i]) {
			t.Errorf("Open(%s) = %q, %v, want %q", first[i].ID, got, err, testMessages[i])
		}
	}
	if _, err := src.Open(ctx, first[1]); err == nil {
		t.Errorf("Open(deleted %s) = nil error, want one", first[1].ID)
	}
}
