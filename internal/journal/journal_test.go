package journal

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRecordAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state", "state.db")
	j, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	e := Entry{Job: "j", SrcMailbox: "INBOX", SrcID: "u1", DstMailbox: "INBOX", Identity: "k", Size: 10, How: "appended", TargetRef: "1/5"}
	e2 := e
	e2.SrcID = "u2"
	if err := j.Record(ctx, e, e2); err != nil {
		t.Fatalf("Record() = %v", err)
	}
	if err := j.MarkDeleted(ctx, "j", "INBOX", []string{"u1"}); err != nil {
		t.Fatalf("MarkDeleted() = %v", err)
	}
	j.Close()

	j, err = Open(path)
	if err != nil {
		t.Fatalf("reopen = %v", err)
	}
	defer j.Close()
	got, err := j.Copied(ctx, "j", "INBOX")
	if err != nil || len(got) != 2 || !got["u1"].Deleted || got["u2"].Deleted || got["u1"].TargetRef != "1/5" {
		t.Fatalf("Copied() = %+v, %v; want u1 (deleted, ref 1/5) and u2", got, err)
	}
	counts, err := j.IdentityCounts(ctx, "j", "INBOX")
	if err != nil || counts["k"] != 2 {
		t.Fatalf("IdentityCounts() = %v, %v; want k:2", counts, err)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("mode of %s = %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}

// TestEachCopiedOrder checks that entries come in Go's string order
// (bytewise: "B" before "a", "é" after "z"), queued ones included, which
// the engine relies on to merge them with a sorted listing.
func TestEachCopiedOrder(t *testing.T) {
	ctx := context.Background()
	j, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ids := []string{"z", "a", "é", "B", "10", "9", "a#2", "Z"}
	for i, id := range ids {
		e := Entry{Job: "j", SrcMailbox: "INBOX", SrcID: id, DstMailbox: "INBOX", Identity: id, How: "appended", Flags: `\Seen`}
		if i%2 == 0 {
			err = j.Record(ctx, e)
		} else {
			err = j.Queue(ctx, e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	j.Record(ctx, Entry{Job: "j", SrcMailbox: "Other", SrcID: "0", DstMailbox: "INBOX", How: "appended"})
	var got []string
	err = j.EachCopied(ctx, "j", "INBOX", func(e Entry) error {
		if e.DstMailbox != "INBOX" || e.Flags != `\Seen` || e.How != "appended" || e.Identity != e.SrcID {
			t.Errorf("EachCopied() entry %+v, want the recorded fields", e)
		}
		got = append(got, e.SrcID)
		return nil
	})
	want := slices.Clone(ids)
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("EachCopied() = %q, %v, want %q", got, err, want)
	}
}
