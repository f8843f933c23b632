package imaptarget

import (
	"context"
	"crypto/sha256"
	"hash"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
)

// generator produces a message of n bytes without holding it in memory,
// hashing what it delivers and sampling the heap as it goes.
type generator struct {
	left, sent int64
	hash       hash.Hash
	base, peak uint64
	nextSample int64
}

const sampleEvery = 4 << 20

func (g *generator) Read(b []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(b)), g.left)
	for i := range b[:n] {
		pos := g.sent + int64(i)
		switch {
		case pos < 9:
			b[i] = "Subject: "[pos]
		case pos%78 == 76:
			b[i] = '\r'
		case pos%78 == 77:
			b[i] = '\n'
		default:
			b[i] = 'a' + byte(pos%26)
		}
	}
	g.hash.Write(b[:n])
	g.left -= n
	g.sent += n
	if g.sent >= g.nextSample {
		g.nextSample += sampleEvery
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		g.peak = max(g.peak, ms.HeapInuse)
	}
	return int(n), nil
}

func TestLargeAppendStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB transfer")
	}
	s := imaptest.NewServerOptions(t, imaptest.Options{DiscardAppends: true})
	tg := dial(t, s.Addr)
	const size = 50 << 20
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	g := &generator{left: size, hash: sha256.New(), base: ms.HeapInuse}
	_, err := tg.Append(context.Background(), "INBOX", target.Message{Date: time.Now(), Size: size}, g)
	if err != nil {
		t.Fatalf("Append(50 MB) = %v", err)
	}
	gotSize, gotSum := s.LastDiscarded()
	if gotSize != size || gotSum != [32]byte(g.hash.Sum(nil)) {
		t.Errorf("server received %d bytes (sum %x), want %d bytes (sum %x)", gotSize, gotSum, size, g.hash.Sum(nil))
	}
	growth := int64(g.peak) - int64(g.base)
	t.Logf("heap in use: base %d, peak %d, growth %d bytes for a %d-byte message", g.base, g.peak, growth, size)
	if growth > 8<<20 {
		t.Errorf("heap grew by %d bytes during a %d-byte append, want memory flat in message size (< 8 MiB)", growth, size)
	}
}
