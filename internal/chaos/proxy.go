// Package chaos is a TCP proxy for tests that breaks connections on
// purpose: it forwards 127.0.0.1 connections to a backend (an IMAP or
// POP3 server) and, on cue or at random from a printed seed, cuts them
// at a chosen byte (mid-greeting, mid-literal), cuts them right after
// the server answered OK to an APPEND but before the client sees it,
// replaces that answer with BYE, resets them (TCP RST), stalls them or
// slows them to a trickle. It counts the faults it injected so a test
// can say what it survived.
//
// A connection gets at most one fault, chosen when it is accepted: the
// next queued one (Next), else the standing one (Every), else a random
// draw (Random). Calm stops all of them so that a run can finish.
package chaos

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy forwards connections from Addr to a backend, injecting faults.
// Its methods are safe for concurrent use.
type Proxy struct {
	backend string
	ln      net.Listener

	mu      sync.Mutex
	next    []Fault
	every   *Fault
	random  *Random
	rng     *rand.Rand
	armed   []Fault
	fired   map[Kind]int
	conns   int
	live    map[*conn]struct{}
	release chan struct{}
	tap     func(Direction, []byte)
	closed  bool
	wg      sync.WaitGroup
}

// Listen starts a proxy on 127.0.0.1 (a free port) forwarding to
// backend ("host:port"). Close stops it.
func Listen(backend string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaos: listen: %w", err)
	}
	p := &Proxy{backend: backend, ln: ln, fired: map[Kind]int{},
		live: map[*conn]struct{}{}, release: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// New is Listen for a test: it fails the test on error and closes the
// proxy when the test ends.
func New(t testing.TB, backend string) *Proxy {
	t.Helper()
	p, err := Listen(backend)
	if err != nil {
		t.Fatalf("chaos.Listen(%s) = %v", backend, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Addr returns the "127.0.0.1:port" clients should connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Backend returns the address the proxy forwards to.
func (p *Proxy) Backend() string { return p.backend }

// Next queues faults for the next connections, one each, in order.
func (p *Proxy) Next(faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = append(p.next, faults...)
}

// Every arms f on every new connection (after the queued ones) until
// Calm.
func (p *Proxy) Every(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.every = &f
}

// Random draws faults for new connections as r says, until Calm, and
// returns the seed in use (r.Seed, or one taken from the clock).
func (p *Proxy) Random(r Random) uint64 {
	if r.Seed == 0 {
		r.Seed = uint64(time.Now().UnixNano())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.random = &r
	p.rng = rand.New(rand.NewPCG(r.Seed, 0x636861))
	return r.Seed
}

// Calm stops injecting faults into new connections and releases every
// stall. Faults already firing on live connections (a trickle) go on.
func (p *Proxy) Calm() {
	p.mu.Lock()
	p.next, p.every, p.random = nil, nil, nil
	p.mu.Unlock()
	p.Release()
}

// Release ends every stall in progress; stalls armed later still stall.
func (p *Proxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.release)
	p.release = make(chan struct{})
}

// DropAll cuts every live connection now (with a RST when reset is
// true), as a network failure would.
func (p *Proxy) DropAll(reset bool) {
	p.mu.Lock()
	live := make([]*conn, 0, len(p.live))
	for c := range p.live {
		live = append(live, c)
	}
	p.mu.Unlock()
	for _, c := range live {
		c.close(reset)
	}
}

// Tap calls fn with every chunk of bytes forwarded, from the goroutine
// forwarding it (fn must not keep b). Nil stops tapping.
func (p *Proxy) Tap(fn func(dir Direction, b []byte)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tap = fn
}

// Live returns the number of connections being forwarded now.
func (p *Proxy) Live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live)
}

// Close stops listening, drops every connection and waits for them.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.DropAll(false)
	p.wg.Wait()
	return err
}

// Counts is what a proxy did so far.
type Counts struct {
	Conns  int          // connections accepted
	Armed  []Fault      // faults armed, in the order of the connections
	Faults map[Kind]int // faults that fired, by kind
}

// Total returns the number of faults that fired.
func (c Counts) Total() int {
	n := 0
	for _, v := range c.Faults {
		n += v
	}
	return n
}

// String summarises the counts: "40 connections, 7 faults (2 cut, ...)".
func (c Counts) String() string {
	var parts []string
	for k, v := range c.Faults {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d connections, %d faults fired of %d armed (%s)", c.Conns, c.Total(), len(c.Armed), strings.Join(parts, ", "))
}

// Counts returns a snapshot of the proxy's counters.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := Counts{Conns: p.conns, Armed: append([]Fault(nil), p.armed...), Faults: map[Kind]int{}}
	for k, v := range p.fired {
		c.Faults[k] = v
	}
	return c
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(client.(*net.TCPConn))
		}()
	}
}

// pick chooses the fault for a new connection, or nil.
func (p *Proxy) pick() *Fault {
	p.conns++
	var f *Fault
	switch {
	case len(p.next) > 0:
		f = &p.next[0]
		p.next = p.next[1:]
	case p.every != nil:
		e := *p.every
		f = &e
	case p.random != nil && (p.random.Max == 0 || len(p.armed) < p.random.Max):
		if r, ok := p.random.draw(p.rng); ok {
			f = &r
		}
	}
	if f != nil {
		p.armed = append(p.armed, *f)
	}
	return f
}

func (p *Proxy) handle(client *net.TCPConn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		return
	}
	f := p.pick()
	p.mu.Unlock()
	backend, err := net.DialTimeout("tcp", p.backend, 10*time.Second)
	if err != nil {
		// The backend is down: the client sees its connection closed.
		client.Close()
		return
	}
	c := newConn(p, client, backend.(*net.TCPConn), f)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.close(false)
		return
	}
	p.live[c] = struct{}{}
	p.mu.Unlock()
	c.run()
	p.mu.Lock()
	delete(p.live, c)
	p.mu.Unlock()
}

// fire counts a fault that took effect.
func (p *Proxy) fire(k Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fired[k]++
}

func (p *Proxy) releaseChan() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.release
}

func (p *Proxy) tapFunc() func(Direction, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tap
}
