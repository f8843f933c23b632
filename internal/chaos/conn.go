package chaos

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// byeLine is what a Bye fault sends instead of the APPEND's OK.
const byeLine = "* BYE chaos: server shutting down\r\n"

// conn is one proxied connection with at most one fault.
type conn struct {
	p      *Proxy
	client *net.TCPConn
	server *net.TCPConn
	fault  *Fault

	mu         sync.Mutex
	fired      bool
	appendTags map[string]bool // tags of APPENDs not answered yet
	appendOKs  int             // APPENDs answered OK so far

	closeOnce sync.Once
	done      chan struct{}
}

func newConn(p *Proxy, client, server *net.TCPConn, f *Fault) *conn {
	return &conn{p: p, client: client, server: server, fault: f,
		appendTags: map[string]bool{}, done: make(chan struct{})}
}

// run forwards both directions until the connection ends.
func (c *conn) run() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.pump(ToServer, c.client, c.server) }()
	go func() { defer wg.Done(); c.pump(ToClient, c.server, c.client) }()
	wg.Wait()
	c.close(false)
}

// close ends the connection on both sides, with a RST if reset.
func (c *conn) close(reset bool) {
	c.closeOnce.Do(func() {
		if reset {
			c.client.SetLinger(0)
			c.server.SetLinger(0)
		}
		c.client.Close()
		c.server.Close()
		close(c.done)
	})
}

// pump forwards one direction. An EOF is passed on as a half-close; any
// other error ends the whole connection.
func (c *conn) pump(dir Direction, src, dst *net.TCPConn) {
	d := &direction{c: c, dir: dir, dst: dst}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !d.forward(buf[:n]) {
			return
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				dst.CloseWrite()
				return
			}
			c.close(false)
			return
		}
	}
}

// direction is the state of one half of a connection.
type direction struct {
	c       *conn
	dir     Direction
	dst     *net.TCPConn
	sent    int64
	trickle *Fault
	line    []byte // the start of the current line (at most lineHead bytes)
	midLine bool   // the current line began in an earlier chunk
}

const lineHead = 96

// forward sends data on, applying the connection's fault. It reports
// false once the connection is gone.
func (d *direction) forward(data []byte) bool {
	c := d.c
	for len(data) > 0 {
		cut, action := len(data), Kind(0)
		c.mu.Lock()
		f, fired := c.fault, c.fired
		c.mu.Unlock()
		if f != nil && !fired {
			switch {
			case f.Kind.byOffset() && f.Dir == d.dir:
				if rem := f.Offset - d.sent; rem < int64(len(data)) {
					cut, action = int(max(rem, 0)), f.Kind
				}
			case !f.Kind.byOffset():
				if at, ok := d.scan(data, f); ok {
					cut, action = at, f.Kind
				}
			}
		}
		if !d.write(data[:cut]) {
			return false
		}
		data = data[cut:]
		if action == 0 {
			continue
		}
		c.mu.Lock()
		c.fired = true
		c.mu.Unlock()
		c.p.fire(action)
		switch action {
		case Cut, CutAfterAppendOK:
			c.close(false)
			return false
		case Reset:
			c.close(true)
			return false
		case Bye:
			d.dst.Write([]byte(byeLine))
			c.close(false)
			return false
		case Stall:
			if !d.stall(f.Duration) {
				return false
			}
		case Trickle:
			d.trickle = f
		}
	}
	return true
}

// stall waits for the stall to end; false if the connection ended.
func (d *direction) stall(dur time.Duration) bool {
	var timeout <-chan time.Time
	if dur > 0 {
		t := time.NewTimer(dur)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-d.c.p.releaseChan():
	case <-d.c.done:
		return false
	}
	return true
}

// write sends b to the destination, in trickles if one is on.
func (d *direction) write(b []byte) bool {
	tap := d.c.p.tapFunc()
	for len(b) > 0 {
		n := len(b)
		if d.trickle != nil {
			n = min(n, d.trickle.chunk())
			select {
			case <-time.After(d.trickle.interval()):
			case <-d.c.done:
				return false
			}
		}
		if tap != nil {
			tap(d.dir, b[:n])
		}
		if _, err := d.dst.Write(b[:n]); err != nil {
			d.c.close(false)
			return false
		}
		d.sent += int64(n)
		b = b[n:]
	}
	return true
}

// scan looks at data line by line for the APPEND bookkeeping of f:
// commands going to the server record APPEND tags; answers going to the
// client are checked for the tagged OK that fires f. It returns the
// index in data of the start of the line that fires f.
func (d *direction) scan(data []byte, f *Fault) (int, bool) {
	start := 0
	if d.midLine {
		start = -1
	}
	for i, b := range data {
		if len(d.line) < lineHead {
			d.line = append(d.line, b)
		}
		if b != '\n' {
			continue
		}
		line := d.line
		d.line, d.midLine = d.line[:0], false
		if d.dir == ToServer {
			d.c.noteCommand(line)
		} else if d.c.answerFires(line, f) {
			d.line = d.line[:0]
			return max(start, 0), true
		}
		start = i + 1
	}
	d.midLine = len(d.line) > 0
	return 0, false
}

// noteCommand records the tag of an APPEND command line.
func (c *conn) noteCommand(line []byte) {
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return
	}
	verb := fields[1]
	if bytes.EqualFold(verb, []byte("UID")) && len(fields) > 2 {
		verb = fields[2]
	}
	if bytes.EqualFold(verb, []byte("APPEND")) {
		c.mu.Lock()
		c.appendTags[string(fields[0])] = true
		c.mu.Unlock()
	}
}

// answerFires reports whether line is the tagged OK that fires f.
func (c *conn) answerFires(line []byte, f *Fault) bool {
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tag := string(fields[0])
	if !c.appendTags[tag] {
		return false
	}
	delete(c.appendTags, tag)
	if !bytes.EqualFold(fields[1], []byte("OK")) {
		return false
	}
	c.appendOKs++
	return c.appendOKs-1 == f.Appends
}
