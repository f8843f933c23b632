package localtarget

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailferry/mailferry/backup/manifest"
	"github.com/mailferry/mailferry/migrate"
	"github.com/mailferry/mailferry/sources/mbox"
	"github.com/mailferry/mailferry/sources/memsource"
)

// readMbox reads a backup tree through the mbox source (which sees no
// flags: they are in the manifest).
func readMbox(t *testing.T, root string) []stored {
	t.Helper()
	src, err := mbox.NewTree(root, mbox.Options{Format: mbox.FormatMboxrd})
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, src)
}

// readManifests reads every message of a backup tree through its
// manifests, with the flags they record.
func readManifests(t *testing.T, root string) []stored {
	t.Helper()
	var out []stored
	filepath.WalkDir(root, func(path string, d fs.DirEntry, walkErr error) error {
		file := manifest.MboxFile(path)
		if file == "" {
			return nil
		}
		rel, _ := filepath.Rel(root, file)
		mailbox := strings.ReplaceAll(strings.TrimSuffix(strings.TrimSuffix(rel, ".gz"), ".zst"), ".sbd"+string(filepath.Separator), "/")
		entries, bad, err := manifest.Read(path)
		if err != nil || bad != 0 {
			t.Fatalf("manifest.Read(%s) = %d bad lines, %v", path, bad, err)
		}
		for _, e := range entries {
			if e.Kind != manifest.KindMessage {
				continue
			}
			rc, err := OpenStored(file, e)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("OpenStored(%s, %d): %v", file, e.Offset, err)
			}
			out = append(out, stored{mailbox: mailbox, raw: string(b), flags: flagString(e.Flags), date: e.Date})
		}
		return nil
	})
	return out
}

func noFlags(want map[stored]int) map[stored]int {
	out := map[stored]int{}
	for s, n := range want {
		s.flags = ""
		out[s] += n
	}
	return out
}

func TestMboxBackupRoundTrip(t *testing.T) {
	for _, compress := range []string{CompressNone, CompressGzip, CompressZstd} {
		t.Run("compress="+compress, func(t *testing.T) {
			msgs := corpus()
			box := memsource.NewBox(msgs...)
			root := filepath.Join(t.TempDir(), "backup")
			opts := Options{Format: FormatMbox, Compress: compress}
			state := statePath(t)
			sum, err := runBackup(t, box, Dialer(root, opts), state, migrate.Options{Connections: 3})
			if err != nil || !sum.OK() || sum.Copied != int64(len(msgs)) {
				t.Fatalf("backup = %+v, %v; want %d copied", sum, err, len(msgs))
			}
			checkBackup(t, readMbox(t, root), noFlags(wantStored(msgs, true, plainMailbox)))
			checkBackup(t, readManifests(t, root), wantStored(msgs, false, plainMailbox))
			checkModes(t, root)

			for _, st := range []string{state, statePath(t)} {
				sum, err = runBackup(t, box, Dialer(root, opts), st, migrate.Options{})
				if err != nil || sum.Copied != 0 || sum.AlreadyThere != int64(len(msgs)) {
					t.Errorf("rerun = copied %d, found %d, %v; want 0, %d", sum.Copied, sum.AlreadyThere, err, len(msgs))
				}
			}
			checkBackup(t, readManifests(t, root), wantStored(msgs, false, plainMailbox))
		})
	}
}

// TestMboxInterruptedAppend leaves half a message after the committed
// end, as a crash would: the next append replaces it.
func TestMboxInterruptedAppend(t *testing.T) {
	for _, compress := range []string{CompressNone, CompressZstd} {
		msgs := corpus()[:2]
		root := filepath.Join(t.TempDir(), "backup")
		opts := Options{Format: FormatMbox, Compress: compress}
		if _, err := runBackup(t, memsource.NewBox(msgs[0]), Dialer(root, opts), statePath(t), migrate.Options{}); err != nil {
			t.Fatal(err)
		}
		path, _ := (&mboxBackend{root: root, compress: compress}).path("INBOX")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("From MAILER-DAEMON Thu Jan  1 00:00:00 2020\nSubject: torn\n")
		f.Close()
		if _, err := runBackup(t, memsource.NewBox(msgs...), Dialer(root, opts), statePath(t), migrate.Options{}); err != nil {
			t.Fatal(err)
		}
		checkBackup(t, readManifests(t, root), wantStored(msgs, false, plainMailbox))
		checkBackup(t, readMbox(t, root), noFlags(wantStored(msgs, true, plainMailbox)))
	}
}

func TestMboxByYear(t *testing.T) {
	msgs := corpus()
	root := filepath.Join(t.TempDir(), "archive")
	opts := Options{Format: FormatMbox, ByYear: true}
	if _, err := runBackup(t, memsource.NewBox(msgs...), Dialer(root, opts), statePath(t), migrate.Options{}); err != nil {
		t.Fatal(err)
	}
	byYear := func(m memsource.Message) string { return YearMailbox(plainMailbox(m), m.Date) }
	checkBackup(t, readMbox(t, root), noFlags(wantStored(msgs, true, byYear)))
	sum, err := runBackup(t, memsource.NewBox(msgs...), Dialer(root, opts), statePath(t), migrate.Options{})
	if err != nil || sum.Copied != 0 {
		t.Errorf("rerun with a fresh state copied %d, %v; want 0", sum.Copied, err)
	}
}

func TestMboxFullDiskStopsBeforeDeletion(t *testing.T) {
	msgs := corpus()
	box := memsource.NewBox(msgs...)
	n := 0
	opts := Options{Format: FormatMbox, Compress: CompressGzip, Fault: func(op, path string) error {
		if op == "write" {
			if n++; n > 5 {
				return &fs.PathError{Op: op, Path: path, Err: syscall.ENOSPC}
			}
		}
		return nil
	}}
	root := filepath.Join(t.TempDir(), "backup")
	_, err := runBackup(t, box, Dialer(root, opts), statePath(t), migrate.Options{DeleteSource: true})
	if err == nil || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("run = %v, want an error saying the disk is full", err)
	}
	if box.Remaining() != len(msgs) {
		t.Errorf("source keeps %d messages, want %d", box.Remaining(), len(msgs))
	}
	// What was confirmed reads back intact; the failed append left nothing.
	for _, s := range readManifests(t, root) {
		if s.raw == "" && s.flags != `\Draft` {
			t.Errorf("empty message read back from the manifest")
		}
	}
	readMbox(t, root)
}
