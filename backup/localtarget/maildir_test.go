package localtarget

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailferry/mailferry/migrate"
	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
	"github.com/mailferry/mailferry/sources/memsource"
)

func readMaildir(t *testing.T, root string) []stored {
	t.Helper()
	src, err := srcmaildir.New(root, srcmaildir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, src)
}

func TestMaildirBackupRoundTrip(t *testing.T) {
	msgs := corpus()
	box := memsource.NewBox(msgs...)
	root := filepath.Join(t.TempDir(), "backup")
	state := statePath(t)
	sum, err := runBackup(t, box, Dialer(root, Options{}), state, migrate.Options{Connections: 3})
	if err != nil || !sum.OK() || sum.Copied != int64(len(msgs)) {
		t.Fatalf("backup = %+v, %v; want %d copied", sum, err, len(msgs))
	}
	want := wantStored(msgs, false, plainMailbox)
	checkBackup(t, readMaildir(t, root), want)

	sum, err = runBackup(t, box, Dialer(root, Options{}), state, migrate.Options{})
	if err != nil || sum.Copied != 0 {
		t.Errorf("rerun copied %d, %v; want 0", sum.Copied, err)
	}
	sum, err = runBackup(t, box, Dialer(root, Options{}), statePath(t), migrate.Options{})
	if err != nil || sum.Copied != 0 || sum.AlreadyThere != int64(len(msgs)) {
		t.Errorf("rerun with a fresh state = copied %d, found %d, %v; want 0, %d", sum.Copied, sum.AlreadyThere, err, len(msgs))
	}
	checkBackup(t, readMaildir(t, root), want)
}

func TestMaildirPermissions(t *testing.T) {
	box := memsource.NewBox(corpus()...)
	root := filepath.Join(t.TempDir(), "backup")
	if _, err := runBackup(t, box, Dialer(root, Options{}), statePath(t), migrate.Options{}); err != nil {
		t.Fatal(err)
	}
	checkModes(t, root)
}

// checkModes checks that every directory under root is 0700 and every
// file 0600.
func checkModes(t *testing.T, root string) {
	t.Helper()
	files := 0
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if files == 0 {
		t.Errorf("no files under %s", root)
	}
}

func TestMaildirByYear(t *testing.T) {
	msgs := corpus()
	box := memsource.NewBox(msgs...)
	root := filepath.Join(t.TempDir(), "archive")
	opts := Options{ByYear: true}
	if sum, err := runBackup(t, box, Dialer(root, opts), statePath(t), migrate.Options{}); err != nil || sum.Copied != int64(len(msgs)) {
		t.Fatalf("archive = %+v, %v", sum, err)
	}
	want := wantStored(msgs, false, func(m memsource.Message) string { return YearMailbox(plainMailbox(m), m.Date) })
	checkBackup(t, readMaildir(t, root), want)
	sum, err := runBackup(t, box, Dialer(root, opts), statePath(t), migrate.Options{})
	if err != nil || sum.Copied != 0 {
		t.Errorf("rerun with a fresh state copied %d, %v; want 0", sum.Copied, err)
	}
}

// TestMaildirDiskFailuresStopBeforeDeletion fills the disk or makes it
// read-only in the middle of an archive run with --delete-source: the
// run must stop with a clear error and delete nothing.
func TestMaildirDiskFailuresStopBeforeDeletion(t *testing.T) {
	for _, tt := range []struct {
		op   string
		err  syscall.Errno
		hint string
	}{
		{"write", syscall.ENOSPC, "disk is full"},
		{"create", syscall.EROFS, "read-only"},
		{"sync", syscall.EDQUOT, "quota"},
	} {
		t.Run(tt.hint, func(t *testing.T) {
			msgs := corpus()
			box := memsource.NewBox(msgs...)
			n := 0
			opts := Options{Fault: func(op, path string) error {
				if op != tt.op {
					return nil
				}
				if n++; n > 3 {
					return &fs.PathError{Op: op, Path: path, Err: tt.err}
				}
				return nil
			}}
			root := filepath.Join(t.TempDir(), "backup")
			_, err := runBackup(t, box, Dialer(root, opts), statePath(t), migrate.Options{DeleteSource: true})
			if err == nil || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("run = %v, want an error saying %q", err, tt.hint)
			}
			if box.Remaining() != len(msgs) {
				t.Errorf("source keeps %d messages, want %d", box.Remaining(), len(msgs))
			}
		})
	}
}

func TestMaildirReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory modes")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	box := memsource.NewBox(corpus()...)
	_, err := runBackup(t, box, Dialer(filepath.Join(dir, "b"), Options{}), statePath(t), migrate.Options{DeleteSource: true})
	if err == nil || !strings.Contains(err.Error(), "permission denied") || box.Remaining() != len(corpus()) {
		t.Fatalf("run = %v, source keeps %d; want permission denied, %d", err, box.Remaining(), len(corpus()))
	}
}
