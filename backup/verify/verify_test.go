package verify

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/backup/localtarget"
	"github.com/mailferry/mailferry/internal/target"
)

// fill stores n messages into a new backup and returns its root.
func fill(t *testing.T, opts localtarget.Options, n int) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "backup")
	s, err := localtarget.Open(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		raw := []byte(fmt.Sprintf("Subject: message %d\r\n\r\nFrom the body %d\r\n%s", i, i, strings.Repeat("x", 100*i)))
		m := target.Message{Flags: []string{`\Seen`}, Date: time.Date(2020, 1, i+1, 0, 0, 0, 0, time.UTC), Size: int64(len(raw))}
		if _, err := s.Append(context.Background(), "INBOX", m, bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func kinds(r Report) string {
	var k []string
	for _, p := range r.Problems {
		k = append(k, p.Kind)
	}
	sort.Strings(k)
	return strings.Join(k, " ")
}

func TestVerifyIntactBackups(t *testing.T) {
	for _, opts := range []localtarget.Options{{}, {Format: localtarget.FormatMbox}, {Format: localtarget.FormatMbox, Compress: localtarget.CompressZstd}} {
		root := fill(t, opts, 5)
		r, err := Verify(root)
		if err != nil || !r.OK() || r.Messages != 5 || r.Folders != 1 {
			t.Errorf("Verify(%+v backup) = %+v, %v; want 5 messages in 1 folder, no problems", opts, r, err)
		}
	}
}

func TestVerifyMaildirDamage(t *testing.T) {
	root := fill(t, localtarget.Options{}, 5)
	files, _ := filepath.Glob(filepath.Join(root, "cur", "*"))
	sort.Strings(files)
	if len(files) != 5 {
		t.Fatalf("backup has %d files, want 5", len(files))
	}
	os.Truncate(files[1], 10)
	b, _ := os.ReadFile(files[2])
	b[len(b)-3] ^= 1
	os.WriteFile(files[2], b, 0o600)
	os.Remove(files[3])
	// A mail program marking a message read renames it: not damage.
	os.Rename(files[4], strings.Replace(files[4], ":2,S", ":2,FS", 1))
	// Mail from elsewhere is reported, not an error.
	os.WriteFile(filepath.Join(root, "new", "123.other"), []byte("Subject: x\r\n\r\n"), 0o600)

	r, err := Verify(root)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(r), "digest missing size"; got != want {
		t.Errorf("Verify() problems = %q, want %q (%v)", got, want, r.Problems)
	}
	if len(r.Unrecorded) != 1 {
		t.Errorf("Verify() unrecorded = %v, want the one foreign file", r.Unrecorded)
	}
}

func TestVerifyMboxDamage(t *testing.T) {
	for _, compress := range []string{localtarget.CompressNone, localtarget.CompressGzip} {
		root := fill(t, localtarget.Options{Format: localtarget.FormatMbox, Compress: compress}, 5)
		file := filepath.Join(root, "INBOX")
		if compress == localtarget.CompressGzip {
			file += ".gz"
		}
		b, _ := os.ReadFile(file)
		b[len(b)/3] ^= 0x20                      // a byte of an early message
		os.WriteFile(file, b[:len(b)-20], 0o600) // and the last one cut short
		r, err := Verify(root)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Problems) != 2 {
			t.Errorf("Verify(%s mbox) problems = %v, want 2", compress, r.Problems)
		}
		os.Remove(file)
		r, _ = Verify(root)
		if got, want := kinds(r), "missing missing missing missing missing"; got != want {
			t.Errorf("Verify(deleted mbox) = %q, want %q", got, want)
		}
	}
}

func TestVerifyNotABackup(t *testing.T) {
	if _, err := Verify(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no mailferry manifest") {
		t.Errorf("Verify(empty dir) = %v, want no manifest", err)
	}
	if _, err := Verify(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Errorf("Verify(missing dir) = nil error")
	}
}
