package chaos

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Direction names one half of a proxied connection.
type Direction int

const (
	// ToServer is the bytes the client sends to the backend.
	ToServer Direction = iota
	// ToClient is the bytes the backend sends to the client.
	ToClient
)

// String returns "to-server" or "to-client".
func (d Direction) String() string {
	if d == ToClient {
		return "to-client"
	}
	return "to-server"
}

// Kind is what a fault does to a connection.
type Kind int

const (
	// Cut closes both sides of the connection (a clean FIN) once Offset
	// bytes of Dir were forwarded: mid-greeting, mid-command, mid-literal.
	Cut Kind = iota + 1
	// Reset closes both sides with SO_LINGER 0 (a TCP RST) once Offset
	// bytes of Dir were forwarded.
	Reset
	// Stall stops forwarding Dir once Offset bytes were forwarded, for
	// Duration (zero: until Proxy.Release or the connection ends). The
	// connection stays open: a server that never answers.
	Stall
	// Trickle forwards Dir from Offset on at Chunk bytes per Duration.
	Trickle
	// CutAfterAppendOK closes the connection at the moment the backend
	// sends the tagged OK of the connection's APPEND number Appends (0 is
	// the first), before any byte of that line reaches the client: the
	// server stored the message, the client never learns it.
	CutAfterAppendOK
	// Bye replaces the tagged OK of APPEND number Appends with an
	// untagged "* BYE" and closes the connection, as a server shutting
	// down right after storing a message would.
	Bye
)

// Kinds lists every fault kind, for Random.
var Kinds = []Kind{Cut, Reset, Stall, Trickle, CutAfterAppendOK, Bye}

var kindNames = map[Kind]string{
	Cut: "cut", Reset: "reset", Stall: "stall", Trickle: "trickle",
	CutAfterAppendOK: "cut-after-append-ok", Bye: "bye",
}

// String returns the kind's name, e.g. "cut-after-append-ok".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// byOffset reports whether the kind fires at a byte offset of a
// direction (rather than at an APPEND's answer).
func (k Kind) byOffset() bool { return k == Cut || k == Reset || k == Stall || k == Trickle }

// Fault is one fault armed on one proxied connection.
type Fault struct {
	Kind Kind
	// Dir and Offset place Cut, Reset, Stall and Trickle: the fault fires
	// once Offset bytes of Dir were forwarded (0: before the first).
	Dir    Direction
	Offset int64
	// Appends places CutAfterAppendOK and Bye: the number of APPENDs on
	// the connection answered OK before the one that fires.
	Appends int
	// Duration is how long a Stall lasts (zero: until released) or the
	// pause between a Trickle's chunks (default 1ms).
	Duration time.Duration
	// Chunk is how many bytes a Trickle forwards per pause (default 1).
	Chunk int
}

// String describes the fault, e.g. "cut to-client at byte 120".
func (f Fault) String() string {
	switch f.Kind {
	case Stall:
		d := "until released"
		if f.Duration > 0 {
			d = "for " + f.Duration.String()
		}
		return fmt.Sprintf("stall %s at byte %d %s", f.Dir, f.Offset, d)
	case Trickle:
		return fmt.Sprintf("trickle %s from byte %d, %d bytes per %v", f.Dir, f.Offset, f.chunk(), f.interval())
	case CutAfterAppendOK, Bye:
		return fmt.Sprintf("%s at the OK of append %d", f.Kind, f.Appends)
	}
	return fmt.Sprintf("%s %s at byte %d", f.Kind, f.Dir, f.Offset)
}

func (f Fault) chunk() int {
	if f.Chunk <= 0 {
		return 1
	}
	return f.Chunk
}

func (f Fault) interval() time.Duration {
	if f.Duration <= 0 {
		return time.Millisecond
	}
	return f.Duration
}

// Random describes faults drawn at random, one at most per connection.
type Random struct {
	// Seed makes the draws repeatable; zero picks one from the clock
	// (Proxy.Random returns it).
	Seed uint64
	// Rate is the probability that a new connection gets a fault.
	Rate float64
	// Max is the most faults armed in all (0: no limit), so that a run
	// is sure to get through in the end.
	Max int
	// Kinds to choose from (default Kinds).
	Kinds []Kind
	// MaxOffset bounds byte offsets, drawn log-uniformly so that
	// greetings and logins are hit as often as large literals (default
	// 1 MiB).
	MaxOffset int64
	// MaxStall bounds how long a random stall lasts (default 300ms); a
	// random stall always ends.
	MaxStall time.Duration
	// MaxAppends bounds the APPEND a CutAfterAppendOK or Bye hits
	// (default 20).
	MaxAppends int
}

// draw picks a fault with rng, or reports false.
func (r *Random) draw(rng *rand.Rand) (Fault, bool) {
	if rng.Float64() >= r.Rate {
		return Fault{}, false
	}
	kinds := r.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	maxOff := r.MaxOffset
	if maxOff <= 0 {
		maxOff = 1 << 20
	}
	maxStall := r.MaxStall
	if maxStall <= 0 {
		maxStall = 300 * time.Millisecond
	}
	maxAppends := r.MaxAppends
	if maxAppends <= 0 {
		maxAppends = 20
	}
	f := Fault{Kind: kinds[rng.IntN(len(kinds))], Dir: Direction(rng.IntN(2))}
	f.Offset = int64(math.Exp(rng.Float64()*math.Log(float64(maxOff+1)))) - 1
	switch f.Kind {
	case Stall:
		f.Duration = time.Duration(1 + rng.Int64N(int64(maxStall)))
	case Trickle:
		f.Chunk = 512 + rng.IntN(8192)
		f.Duration = time.Millisecond
	case CutAfterAppendOK, Bye:
		f.Offset, f.Dir = 0, ToClient
		f.Appends = rng.IntN(maxAppends)
	}
	return f, true
}
