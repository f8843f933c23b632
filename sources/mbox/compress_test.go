package mbox

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/mailferry/mailferry/sources"
	"github.com/ulikunitz/xz"
)

// twoMessages is the content of testdata/two.mbox.bz2.
const twoMessages = "From alice@example.com Sat Jan  1 00:00:00 2022\nSubject: one\n\n>From me\n\n" +
	"From bob@example.com Sun Jan  2 10:20:30 2022\nSubject: two\n\nbody two\n\n"

var twoWant = []string{"Subject: one\r\n\r\nFrom me\r\n", "Subject: two\r\n\r\nbody two\r\n"}

func TestGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(twoMessages))
	zw.Close()
	path := writeMbox(t, "two.mbox.gz", buf.String())
	if got := readFile(t, path, ""); !slices.Equal(got, twoWant) {
		t.Errorf("read(%s) = %q, want %q", path, got, twoWant)
	}
	checkOutOfOrder(t, path)
}

func TestBzip2(t *testing.T) {
	path := filepath.Join("testdata", "two.mbox.bz2")
	if got := readFile(t, path, ""); !slices.Equal(got, twoWant) {
		t.Errorf("read(%s) = %q, want %q", path, got, twoWant)
	}
}

// compressors write the compressed forms the reader supports, with the
// libraries it reads them with.
var compressors = []struct {
	suffix string
	wrap   func(io.Writer) (io.WriteCloser, error)
}{
	{".gz", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriter(w), nil }},
	{".xz", func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) }},
	{".zst", func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) }},
}

// compress returns content compressed as suffix says.
func compress(t *testing.T, suffix, content string) string {
	t.Helper()
	for _, c := range compressors {
		if c.suffix != suffix {
			continue
		}
		var buf bytes.Buffer
		w, err := c.wrap(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	t.Fatalf("no compressor for %s", suffix)
	return ""
}

func TestXzZstd(t *testing.T) {
	for _, suffix := range []string{".xz", ".zst"} {
		path := writeMbox(t, "two.mbox"+suffix, compress(t, suffix, twoMessages))
		if got := readFile(t, path, ""); !slices.Equal(got, twoWant) {
			t.Errorf("read(%s) = %q, want %q", path, got, twoWant)
		}
		checkOutOfOrder(t, path)
	}
}

// bigMbox returns an mbox file of n messages of varied sizes, with
// quoted "From " lines and mixed line endings.
func bigMbox(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "From user%d@example.com Sat Jan  1 00:00:%02d 2022\n", i, i%60)
		fmt.Fprintf(&b, "Subject: message %d\nStatus: RO\n\n", i)
		for j := range i % 97 * 4 {
			switch j % 11 {
			case 3:
				b.WriteString(">From the desk of number " + fmt.Sprint(j) + "\n")
			case 7:
				b.WriteString("a CRLF line " + strings.Repeat("x", j%50) + "\r\n")
			default:
				fmt.Fprintf(&b, "line %d of message %d %s\n", j, i, strings.Repeat("y", j*i%70))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestCompressedExact reads a 1 MB mbox file compressed each way and
// checks every message, opened in file order and then some out of
// order, against the same file uncompressed.
func TestCompressedExact(t *testing.T) {
	content := bigMbox(120)
	want := readSource(t, mustNew(t, writeMbox(t, "plain.mbox", content), Options{}))
	for _, c := range compressors {
		t.Run(c.suffix, func(t *testing.T) {
			src := mustNew(t, writeMbox(t, "big.mbox"+c.suffix, compress(t, c.suffix, content)), Options{})
			got := readSource(t, src)
			if len(got) != len(want) {
				t.Fatalf("List() = %d messages, want %d", len(got), len(want))
			}
			// Each step backwards decompresses again from the start.
			order := rand.New(rand.NewPCG(1, 2)).Perm(len(want))[:12]
			order = append(order, len(want)-1, len(want)-2, 1, 0, 0)
			for _, k := range order {
				if got[k].ID != want[k].ID || got[k].Size != want[k].Size {
					t.Fatalf("message %d = %s size %d, want %s size %d", k, got[k].ID, got[k].Size, want[k].ID, want[k].Size)
				}
				if b := openAll(t, src, got[k].Message); b != want[k].body {
					t.Fatalf("Open(%s) = %d bytes differing from the plain file's %d", got[k].ID, len(b), len(want[k].body))
				}
			}
		})
	}
}

func TestCorruptCompressed(t *testing.T) {
	good := compress(t, ".zst", twoMessages)
	for name, content := range map[string]string{
		"bad.xz":          "not xz at all, not even close",
		"bad.zst":         "not zstd at all, not even close",
		"truncated.zst":   good[:len(good)-6],
		"bad.mbox.gz":     "not gzip at all",
		"truncated.xz":    compress(t, ".xz", twoMessages)[:30],
		"garbled.mbox.xz": garble(compress(t, ".xz", bigMbox(20))),
	} {
		path := writeMbox(t, name, content)
		src, err := New(path, Options{})
		if err == nil {
			err = src.List(context.Background(), func(sources.Message) error { return nil })
			src.Close()
		}
		if err == nil || !sources.IsPermanent(err) {
			t.Errorf("New(%s) and List() = %v, want a permanent error", name, err)
		}
	}
}

// garble flips bytes in the middle of s.
func garble(s string) string {
	b := []byte(s)
	for i := len(b) / 2; i < len(b)/2+8; i++ {
		b[i] ^= 0x55
	}
	return string(b)
}

func TestCorruptGzip(t *testing.T) {
	path := writeMbox(t, "bad.gz", "not gzip at all")
	if _, err := New(path, Options{}); err == nil || !sources.IsPermanent(err) {
		t.Errorf("New(%s) = %v, want a permanent error", path, err)
	}
}

// checkOutOfOrder opens the messages of path backwards, forwards, and
// after a partial read.
func checkOutOfOrder(t *testing.T, path string) {
	t.Helper()
	src, err := New(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var msgs []sources.Message
	src.List(context.Background(), func(m sources.Message) error { msgs = append(msgs, m); return nil })
	for _, i := range []int{1, 0, 0, 1} {
		rc, err := src.Open(context.Background(), msgs[i])
		if err != nil {
			t.Fatalf("Open(%s) = %v", msgs[i].ID, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if string(b) != twoWant[i] || err != nil {
			t.Errorf("Open(%s) = %q, %v, want %q", msgs[i].ID, b, err, twoWant[i])
		}
	}
	rc, _ := src.Open(context.Background(), msgs[0])
	rc.Read(make([]byte, 3))
	rc.Close()
	rc, _ = src.Open(context.Background(), msgs[1])
	b, _ := io.ReadAll(rc)
	if string(b) != twoWant[1] {
		t.Errorf("Open(%s) after a partial read = %q, want %q", msgs[1].ID, b, twoWant[1])
	}
}
