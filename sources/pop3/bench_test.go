package pop3

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// bigMessage is about size bytes of 76-column lines, some starting with
// a dot.
func bigMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Subject: big\r\n\r\n")
	line := strings.Repeat("m", 74) + "\r\n"
	for i := 0; b.Len() < size; i++ {
		if i%50 == 0 {
			b.WriteString(".")
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// BenchmarkRetr measures dot-unstuffing throughput: from memory
// ("dotreader") and through the test server over loopback TCP with the
// whole client ("loopback").
func BenchmarkRetr(b *testing.B) {
	msg := bigMessage(32 << 20)
	b.Run("dotreader", func(b *testing.B) {
		var wire bytes.Buffer
		pop3test.DotStuff(&wire, msg)
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			br := bufio.NewReaderSize(bytes.NewReader(wire.Bytes()), readBufferSize)
			if n, err := io.Copy(io.Discard, newDotReader(br)); err != nil || n != int64(len(msg)) {
				b.Fatalf("copied %d bytes, %v, want %d", n, err, len(msg))
			}
		}
	})
	b.Run("loopback", func(b *testing.B) {
		srv := pop3test.NewServer(b, pop3test.WithMessages(msg))
		cfg := config(srv)
		cfg.TLS = TLSNone
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			r, err := c.Retr(context.Background(), 1)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			r.Close()
			if err != nil || n != int64(len(msg)) {
				b.Fatalf("copied %d bytes, %v, want %d", n, err, len(msg))
			}
		}
	})
}
