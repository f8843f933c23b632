package mbox

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mailferry/mailferry/sources"
)

// TestMemoryFlat lists and opens a 50 MB message (with a 10 MB line)
// and checks that the bytes allocated do not grow with its size.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 50 MB file")
	}
	path := filepath.Join(t.TempDir(), "big.mbox")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(from1 + "Subject: big\nX-Long: " + strings.Repeat("h", 10<<20) + "\n\n")
	line := strings.Repeat("b", 999) + "\n"
	var want int64 = int64(len("Subject: big\r\nX-Long: \r\n\r\n")) + 10<<20
	for i := 0; i < 40<<10; i++ {
		if i%1000 == 0 {
			w.WriteString(">From quoted\n")
			want += int64(len("From quoted\r\n"))
		}
		w.WriteString(line)
		want += int64(len(line)) + 1
	}
	w.WriteString("\n" + from2 + "S: small\n\n")
	w.Flush()
	f.Close()

	src, err := New(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	var msgs []sources.Message
	listAlloc := allocated(func() {
		err = src.List(ctx, func(m sources.Message) error { msgs = append(msgs, m); return nil })
	})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("List() = %d messages, %v, want 2", len(msgs), err)
	}
	if msgs[0].Size != want {
		t.Errorf("Size = %d, want %d", msgs[0].Size, want)
	}
	var n int64
	openAlloc := allocated(func() {
		rc, e := src.Open(ctx, msgs[0])
		if e != nil {
			err = e
			return
		}
		n, err = io.Copy(io.Discard, rc)
		rc.Close()
	})
	if err != nil || n != want {
		t.Fatalf("reading the big message = %d bytes, %v, want %d", n, err, want)
	}
	const limit = 2 << 20
	if listAlloc > limit || openAlloc > limit {
		t.Errorf("allocated %d bytes to list and %d to open a %d-byte message, want under %d each", listAlloc, openAlloc, want, limit)
	}
}

// allocated returns the bytes allocated while fn runs.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
