package mbox

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailferry/mailferry/sources"
)

// writeMbox writes content to a file name in a new temporary directory
// and returns its path.
func writeMbox(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// got is a listed message with the bytes Open delivered.
type got struct {
	sources.Message
	body string
}

// readSource lists src and opens every message.
func readSource(t *testing.T, src *Source) []got {
	t.Helper()
	ctx := context.Background()
	var out []got
	err := src.List(ctx, func(m sources.Message) error {
		out = append(out, got{Message: m})
		return nil
	})
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	for i := range out {
		rc, err := src.Open(ctx, out[i].Message)
		if err != nil {
			t.Fatalf("Open(%s) = %v", out[i].ID, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("reading %s: %v", out[i].ID, err)
		}
		if out[i].Size != int64(len(b)) || !out[i].SizeExact {
			t.Errorf("message %s: Size = %d (exact %v), Open gave %d bytes", out[i].ID, out[i].Size, out[i].SizeExact, len(b))
		}
		out[i].body = string(b)
	}
	return out
}

// readFile reads the mbox file at path with format and returns the
// message bodies.
func readFile(t *testing.T, path, format string) []string {
	t.Helper()
	src, err := New(path, Options{Format: format})
	if err != nil {
		t.Fatalf("New(%s) = %v", path, err)
	}
	defer src.Close()
	var bodies []string
	for _, g := range readSource(t, src) {
		bodies = append(bodies, g.body)
	}
	return bodies
}

// readString reads mbox content given as a string.
func readString(t *testing.T, content, format string) []string {
	t.Helper()
	return readFile(t, writeMbox(t, "test.mbox", content), format)
}

// crlf turns bare LFs into CRLF, as the reader does.
func crlf(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mustNew returns New(path, opts), closed when the test ends.
func mustNew(t *testing.T, path string, opts Options) *Source {
	t.Helper()
	src, err := New(path, opts)
	if err != nil {
		t.Fatalf("New(%s) = %v", path, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// openAll returns the bytes Open delivers for m.
func openAll(t *testing.T, src *Source, m sources.Message) string {
	t.Helper()
	rc, err := src.Open(context.Background(), m)
	if err != nil {
		t.Fatalf("Open(%s) = %v", m.ID, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", m.ID, err)
	}
	return string(b)
}
