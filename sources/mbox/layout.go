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

// detect chooses the variant of a file from its segments: any
// ">>From " line means mboxrd (no other writer makes them); a
// Content-Length that is right for every message means mboxcl2, or
// mboxcl if ">From " lines appear and Content-Length never had to join
// segments; anything else is read as mboxrd, which unquotes ">From "
// exactly as mboxo does.
func detect(segs []segment) string {
	var q1, qN int64
	for _, s := range segs {
		q1 += s.q1
		qN += s.qN
	}
	if qN > 0 || len(segs) == 0 {
		return FormatMboxrd
	}
	merged := false
	for k := 0; k < len(segs); {
		j := clEnd(segs, k)
		if j < 0 {
			return FormatMboxrd
		}
		merged = merged || j > k
		k = j + 1
	}
	if q1 > 0 && !merged {
		return FormatMboxcl
	}
	return FormatMboxcl2
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
