package imap

import (
	"strings"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"
)

// maxInterned bounds each table of an interner: beyond it, values are
// no longer shared (a mailbox where every message has its own keywords).
const maxInterned = 4096

// interner shares, between the messages of a listing, the values that
// repeat from message to message: a mailbox of 100,000 messages has a
// handful of distinct flag lists and time zones, and the engine holds
// the whole listing in memory. Shared flag lists have no spare capacity,
// so appending to one copies it.
type interner struct {
	mu    sync.Mutex
	flags map[string][]string // by the flags joined with " "
	zones map[zoneKey]*time.Location
	key   []byte
}

type zoneKey struct {
	name   string
	offset int
}

// flagList returns fl without \Recent, as a list shared with every
// earlier message that had the same flags. It is never nil.
func (in *interner) flagList(fl []goimap.Flag) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.key = in.key[:0]
	n := 0
	for _, f := range fl {
		if !strings.EqualFold(string(f), `\Recent`) {
			in.key = append(append(in.key, f...), ' ')
			n++
		}
	}
	if l, ok := in.flags[string(in.key)]; ok {
		return l
	}
	l := make([]string, 0, n)
	for _, f := range fl {
		if !strings.EqualFold(string(f), `\Recent`) {
			l = append(l, string(f))
		}
	}
	if in.flags == nil {
		in.flags = map[string][]string{}
	}
	if len(in.flags) < maxInterned {
		in.flags[string(in.key)] = l
	}
	return l
}

// date returns t in a time zone shared with earlier messages of the same
// zone name and offset: parsing "+0530" makes a new zone each time (Go
// shares only whole-hour ones). The instant, name and offset are
// unchanged.
func (in *interner) date(t time.Time) time.Time {
	loc := t.Location()
	if loc == time.UTC || loc == time.Local || t.IsZero() {
		return t
	}
	name, offset := t.Zone()
	k := zoneKey{name, offset}
	in.mu.Lock()
	defer in.mu.Unlock()
	if shared, ok := in.zones[k]; ok {
		return t.In(shared)
	}
	if in.zones == nil {
		in.zones = map[zoneKey]*time.Location{}
	}
	if len(in.zones) < maxInterned {
		in.zones[k] = time.FixedZone(name, offset)
		return t.In(in.zones[k])
	}
	return t
}
