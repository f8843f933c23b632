package journal

import (
	"context"
	"os"
	"path/filepath"
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
