package mbox

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/mailferry/mailferry/sources"
)

// listing is what List learns of one mbox file.
type listing struct {
	format string
	strict bool    // the first "From " line was real
	msgs   []entry // by offset
	// resumable says that a later scan of mail appended to the file may
	// start at the last message's "From " line; prefix is the tally of
	// the segments before that line.
	resumable bool
	prefix    tally
}

// scan reads mb's file once, or its index (Options.IndexDir), and
// records its messages.
func (s *Source) scan(ctx context.Context, mb *mailbox) error {
	if mb.scanned {
		return nil
	}
	st, err := s.stream(mb)
	if err != nil {
		return err
	}
	fi, err := st.f.Stat()
	if err != nil {
		return sources.Permanent(err)
	}
	if s.opts.IndexDir == "" {
		l, err := s.scanFile(ctx, st)
		if err != nil {
			return err
		}
		mb.msgs, mb.format, mb.fi, mb.scanned = l.msgs, l.format, fi, true
		return nil
	}
	id, err := identify(st.f, fi)
	if err != nil {
		return sources.Permanent(err)
	}
	idx, err := indexPath(s.opts.IndexDir, mb.path)
	if err != nil {
		return sources.Permanent(err)
	}
	l, same, err := s.fromIndex(ctx, st, idx, id)
	if err != nil {
		return err
	}
	if l == nil {
		full, err := s.scanFile(ctx, st)
		if err != nil {
			return err
		}
		l = &full
	}
	if !same {
		// The index is a cache: if it cannot be written, the next List
		// reads the file again, which is slower but right.
		_ = writeIndex(idx, indexHeader{
			id:        id,
			requested: s.opts.Format,
			format:    l.format,
			strict:    l.strict,
			resumable: l.resumable,
			prefix:    l.prefix,
			count:     int64(len(l.msgs)),
		}, l.msgs)
	}
	mb.msgs, mb.format, mb.fi, mb.scanned = l.msgs, l.format, fi, true
	return nil
}

// scanFile reads the whole file.
func (s *Source) scanFile(ctx context.Context, st *stream) (listing, error) {
	r, err := st.readerAt(0)
	if err != nil {
		return listing{}, err
	}
	segs, strict, err := scan(ctx, countReader{r, &s.scannedBytes}, st.path, scanStart{})
	if err != nil {
		return listing{}, err
	}
	t, _ := tallyOf(segs, len(segs))
	l := listing{format: s.opts.Format, strict: strict}
	if l.format == "" {
		l.format = t.format()
	}
	l.msgs = layout(segs, l.format)
	if err := rehash(st, l.msgs); err != nil {
		return listing{}, err
	}
	l.prefix, l.resumable = lastTally(segs, l.msgs)
	return l, nil
}

// fromIndex reads the index file at path if it describes the file id
// identifies, or the start of it: then it returns the listing, reading
// only mail appended since. same reports that the file is unchanged. A
// nil listing means the index does not help: read the whole file.
func (s *Source) fromIndex(ctx context.Context, st *stream, path string, id fileID) (l *listing, same bool, err error) {
	ir, h, err := openIndex(path)
	if err != nil {
		return nil, false, nil
	}
	defer ir.close()
	same = h.id.sameFile(id)
	if h.requested != s.opts.Format || !same && !(h.resumable && h.count > 0 && h.id.grown(id, st.f)) {
		return nil, false, nil
	}
	msgs := make([]entry, 0, min(h.count, 1<<16))
	for i := int64(0); i < h.count; i++ {
		if i%ctxEvery == 0 && ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		e, err := ir.next()
		if err != nil {
			return nil, false, nil
		}
		msgs = append(msgs, e)
	}
	if ir.end() != nil {
		return nil, false, nil
	}
	if same {
		return &listing{format: h.format, msgs: msgs}, true, nil
	}
	l, err = s.scanAppended(ctx, st, h, msgs)
	return l, false, err
}

// scanAppended reads mail appended to a file since the List that wrote
// an index with header h and messages old: it scans again from the last
// message's "From " line, since that message may have been cut short,
// and keeps the messages before it. A nil listing means the file must
// be read from the start: the new mail changes the variant detected, or
// the last message is no longer where it was.
func (s *Source) scanAppended(ctx context.Context, st *stream, h indexHeader, old []entry) (*listing, error) {
	if len(old) == 1 {
		// The last message is the first: its "From " line, which may have
		// been cut short, decides whether the file's From lines carry
		// dates (h.strict). Read the (one-message) file from the start.
		return nil, nil
	}
	last := old[len(old)-1]
	r, err := st.readerAt(last.fromOff)
	if err != nil {
		return nil, err
	}
	from := scanStart{off: last.fromOff, lines: last.line - 1, resume: true, strict: h.strict}
	segs, _, err := scan(ctx, countReader{r, &s.scannedBytes}, st.path, from)
	if errors.Is(err, errNotMboxFile) || err == nil && len(segs) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, _ := tallyOf(segs, len(segs))
	l := listing{format: s.opts.Format, strict: h.strict}
	if l.format == "" {
		l.format = h.prefix.add(t).format()
	}
	if l.format != h.format {
		return nil, nil
	}
	tail := layout(segs, l.format)
	if err := rehash(st, tail); err != nil {
		return nil, err
	}
	l.msgs = append(old[:len(old)-1], tail...)
	pt, closed := lastTally(segs, tail)
	l.prefix, l.resumable = h.prefix.add(pt), closed
	return &l, nil
}

// lastTally returns the tally of the segments before the last message's
// first one, and whether a later scan may resume at that message (see
// tallyOf).
func lastTally(segs []segment, msgs []entry) (tally, bool) {
	if len(msgs) == 0 {
		return tally{}, false
	}
	n := len(segs) - 1
	for n > 0 && segs[n].fromOff != msgs[len(msgs)-1].fromOff {
		n--
	}
	return tallyOf(segs, n)
}

// rehash computes the digest of messages that span several segments,
// in one pass over the file.
func rehash(st *stream, msgs []entry) error {
	for i := range msgs {
		e := &msgs[i]
		if !e.merged {
			continue
		}
		r, err := st.readerAt(e.start)
		if err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.CopyN(h, r, e.end-e.start); err != nil {
			return fmt.Errorf("%s: reading at offset %d: %w", st.path, e.start, err)
		}
		copy(e.sum[:], h.Sum(nil))
		e.merged = false
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n *int64
}

func (c countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
