package mbox

import (
	"sort"
	"time"
)

// The mbox variants.
const (
	FormatMboxrd  = "mboxrd"
	FormatMboxo   = "mboxo"
	FormatMboxcl  = "mboxcl"
	FormatMboxcl2 = "mboxcl2"
)

// entry is one message of an mbox file.
type entry struct {
	fromOff int64 // offset of its "From " line: with sum, its ID
	start   int64 // raw bytes [start, end) of the file
	end     int64
	line    int64
	size    int64 // bytes Open delivers
	sum     [8]byte
	date    time.Time
	flags   []string
	merged  bool // spans several segments: sum must be computed again
}

// quoteModeOf returns how Open unquotes "From " lines for a variant.
func quoteModeOf(format string) quoteMode {
	switch format {
	case FormatMboxo, FormatMboxcl:
		return unquoteO
	case FormatMboxcl2:
		return quoteNone
	}
	return unquoteRD
}

// clEnd returns the index of the segment at whose end segment k's
// Content-Length ends, or -1 if it ends elsewhere (or k has none). A
// Content-Length is honoured only when the byte after the body is the
// end of the file or a blank line before a separating "From " line.
func clEnd(segs []segment, k int) int {
	s := segs[k]
	if s.clen < 0 || s.hdrEnd < 0 {
		return -1
	}
	e := s.hdrEnd + s.clen
	j := k + sort.Search(len(segs)-k, func(i int) bool { return segs[k+i].end >= e })
	if j < len(segs) && segs[j].end == e {
		return j
	}
	return -1
}

// tally sums up what variant detection needs to know of a run of
// segments (tally.format decides: any ">>From " line means mboxrd, no
// other writer makes them; a Content-Length that is right for every
// message means mboxcl2, or mboxcl if ">From " lines appear and
// Content-Length never had to join segments; anything else is read as
// mboxrd, which unquotes ">From " exactly as mboxo does), so
// that the segments of a file read in two parts (an index of the start,
// a scan of mail appended since) give the same answer as the whole.
type tally struct {
	segs    int64 // segments
	q1, qN  int64 // lines quoted ">From " and ">>From " (or deeper)
	chainOK bool  // Content-Length led from each message to the next
	merged  bool  // some Content-Length joined segments
}

// add returns the tally of t's segments followed by u's. It is right
// when t's Content-Length chain ended exactly where u's segments begin,
// as tallyOf reports.
func (t tally) add(u tally) tally {
	return tally{
		segs:    t.segs + u.segs,
		q1:      t.q1 + u.q1,
		qN:      t.qN + u.qN,
		chainOK: t.chainOK && u.chainOK,
		merged:  t.merged || u.merged,
	}
}

// format is the variant detect chooses for a tally.
func (t tally) format() string {
	switch {
	case t.qN > 0 || t.segs == 0 || !t.chainOK:
		return FormatMboxrd
	case t.q1 > 0 && !t.merged:
		return FormatMboxcl
	}
	return FormatMboxcl2
}

// tallyOf tallies segs[:n]. closed reports that nothing about those
// segments depends on segments after them: no Content-Length among
// them reaches past segs[n-1]. Then the tally, the variant's layout of
// segs[:n] and the Content-Length chain (which ends exactly at n, or
// broke before) stay the same whatever follows segs[n-1].
func tallyOf(segs []segment, n int) (t tally, closed bool) {
	t = tally{segs: int64(n), chainOK: true}
	closed = true
	for _, s := range segs[:n] {
		t.q1 += s.q1
		t.qN += s.qN
		if s.clen >= 0 && s.hdrEnd >= 0 && s.hdrEnd+s.clen > segs[n-1].end {
			closed = false
		}
	}
	k := 0
	for k < n {
		j := clEnd(segs, k)
		if j < 0 {
			t.chainOK = false
			break
		}
		t.merged = t.merged || j > k
		k = j + 1
	}
	return t, closed
}

// layout turns segments into messages for a variant.
func layout(segs []segment, format string) []entry {
	useCL := format == FormatMboxcl || format == FormatMboxcl2
	mode := quoteModeOf(format)
	out := make([]entry, 0, len(segs))
	for k := 0; k < len(segs); {
		j := k
		if useCL {
			if e := clEnd(segs, k); e >= 0 {
				j = e
			}
		}
		s := segs[k]
		e := entry{
			fromOff: s.fromOff,
			start:   s.start,
			end:     segs[j].end,
			line:    s.line,
			sum:     s.sum,
			date:    s.date,
			flags:   s.flags,
			merged:  j > k,
		}
		for i := k; i <= j; i++ {
			t := segs[i]
			e.size += t.end - t.start + t.lfs
			switch mode {
			case unquoteRD:
				e.size -= t.q1 + t.qN
			case unquoteO:
				e.size -= t.q1
			}
			if i > k {
				e.size += t.gapLen + t.gapLFs
			}
		}
		out = append(out, e)
		k = j + 1
	}
	return out
}
