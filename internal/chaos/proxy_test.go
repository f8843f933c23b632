package chaos

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// backend is a test server: it runs serve for every connection and
// records what each connection received when it ends.
type backend struct {
	ln       net.Listener
	mu       sync.Mutex
	received [][]byte
	wg       sync.WaitGroup
}

func startBackend(t *testing.T, serve func(c net.Conn)) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{ln: ln}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

// startSink starts a backend that only records what it receives.
func startSink(t *testing.T) *backend {
	ch := make(chan *backend, 1)
	b := startBackend(t, func(c net.Conn) { b := <-ch; ch <- b; b.sink(c) })
	ch <- b
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

// sink reads a connection to its end and records the bytes.
func (b *backend) sink(c net.Conn) {
	got, _ := io.ReadAll(c)
	b.mu.Lock()
	b.received = append(b.received, got)
	b.mu.Unlock()
}

func (b *backend) lastReceived(t *testing.T) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		n := len(b.received)
		var last []byte
		if n > 0 {
			last = b.received[n-1]
		}
		b.mu.Unlock()
		if n > 0 {
			return last
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the backend never saw its connection end")
	return nil
}

// pattern returns n recognisable bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("net.Dial(%s) = %v", p.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

func TestForwardsBothWays(t *testing.T) {
	b := startBackend(t, func(c net.Conn) { io.Copy(c, c) }) // echo
	p := New(t, b.addr())
	c := dial(t, p)
	want := pattern(3 << 20)
	go func() { c.Write(want); c.(*net.TCPConn).CloseWrite() }()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("echo through the proxy = %d bytes (%v), want the %d bytes sent", len(got), err, len(want))
	}
	if n := p.Counts(); n.Conns != 1 || n.Total() != 0 {
		t.Errorf("Counts() = %v, want 1 connection and no fault", n)
	}
}

func TestCutToClientAtOffset(t *testing.T) {
	greeting := pattern(5000)
	b := startBackend(t, func(c net.Conn) { c.Write(greeting); io.Copy(io.Discard, c) })
	p := New(t, b.addr())
	p.Next(Fault{Kind: Cut, Dir: ToClient, Offset: 1234})
	got, err := io.ReadAll(dial(t, p))
	if err != nil || !bytes.Equal(got, greeting[:1234]) {
		t.Fatalf("read through a cut at byte 1234 = %d bytes (%v), want the first 1234 then EOF", len(got), err)
	}
	if n := p.Counts().Faults[Cut]; n != 1 {
		t.Errorf("Counts().Faults[Cut] = %d, want 1", n)
	}
}

func TestCutToServerAtOffset(t *testing.T) {
	b := startSink(t)
	p := New(t, b.addr())
	p.Next(Fault{Kind: Cut, Dir: ToServer, Offset: 70000})
	c := dial(t, p)
	sent := pattern(200000)
	c.Write(sent) // fails part way once the proxy cut
	if got := b.lastReceived(t); !bytes.Equal(got, sent[:70000]) {
		t.Fatalf("backend received %d bytes through a cut at byte 70000, want exactly the first 70000", len(got))
	}
}

func TestResetSendsRST(t *testing.T) {
	b := startBackend(t, func(c net.Conn) { c.Write([]byte("* OK hello\r\n")); io.Copy(io.Discard, c) })
	p := New(t, b.addr())
	p.Next(Fault{Kind: Reset, Dir: ToClient, Offset: 0})
	// The RST may even arrive before net.Dial has checked the socket.
	c, err := net.Dial("tcp", p.Addr())
	if err == nil {
		defer c.Close()
		_, err = io.ReadAll(c)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read through a reset = %v, want ECONNRESET", err)
	}
	if n := p.Counts().Faults[Reset]; n != 1 {
		t.Errorf("Counts().Faults[Reset] = %d, want 1", n)
	}
}

func TestStallUntilRelease(t *testing.T) {
	b := startBackend(t, func(c net.Conn) { c.Write([]byte("hello world")); io.Copy(io.Discard, c) })
	p := New(t, b.addr())
	p.Next(Fault{Kind: Stall, Dir: ToClient, Offset: 5})
	c := dial(t, p)
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read before the stall = %q, %v, want \"hello\"", buf, err)
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read during the stall = %d bytes, %v, want a timeout", n, err)
	}
	p.Release()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest := make([]byte, 6)
	if _, err := io.ReadFull(c, rest); err != nil || string(rest) != " world" {
		t.Fatalf("read after Release = %q, %v, want \" world\"", rest, err)
	}
}

func TestStallForDuration(t *testing.T) {
	b := startSink(t)
	p := New(t, b.addr())
	p.Next(Fault{Kind: Stall, Dir: ToServer, Offset: 3, Duration: 20 * time.Millisecond})
	c := dial(t, p)
	c.Write([]byte("abcdef"))
	c.(*net.TCPConn).CloseWrite()
	if got := b.lastReceived(t); string(got) != "abcdef" {
		t.Fatalf("backend received %q after a 20ms stall, want \"abcdef\"", got)
	}
	if n := p.Counts().Faults[Stall]; n != 1 {
		t.Errorf("Counts().Faults[Stall] = %d, want 1", n)
	}
}

func TestTrickle(t *testing.T) {
	data := pattern(400)
	b := startBackend(t, func(c net.Conn) { c.Write(data) })
	p := New(t, b.addr())
	p.Next(Fault{Kind: Trickle, Dir: ToClient, Offset: 100, Chunk: 10, Duration: 2 * time.Millisecond})
	var mu sync.Mutex
	var writes []int
	p.Tap(func(dir Direction, b []byte) {
		mu.Lock()
		writes = append(writes, len(b))
		mu.Unlock()
	})
	start := time.Now()
	got, err := io.ReadAll(dial(t, p))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read through a trickle = %d bytes (%v), want all %d", len(got), err, len(data))
	}
	// 30 chunks of 10 bytes, each after a 2ms pause: at least 60ms.
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("300 bytes trickled at 10 per 2ms took %v, want at least 60ms", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writes) != 31 || writes[0] != 100 {
		t.Errorf("forwarded writes = %v, want 100 then 30 of 10", writes)
	}
}

// imapBackend answers NOOP and APPEND (with LITERAL+ literals) like an
// IMAP server, recording each appended body.
type imapBackend struct {
	*backend
	mu     sync.Mutex
	stored []string
}

func startIMAPBackend(t *testing.T) *imapBackend {
	ib := &imapBackend{}
	ib.backend = startBackend(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		c.Write([]byte("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			switch strings.ToUpper(f[1]) {
			case "APPEND":
				var n int
				lit := f[len(f)-1]
				for _, ch := range strings.Trim(lit, "{+}") {
					n = n*10 + int(ch-'0')
				}
				body := make([]byte, n+2)
				if _, err := io.ReadFull(r, body); err != nil {
					return
				}
				ib.mu.Lock()
				ib.stored = append(ib.stored, string(body[:n]))
				uid := len(ib.stored)
				ib.mu.Unlock()
				c.Write([]byte(f[0] + " OK [APPENDUID 1 " + itoa(uid) + "] APPEND completed\r\n"))
			default:
				c.Write([]byte(f[0] + " OK " + f[1] + " completed\r\n"))
			}
		}
	})
	return ib
}

func (ib *imapBackend) storedCount() int {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return len(ib.stored)
}

// appendOnce sends an APPEND of body and returns the server's answer
// line, or the read error.
func appendOnce(r *bufio.Reader, c net.Conn, tag, body string) (string, error) {
	c.Write([]byte(tag + " APPEND INBOX {" + itoa(len(body)) + "+}\r\n" + body + "\r\n"))
	return r.ReadString('\n')
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestCutAfterAppendOK(t *testing.T) {
	ib := startIMAPBackend(t)
	p := New(t, ib.addr())
	p.Next(Fault{Kind: CutAfterAppendOK, Appends: 1})
	c := dial(t, p)
	r := bufio.NewReader(c)
	r.ReadString('\n') // greeting
	c.Write([]byte("a1 NOOP\r\n"))
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "a1 OK") {
		t.Fatalf("NOOP answer = %q, want a1 OK", line)
	}
	if line, err := appendOnce(r, c, "a2", "first"); !strings.HasPrefix(line, "a2 OK") {
		t.Fatalf("first APPEND answer = %q, %v, want a2 OK (the fault is for the second)", line, err)
	}
	line, err := appendOnce(r, c, "a3", "second message\r\nA4 APPEND x\r\n")
	if err == nil {
		t.Fatalf("second APPEND answer = %q, want the connection cut before the OK", line)
	}
	if n := ib.storedCount(); n != 2 {
		t.Errorf("backend stored %d messages, want 2 (the cut comes after the server stored it)", n)
	}
	if n := p.Counts().Faults[CutAfterAppendOK]; n != 1 {
		t.Errorf("Counts().Faults[CutAfterAppendOK] = %d, want 1", n)
	}
}

func TestByeInsteadOfAppendOK(t *testing.T) {
	ib := startIMAPBackend(t)
	p := New(t, ib.addr())
	p.Next(Fault{Kind: Bye})
	c := dial(t, p)
	r := bufio.NewReader(c)
	r.ReadString('\n')
	line, err := appendOnce(r, c, "x1", "hello")
	if err != nil || line != byeLine {
		t.Fatalf("APPEND answer = %q, %v, want %q", line, err, byeLine)
	}
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Errorf("after BYE read %q, %v, want EOF", rest, err)
	}
	if n := ib.storedCount(); n != 1 {
		t.Errorf("backend stored %d messages, want 1", n)
	}
}

func TestRandomIsRepeatable(t *testing.T) {
	b := startBackend(t, func(c net.Conn) {})
	armed := func(seed uint64) []Fault {
		p := New(t, b.addr())
		if got := p.Random(Random{Seed: seed, Rate: 0.5, Max: 6}); got != seed {
			t.Fatalf("Random(Seed: %d) = %d, want the seed back", seed, got)
		}
		for range 40 {
			c := dial(t, p)
			io.ReadAll(c)
		}
		return p.Counts().Armed
	}
	a, b2 := armed(42), armed(42)
	if len(a) != 6 {
		t.Fatalf("40 connections at rate 0.5, Max 6 armed %d faults, want 6", len(a))
	}
	for i := range a {
		if a[i] != b2[i] {
			t.Fatalf("seed 42 armed %v then %v, want the same faults", a, b2)
		}
	}
}

func TestBackendDownClosesClient(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := New(t, addr)
	if got, _ := io.ReadAll(dial(t, p)); len(got) != 0 {
		t.Errorf("read with the backend down = %q, want nothing", got)
	}
}

func TestCalmStopsFaults(t *testing.T) {
	b := startBackend(t, func(c net.Conn) { c.Write([]byte("hi")) })
	p := New(t, b.addr())
	p.Every(Fault{Kind: Cut, Dir: ToClient, Offset: 1})
	if got, _ := io.ReadAll(dial(t, p)); string(got) != "h" {
		t.Fatalf("read with Every(cut at 1) = %q, want \"h\"", got)
	}
	p.Calm()
	if got, _ := io.ReadAll(dial(t, p)); string(got) != "hi" {
		t.Fatalf("read after Calm = %q, want \"hi\"", got)
	}
}
