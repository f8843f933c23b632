package migrate

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/sources"
)

// A run holds the source's whole listing while it transfers, so the
// memory it needs per listed message bounds how large a mailbox it can
// handle. The listing is kept in chunks (no copying as it grows, and
// pointers into it stay valid), and the journal is merged with it in ID
// order instead of being loaded into a map.

// chunkSize is the number of messages per listing chunk.
const chunkSize = 1024

// listing is a source's messages in the order List reported them.
type listing struct {
	chunks [][]sources.Message
	n      int
}

// add stores m and returns where it is kept.
func (l *listing) add(m sources.Message) *sources.Message {
	if l.n%chunkSize == 0 {
		l.chunks = append(l.chunks, make([]sources.Message, 0, chunkSize))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, m)
	l.n++
	return &(*c)[len(*c)-1]
}

// len returns the number of messages.
func (l *listing) len() int { return l.n }

// all yields every message, in order.
func (l *listing) all() iter.Seq[*sources.Message] {
	return func(yield func(*sources.Message) bool) {
		for _, c := range l.chunks {
			for i := range c {
				if !yield(&c[i]) {
					return
				}
			}
		}
	}
}

// journaled calls fn for every message of msgs (all of source mailbox
// src) that the job's journal holds an entry for, with its index in msgs
// and the entry, in ID order. It reads the journal's entries one by one in ID order and
// merges them with msgs sorted by ID, so memory grows by four bytes per
// message, not by a map of every entry.
func (e *engine) journaled(ctx context.Context, src string, msgs []*sources.Message, fn func(i int, ent journal.Entry)) error {
	byID := make([]int32, len(msgs))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return strings.Compare(msgs[a].ID, msgs[b].ID) })
	k, last, first := 0, "", true
	return e.job.Journal.EachCopied(ctx, e.job.Name, src, func(ent journal.Entry) error {
		if !first && ent.SrcID <= last {
			return fmt.Errorf("reading state: entries of %q out of order (%q after %q)", src, ent.SrcID, last)
		}
		first, last = false, ent.SrcID
		for k < len(byID) && msgs[byID[k]].ID < ent.SrcID {
			k++
		}
		// A source may list one ID twice; every such message is covered.
		for j := k; j < len(byID) && msgs[byID[j]].ID == ent.SrcID; j++ {
			fn(int(byID[j]), ent)
		}
		return nil
	})
}
