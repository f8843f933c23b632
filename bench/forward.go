package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// forwarder relays TCP connections from its listener to an upstream
// address, optionally holding every chunk of data for a fixed delay in
// each direction: a delay line that adds latency without limiting
// bandwidth (up to 8 MB in flight each way).
type forwarder struct {
	ln       net.Listener
	upstream string
	delay    atomic.Int64 // nanoseconds, read when a connection opens
	wg       sync.WaitGroup

	mu     sync.Mutex
	open   map[net.Conn]bool // connections to close on close
	closed bool
}

// startForwarder listens on listen ("host:port", port 0 for any) and
// relays each connection to upstream until close.
func startForwarder(listen, upstream string) (*forwarder, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	f := &forwarder{ln: ln, upstream: upstream, open: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// addr is the listening address.
func (f *forwarder) addr() string { return f.ln.Addr().String() }

// setDelay sets the one-way delay of connections opened from now on.
func (f *forwarder) setDelay(d time.Duration) { f.delay.Store(int64(d)) }

// close stops listening, closes the open connections (a client may
// still be running when the benchmark is interrupted) and waits for
// their relays to end.
func (f *forwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.open {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// track registers c to be closed by close, or closes it at once and
// returns false if close has run.
func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		c.Close()
		return false
	}
	f.open[c] = true
	return true
}

// untrack forgets c.
func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.open, c)
	f.mu.Unlock()
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go f.relay(c)
	}
}

// relay copies both ways between client and a new upstream connection
// and closes both once both directions have ended.
func (f *forwarder) relay(client net.Conn) {
	defer f.wg.Done()
	defer client.Close()
	if !f.track(client) {
		return
	}
	defer f.untrack(client)
	server, err := net.Dial("tcp", f.upstream)
	if err != nil || !f.track(server) {
		return
	}
	defer server.Close()
	defer f.untrack(server)
	d := time.Duration(f.delay.Load())
	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); pipe(server, client, d) }()
	go func() { defer both.Done(); pipe(client, server, d) }()
	both.Wait()
}

// pipe copies src to dst, each chunk d after it was read, and then
// half-closes dst. On a write error it closes both, which ends the
// other direction too.
func pipe(dst, src net.Conn, d time.Duration) {
	defer closeWrite(dst)
	if d == 0 {
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			src.Close()
		}
		return
	}
	type chunk struct {
		due time.Time
		b   []byte
	}
	q := make(chan chunk, 256)
	go func() {
		defer close(q)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{time.Now().Add(d), append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.b); err != nil {
			dst.Close()
			src.Close()
			for range q {
			}
			return
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}
