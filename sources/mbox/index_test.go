package mbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// listIndexed lists the mbox file at path with an index in dir, opens
// every message, and returns them with the bytes the scan read.
func listIndexed(t *testing.T, path, dir, format string) ([]got, int64) {
	t.Helper()
	src := mustNew(t, path, Options{IndexDir: dir, Format: format})
	msgs := readSource(t, src)
	return msgs, src.scannedBytes
}

// sameListing fails the test unless a and b list the same messages
// with the same bytes.
func sameListing(t *testing.T, what string, a, b []got) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d messages, want %d", what, len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.Size != y.Size || x.body != y.body || x.Location != y.Location ||
			!x.Date.Equal(y.Date) || strings.Join(x.Flags, " ") != strings.Join(y.Flags, " ") {
			t.Fatalf("%s: message %d = %+v, want %+v", what, i, x, y)
		}
	}
}

func TestIndexUnchanged(t *testing.T) {
	for _, suffix := range []string{"", ".zst"} {
		t.Run("mbox"+suffix, func(t *testing.T) {
			content := bigMbox(40)
			stored := content
			if suffix != "" {
				stored = compress(t, suffix, content)
			}
			path := writeMbox(t, "a.mbox"+suffix, stored)
			dir := filepath.Join(t.TempDir(), "index")
			first, n := listIndexed(t, path, dir, "")
			if n != int64(len(content)) {
				t.Errorf("first List read %d bytes, want %d", n, len(content))
			}
			abs, _ := filepath.Abs(path)
			sum := sha256.Sum256([]byte(abs))
			fi, err := os.Stat(filepath.Join(dir, hex.EncodeToString(sum[:])+".mbox-index"))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("index file = %v, %v, want mode 0600", fi, err)
			}
			second, n := listIndexed(t, path, dir, "")
			if n != 0 {
				t.Errorf("second List read %d bytes of the unchanged file, want 0", n)
			}
			sameListing(t, "second List", second, first)
			plain, _ := listIndexed(t, path, "", "")
			sameListing(t, "List without index", first, plain)
		})
	}
}

// appendFile appends s to the file at path, keeping its inode.
func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestIndexAppend(t *testing.T) {
	old := bigMbox(30)
	added := from1 + "Subject: new\n\nappended\n\n" + from2 + "Subject: newer\n\n>From x\n\n"
	lastFrom := int64(strings.LastIndex(old, "\nFrom user") + 1)
	path := writeMbox(t, "a.mbox", old)
	dir := t.TempDir()
	listIndexed(t, path, dir, "")
	appendFile(t, path, added)

	got, n := listIndexed(t, path, dir, "")
	if want := int64(len(old)+len(added)) - lastFrom; n != want {
		t.Errorf("List after appending read %d bytes, want %d (from the last old message on)", n, want)
	}
	want, _ := listIndexed(t, path, "", "")
	sameListing(t, "List after appending", got, want)
	if again, n := listIndexed(t, path, dir, ""); n != 0 {
		t.Errorf("third List read %d bytes, want 0", n)
	} else {
		sameListing(t, "third List", again, want)
	}
}

// TestIndexAppendGzip appends a second gzip member, as "gzip >>" does.
func TestIndexAppendGzip(t *testing.T) {
	old := bigMbox(10)
	added := from1 + "Subject: new\n\nappended\n\n"
	path := writeMbox(t, "a.mbox.gz", compress(t, ".gz", old))
	dir := t.TempDir()
	listIndexed(t, path, dir, "")
	appendFile(t, path, compress(t, ".gz", added))
	got, n := listIndexed(t, path, dir, "")
	lastFrom := int64(strings.LastIndex(old, "\nFrom user") + 1)
	if want := int64(len(old)+len(added)) - lastFrom; n != want {
		t.Errorf("List after appending read %d bytes, want %d", n, want)
	}
	want, _ := listIndexed(t, path, "", "")
	sameListing(t, "List after appending", got, want)
}

func TestIndexChanged(t *testing.T) {
	content := bigMbox(20)
	later := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name   string
		change func(path string)
	}{
		{"edited", func(path string) {
			f, _ := os.OpenFile(path, os.O_WRONLY, 0)
			f.WriteAt([]byte("X"), int64(len(content)/2))
			f.Close()
			os.Chtimes(path, later, later)
		}},
		{"shortened", func(path string) { os.Truncate(path, int64(len(content)/2)) }},
		{"replaced", func(path string) {
			os.Remove(path)
			os.WriteFile(path, []byte(content+from3+"S: z\n\n"), 0o600)
		}},
		{"start edited", func(path string) {
			appendFile(t, path, from3+"S: z\n\n")
			f, _ := os.OpenFile(path, os.O_WRONLY, 0)
			f.WriteAt([]byte("Subject: M"), int64(strings.Index(content, "Subject")))
			f.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeMbox(t, "a.mbox", content)
			dir := t.TempDir()
			listIndexed(t, path, dir, "")
			tc.change(path)
			fi, _ := os.Stat(path)
			got, n := listIndexed(t, path, dir, "")
			if n != fi.Size() {
				t.Errorf("List of the changed file read %d bytes, want all %d", n, fi.Size())
			}
			want, _ := listIndexed(t, path, "", "")
			sameListing(t, "List of the changed file", got, want)
		})
	}
}

// TestIndexEditKeepingTime edits a message in place and restores the
// file's time: the index is trusted, and Open's digest check catches
// the edit.
func TestIndexEditKeepingTime(t *testing.T) {
	content := bigMbox(60) // the edit lies between the digested ends
	path := writeMbox(t, "a.mbox", content)
	dir := t.TempDir()
	listIndexed(t, path, dir, "")
	fi, _ := os.Stat(path)
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("X"), int64(len(content)/2))
	f.Close()
	os.Chtimes(path, fi.ModTime(), fi.ModTime())

	src := mustNew(t, path, Options{IndexDir: dir})
	var bad error
	err := src.List(context.Background(), func(m sources.Message) error {
		rc, err := src.Open(context.Background(), m)
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.Copy(io.Discard, rc); err != nil && bad == nil {
			bad = err
		}
		return nil
	})
	var me *sources.MessageError
	if err != nil || src.scannedBytes != 0 || !errors.As(bad, &me) {
		t.Errorf("List() = %v after reading %d bytes, Open gave %v, want nil, 0 and a MessageError", err, src.scannedBytes, bad)
	}
}

func TestIndexDamagedOrOtherFormat(t *testing.T) {
	content := bigMbox(20)
	path := writeMbox(t, "a.mbox", content)
	dir := t.TempDir()
	want, _ := listIndexed(t, path, dir, "")
	idx, _ := indexPath(dir, path)
	b, _ := os.ReadFile(idx)
	b[len(b)/2] ^= 1
	os.WriteFile(idx, b, 0o600)
	got, n := listIndexed(t, path, dir, "")
	if n != int64(len(content)) {
		t.Errorf("List with a damaged index read %d bytes, want %d", n, len(content))
	}
	sameListing(t, "List with a damaged index", got, want)
	if _, n := listIndexed(t, path, dir, ""); n != 0 {
		t.Errorf("List after rewriting the index read %d bytes, want 0", n)
	}
	if _, n := listIndexed(t, path, dir, FormatMboxo); n != int64(len(content)) {
		t.Errorf("List as mboxo with an index of a detected format read %d bytes, want %d", n, len(content))
	}
}

func TestIndexDirUnwritable(t *testing.T) {
	path := writeMbox(t, "a.mbox", twoMessages)
	dir := filepath.Join(writeMbox(t, "file", ""), "index") // under a file
	if got, _ := listIndexed(t, path, dir, ""); len(got) != 2 {
		t.Errorf("List() with an unwritable index dir = %d messages, want 2", len(got))
	}
}

// appendCorpora are mbox files whose readings depend on what follows a
// point: Content-Length spanning "From " lines, a variant that a later
// message changes, "From " lines without dates, CRLF files.
var appendCorpora = map[string]string{
	"mboxcl2": from1 + "Content-Length: 54\n\nhi\n\nFrom bob@example.com Sun Jan  2 10:20:30 2022\nmore\n\n" +
		from3 + "Content-Length: 3\n\nab\n\n" + from2 + "Content-Length: 9\n\n>From x\n\n",
	"mboxcl to mboxrd": from1 + "Content-Length: 8\n\n>From x\n\n" + from2 + "Content-Length: 3\n\nab\n\n" +
		from3 + "S: x\n\n>>From y\n",
	"no dates":       "From a\nS: 1\n\nFrom b\n\nFrom c\nS: 2\n\nbody\n",
	"crlf and flags": strings.ReplaceAll(from1+"Status: RO\n\nx\n\n"+from2+"X-Status: F\n\ny\n\n"+from3+"S: z\n\n\n", "\n", "\r\n"),
}

// TestIndexAppendEverywhere cuts each corpus at every byte, lists the
// start with an index, appends the rest, and checks that List then
// gives what a List of the whole file without an index gives.
func TestIndexAppendEverywhere(t *testing.T) {
	for name, data := range appendCorpora {
		t.Run(name, func(t *testing.T) {
			resumed := 0
			for p := 1; p < len(data); p++ {
				resumed += checkAppend(t, []byte(data), p)
			}
			if resumed < len(data)/4 {
				t.Errorf("%d of %d Lists read only the appended part, want more", resumed, 2*len(data))
			}
		})
	}
}

// checkAppend checks reading data cut at p, then whole, with an index,
// detecting the variant and as mboxcl2. It returns how many of the two
// Lists after appending read only part of the file.
func checkAppend(t *testing.T, data []byte, p int) (resumed int) {
	t.Helper()
	for _, format := range []string{"", FormatMboxcl2} {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.mbox")
		if err := os.WriteFile(path, data[:p], 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := New(path, Options{IndexDir: dir, Format: format})
		if err != nil {
			return resumed // the start is not an mbox file
		}
		readSource(t, src)
		src.Close()
		appendFile(t, path, string(data[p:]))
		if src, err = New(path, Options{Format: format}); err != nil {
			t.Fatalf("New(%q) = %v", data, err)
		}
		want := readSource(t, src)
		src.Close()
		got, n := listIndexed(t, path, dir, format)
		if n < int64(len(data)) {
			resumed++
		}
		sameListing(t, fmt.Sprintf("List(%q) as %q after appending %q", data[:p], format, data[p:]), got, want)
	}
	return resumed
}

// FuzzAppend is TestIndexAppendEverywhere for any data.
func FuzzAppend(f *testing.F) {
	for _, data := range appendCorpora {
		f.Add([]byte(data), uint16(len(data)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, p uint16) {
		if int(p) < len(data) && p > 0 {
			checkAppend(t, data, int(p))
		}
	})
}

// TestIndexMemory checks that reading an index costs memory per
// message, not per byte of the index file: it is read record by record.
func TestIndexMemory(t *testing.T) {
	const n = 20000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "From a@example.com Sat Jan  1 00:00:00 2022\nStatus: RO\nSubject: %d\n\n%s\n\n", i, strings.Repeat("x", i%300))
	}
	path := writeMbox(t, "many.mbox", b.String())
	dir := t.TempDir()
	listIndexed(t, path, dir, "")
	src := mustNew(t, path, Options{IndexDir: dir})
	count := 0
	var err error
	alloc := allocated(func() {
		err = src.List(context.Background(), func(sources.Message) error { count++; return nil })
	})
	if err != nil || count != n || src.scannedBytes != 0 {
		t.Fatalf("List() = %d messages, %v after reading %d bytes, want %d, nil, 0", count, err, src.scannedBytes, n)
	}
	if perMsg := alloc / n; perMsg > 1024 {
		t.Errorf("List() from the index allocated %d bytes per message, want at most 1024", perMsg)
	}
}
