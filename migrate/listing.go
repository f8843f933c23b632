package migrate

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/sources"
)

// A run needs the source's whole listing (to plan, to retry, to delete),
// but memory must not grow with the mailbox. The listing is kept encoded
// in blocks; beyond memBlocks blocks they go to an unlinked temporary
// file, so a run over a million messages holds a few blocks and two
// int32 per message (its plan slots). Messages are addressed by their
// index in the listing.

const (
	blockLen  = 1024 // messages per block
	memBlocks = 2    // blocks kept in memory before spilling to a file
	cacheLen  = 4    // decoded blocks kept for reading
)

// listing is a source's messages in the order List reported them.
type listing struct {
	dir string // for the spill file

	mu      sync.Mutex
	n       int
	blocks  []block // full blocks
	cur     []byte  // the block being filled, encoded
	curLen  int
	file    *os.File
	fileEnd int64
	names   []string // interned mailbox names
	nameIdx map[string]int
	cache   []decoded // most recently decoded last
}

// block is a full block: in memory (data) or in the file (off, size).
type block struct {
	data      []byte
	off, size int64
}

type decoded struct {
	b    int
	msgs []sources.Message
}

func newListing(dir string) *listing { return &listing{dir: dir, nameIdx: map[string]int{}} }

// close removes the spill file.
func (l *listing) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
}

// add stores m and returns its index.
func (l *listing) add(m sources.Message) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur = l.encode(l.cur, m)
	l.curLen++
	l.n++
	if l.curLen == blockLen {
		if err := l.seal(); err != nil {
			return 0, err
		}
	}
	return l.n - 1, nil
}

// seal moves the current block to the full blocks, spilling it to the
// file once memBlocks are in memory.
func (l *listing) seal() error {
	b := block{data: l.cur}
	if len(l.blocks) >= memBlocks {
		if l.file == nil {
			f, err := os.CreateTemp(l.dir, "mailferry-listing-*")
			if err != nil {
				return fmt.Errorf("keeping the listing in a temporary file: %w", err)
			}
			os.Remove(f.Name()) // unlinked: gone however the process ends
			l.file = f
		}
		if _, err := l.file.WriteAt(l.cur, l.fileEnd); err != nil {
			return fmt.Errorf("keeping the listing in a temporary file: %w", err)
		}
		b = block{off: l.fileEnd, size: int64(len(l.cur))}
		l.fileEnd += b.size
		l.cur = l.cur[:0]
	} else {
		l.cur = nil
	}
	l.blocks = append(l.blocks, b)
	l.curLen = 0
	return nil
}

// finish ends the listing: the last, partial block is sealed too, so
// that every block can be cached when read.
func (l *listing) finish() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.curLen == 0 {
		return nil
	}
	return l.seal()
}

// len returns the number of messages.
func (l *listing) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// get returns message i.
func (l *listing) get(i int) (sources.Message, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 || i >= l.n {
		return sources.Message{}, fmt.Errorf("listing: message %d of %d", i, l.n)
	}
	msgs, err := l.block(i / blockLen)
	if err != nil {
		return sources.Message{}, err
	}
	return msgs[i%blockLen], nil
}

// all yields every message with its index, in order.
func (l *listing) all() iter.Seq2[int, sources.Message] {
	return func(yield func(int, sources.Message) bool) {
		for i := 0; i < l.len(); i++ {
			m, err := l.get(i)
			if err != nil || !yield(i, m) {
				return
			}
		}
	}
}

// block returns block b decoded, from the cache if it is there.
func (l *listing) block(b int) ([]sources.Message, error) {
	for k := len(l.cache) - 1; k >= 0; k-- {
		if c := l.cache[k]; c.b == b {
			return c.msgs, nil
		}
	}
	var data []byte
	switch {
	case b == len(l.blocks):
		data = l.cur
	case l.blocks[b].data != nil:
		data = l.blocks[b].data
	default:
		data = make([]byte, l.blocks[b].size)
		if _, err := l.file.ReadAt(data, l.blocks[b].off); err != nil {
			return nil, fmt.Errorf("reading the listing back from its temporary file: %w", err)
		}
	}
	msgs, err := l.decode(data)
	if err != nil {
		return nil, err
	}
	if b < len(l.blocks) { // the block being filled still grows: not cached
		if len(l.cache) == cacheLen {
			l.cache = slices.Delete(l.cache, 0, 1)
		}
		l.cache = append(l.cache, decoded{b, msgs})
	}
	return msgs, nil
}

// journaled calls fn for every message of msgs (indexes into l, all of
// source mailbox src) that the job's journal holds an entry for, with its
// position in msgs and the entry, in ID order. It merges the journal's
// entries, read one by one in ID order, with the messages' IDs sorted;
// the IDs are held only while it runs.
func (e *engine) journaled(ctx context.Context, l *listing, src string, msgs []int32, fn func(i int, ent journal.Entry)) error {
	ids := make([]string, len(msgs))
	for k, i := range msgs {
		m, err := l.get(int(i))
		if err != nil {
			return err
		}
		ids[k] = m.ID
	}
	byID := make([]int32, len(msgs))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return strings.Compare(ids[a], ids[b]) })
	k, last, first := 0, "", true
	return e.job.Journal.EachCopied(ctx, e.job.Name, src, func(ent journal.Entry) error {
		if !first && ent.SrcID <= last {
			return fmt.Errorf("reading state: entries of %q out of order (%q after %q)", src, ent.SrcID, last)
		}
		first, last = false, ent.SrcID
		for k < len(byID) && ids[byID[k]] < ent.SrcID {
			k++
		}
		// A source may list one ID twice; every such message is covered.
		for j := k; j < len(byID) && ids[byID[j]] == ent.SrcID; j++ {
			fn(int(byID[j]), ent)
		}
		return nil
	})
}

// encode appends m to b.
func (l *listing) encode(b []byte, m sources.Message) []byte {
	name, ok := l.nameIdx[m.Mailbox]
	if !ok {
		name = len(l.names)
		l.names = append(l.names, m.Mailbox)
		l.nameIdx[m.Mailbox] = name
	}
	b = appendString(b, m.ID)
	b = binary.AppendUvarint(b, uint64(name))
	b = binary.AppendVarint(b, m.Size)
	flags := byte(0)
	if m.SizeExact {
		flags |= 1
	}
	if m.Flags != nil {
		flags |= 2
	}
	if !m.Date.IsZero() {
		flags |= 4
	}
	b = append(b, flags)
	if m.Flags != nil {
		b = binary.AppendUvarint(b, uint64(len(m.Flags)))
		for _, f := range m.Flags {
			b = appendString(b, f)
		}
	}
	if !m.Date.IsZero() {
		zone, offset := m.Date.Zone()
		b = binary.AppendVarint(b, m.Date.Unix())
		b = binary.AppendUvarint(b, uint64(m.Date.Nanosecond()))
		b = appendString(b, zone)
		b = binary.AppendVarint(b, int64(offset))
		loc := byte(0)
		if m.Date.Location() == time.UTC {
			loc = 1
		} else if m.Date.Location() == time.Local {
			loc = 2
		}
		b = append(b, loc)
	}
	return appendString(b, m.Location)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("the listing kept in memory or in its temporary file is corrupt")

// decode reads a block's messages.
func (l *listing) decode(data []byte) ([]sources.Message, error) {
	r := &reader{b: data}
	var out []sources.Message
	for len(r.b) > 0 {
		var m sources.Message
		m.ID = r.string()
		name := int(r.uvarint())
		if name < len(l.names) {
			m.Mailbox = l.names[name]
		} else {
			r.err = errCorrupt
		}
		m.Size = r.varint()
		flags := r.byte()
		m.SizeExact = flags&1 != 0
		if flags&2 != 0 {
			m.Flags = make([]string, r.uvarint())
			for i := range m.Flags {
				m.Flags[i] = r.string()
			}
		}
		if flags&4 != 0 {
			sec, nsec := r.varint(), int64(r.uvarint())
			zone, offset := r.string(), int(r.varint())
			switch r.byte() {
			case 1:
				m.Date = time.Unix(sec, nsec).UTC()
			case 2:
				m.Date = time.Unix(sec, nsec).Local()
			default:
				m.Date = time.Unix(sec, nsec).In(zoneFor(zone, offset))
			}
		}
		m.Location = r.string()
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, m)
	}
	return out, nil
}

// zones shares time zones between decoded messages.
var zones sync.Map // "name/offset" -> *time.Location

func zoneFor(name string, offset int) *time.Location {
	key := fmt.Sprintf("%s/%d", name, offset)
	if z, ok := zones.Load(key); ok {
		return z.(*time.Location)
	}
	z, _ := zones.LoadOrStore(key, time.FixedZone(name, offset))
	return z.(*time.Location)
}

// reader decodes what encode wrote.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	r.skip(n)
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	r.skip(n)
	return v
}

// skip drops the n bytes a varint took; n <= 0 means there was none.
func (r *reader) skip(n int) {
	if n <= 0 {
		r.fail()
		return
	}
	r.b = r.b[n:]
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = io.ErrUnexpectedEOF
	}
	r.b = nil
}

// current returns the latest listing's version of the planned message m:
// m itself until the source is reopened, then the message listed with
// its mailbox and ID; ok is false if the source no longer lists it. The
// caller holds srcMu.
func (e *engine) current(m sources.Message) (cur sources.Message, ok bool, err error) {
	if e.reindexed == nil {
		return m, true, nil
	}
	i, ok := e.reindexed[msgKey{m.Mailbox, m.ID}]
	if !ok {
		return sources.Message{}, false, nil
	}
	cur, err = e.list.get(i)
	return cur, err == nil, err
}
