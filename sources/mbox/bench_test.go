package mbox

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/mailferry/mailferry/sources"
)

// BenchmarkReadAll lists and opens every message of the mbox file named
// by $MBOX_BENCH_FILE, reporting throughput.
func BenchmarkReadAll(b *testing.B) {
	path := os.Getenv("MBOX_BENCH_FILE")
	if path == "" {
		b.Skip("set MBOX_BENCH_FILE to an mbox file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	ctx := context.Background()
	for b.Loop() {
		src, err := New(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		var msgs []sources.Message
		if err := src.List(ctx, func(m sources.Message) error { msgs = append(msgs, m); return nil }); err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			rc, err := src.Open(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
		src.Close()
	}
}
