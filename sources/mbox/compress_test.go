package mbox

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailferry/mailferry/sources"
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

func TestCompressionTools(t *testing.T) {
	for _, tool := range []struct{ cmd, suffix string }{{"xz", ".xz"}, {"zstd", ".zst"}} {
		if _, err := exec.LookPath(tool.cmd); err != nil {
			t.Logf("%s not installed; skipping %s", tool.cmd, tool.suffix)
			continue
		}
		cmd := exec.Command(tool.cmd, "-c")
		cmd.Stdin = strings.NewReader(twoMessages)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s -c: %v", tool.cmd, err)
		}
		path := writeMbox(t, "two.mbox"+tool.suffix, string(out))
		if got := readFile(t, path, ""); !slices.Equal(got, twoWant) {
			t.Errorf("read(%s) = %q, want %q", path, got, twoWant)
		}
		checkOutOfOrder(t, path)
	}
}

func TestCompressionToolMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	path := writeMbox(t, "x.mbox.zst", "whatever")
	_, err := New(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "needs the zstd command") {
		t.Errorf("New(%s) without zstd = %v, want an error naming zstd", path, err)
	}
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
