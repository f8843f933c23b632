package pop3

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

// dovecotSource logs in to srv's POP3 listener as alice.
func dovecotSource(t testing.TB, srv *dovecottest.Server) *Source {
	t.Helper()
	src, err := New(context.Background(), Config{
		Addr: srv.POP3Addr(), Username: "alice", Password: srv.Users["alice"],
		TLS: TLSNone, IdleTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatalf("New(dovecot %s) = %v", srv.POP3Addr(), err)
	}
	t.Cleanup(func() { src.Client().Close() })
	return src
}

// TestDovecotStreamer runs the Streamer suite against Dovecot's POP3
// server, which announces PIPELINING.
func TestDovecotStreamer(t *testing.T) {
	dovecottest.Require(t)
	sourcetest.RunStreamer(t, func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
		srv := dovecottest.Start(t)
		for _, f := range fixtures {
			srv.Deliver(t, "alice", "INBOX", f.Raw)
		}
		src := dovecotSource(t, srv)
		if !src.Client().Pipelining() {
			t.Errorf("Dovecot's CAPA = %v, want PIPELINING", src.Client().Capabilities())
		}
		return src
	})
}

// BenchmarkDovecotRetr reads 2,000 small messages from Dovecot with
// Open (one RETR round trip each) and with OpenEach in chunks of 64 (the
// engine's batch), reporting messages per second.
func BenchmarkDovecotRetr(b *testing.B) {
	const count = 2000
	srv := dovecottest.Start(b)
	appendMessages(b, srv, count)
	src := dovecotSource(b, srv)
	ctx := context.Background()
	var msgs []sources.Message
	if err := src.List(ctx, func(m sources.Message) error { msgs = append(msgs, m); return nil }); err != nil || len(msgs) != count {
		b.Fatalf("List() = %d messages, %v, want %d", len(msgs), err, count)
	}
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			for _, m := range msgs {
				rc, err := src.Open(ctx, m)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(count*b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("OpenEach", func(b *testing.B) {
		for b.Loop() {
			for i := 0; i < count; i += pipelineWindow {
				chunk := msgs[i:min(count, i+pipelineWindow)]
				n := 0
				err := src.OpenEach(ctx, chunk, func(_ int, r io.Reader) error {
					n++
					_, err := io.Copy(io.Discard, r)
					return err
				})
				if err != nil || n != len(chunk) {
					b.Fatalf("OpenEach() = %d messages, %v, want %d", n, err, len(chunk))
				}
			}
		}
		b.ReportMetric(float64(count*b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// appendMessages stores count small messages in alice's INBOX with IMAP
// APPEND (quicker than a doveadm process per message).
func appendMessages(b *testing.B, srv *dovecottest.Server, count int) {
	c, err := imapclient.DialInsecure(srv.IMAPAddr(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", srv.Users["alice"]).Wait(); err != nil {
		b.Fatal(err)
	}
	for i := range count {
		raw := fmt.Appendf(nil, "From: a@example.com\r\nSubject: small %d\r\nMessage-ID: <%d@bench>\r\n\r\n.line %d\r\nbody\r\n", i, i, i)
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			b.Fatalf("APPEND %d: %v", i, err)
		}
	}
}
