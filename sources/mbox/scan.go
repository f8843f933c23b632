package mbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/sources"
)

// Of the header, only the fields mailhdr.Flags reads are kept, up to
// hdrMax bytes per message.
const (
	hdrMax   = 64 << 10
	bufSize  = 64 << 10 // longest "From " line recognised as a separator
	ctxEvery = 4096     // lines between context checks
)

// segment is the stretch of an mbox file after one separating "From "
// line and before the next. Usually a segment is a message; with
// Content-Length (mboxcl, mboxcl2) one message may span several.
type segment struct {
	fromOff int64 // offset of the "From " line
	start   int64 // first byte after the "From " line
	end     int64 // end of the content, before the separating blank line
	line    int64 // line number of the "From " line
	hdrEnd  int64 // offset just past the header's blank line, -1 if none
	clen    int64 // Content-Length, -1 if absent or unusable
	lfs     int64 // bare LFs in the content (each becomes CRLF)
	q1, qN  int64 // lines quoted ">From " and ">>From " (or deeper)
	gapLen  int64 // bytes of blank line and "From " line before start
	gapLFs  int64 // bare LFs among them
	sum     [8]byte
	date    time.Time
	flags   []string
}

// scanner reads an mbox file once, line by line, and records its
// segments. It never holds more than one buffer of a line.
type scanner struct {
	path   string
	segs   []segment
	strict bool // the first "From " line was real: demand real ones
	resume bool // strict is known: the scan began after the first line
	off    int64
	line   int64
	h      hash.Hash

	pending    []byte // a blank line that may be a separator
	pendingOff int64
	prevCR     bool
	q          quoteLevel
	qOpen      bool // the current line's quote level is undecided

	inHeader bool
	hdr      []byte
	keepLine bool // the current header line belongs to a flag field
	cut      bool // it was too long and is cut short
	flagSets map[string][]string
}

// The blank lines a scanner holds back.
var (
	lf       = []byte("\n")
	crlfLine = []byte("\r\n")
)

// errNotMbox builds the error for a file that does not start with a
// "From " line.
func errNotMbox(path string) error {
	return sources.Permanent(fmt.Errorf("%s: %w (first line is not a \"From \" line)", path, errNotMboxFile))
}

// scanStart says where a scan begins: at the start of the file (the
// zero value), or, to read mail appended since an earlier scan, at a
// separating "From " line that scan found.
type scanStart struct {
	off    int64 // offset of the first byte read
	lines  int64 // lines before it
	resume bool  // off is a "From " line an earlier scan found
	strict bool  // with resume: the file's first "From " line was real
}

// scan reads r, the (decompressed) file from offset from.off to its end,
// and returns its segments. strict reports whether the file's first
// "From " line was real (see scanner.strict).
func scan(ctx context.Context, r io.Reader, path string, from scanStart) (segs []segment, strict bool, err error) {
	sc := &scanner{path: path, h: sha256.New(), flagSets: map[string][]string{}}
	sc.off, sc.line, sc.resume, sc.strict = from.off, from.lines, from.resume, from.strict
	br := bufio.NewReaderSize(r, bufSize)
	lineStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if lineStart {
				sc.line++
				if sc.line%ctxEvery == 0 && ctx.Err() != nil {
					return nil, false, ctx.Err()
				}
				complete := err == nil || err == io.EOF
				if e := sc.lineBegin(chunk, complete); e != nil {
					return nil, false, e
				}
			} else {
				sc.content(chunk, false)
			}
			lineStart = chunk[len(chunk)-1] == '\n'
			sc.off += int64(len(chunk))
		}
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, false, fmt.Errorf("%s: reading at offset %d: %w", path, sc.off, err)
		}
	}
	if len(sc.segs) > 0 {
		end := sc.off
		if sc.pending != nil {
			end = sc.pendingOff // the final blank line ends the last message
		}
		sc.closeSegment(end)
	}
	return sc.segs, sc.strict, nil
}

// lineBegin handles the first piece of a line; complete says the piece
// is the whole line.
func (sc *scanner) lineBegin(chunk []byte, complete bool) error {
	blank := complete && (string(chunk) == "\n" || string(chunk) == "\r\n")
	if complete && bytes.HasPrefix(chunk, []byte(fromPrefix)) && (len(sc.segs) == 0 || sc.pending != nil) {
		fl := parseFromLine(chunk)
		if len(sc.segs) == 0 && !sc.resume {
			sc.strict = fl.real
		}
		if fl.real || !sc.strict {
			sc.boundary(chunk, fl)
			return nil
		}
	}
	if len(sc.segs) == 0 {
		if blank {
			return nil // blank lines before the first message carry nothing
		}
		return errNotMbox(sc.path)
	}
	if sc.pending != nil {
		sc.content(sc.pending, true)
		sc.pending = nil
	}
	if blank {
		if sc.inHeader {
			sc.endHeader(sc.off + int64(len(chunk)))
		}
		sc.pending = lf
		if len(chunk) == 2 {
			sc.pending = crlfLine
		}
		sc.pendingOff = sc.off
		return nil
	}
	sc.content(chunk, true)
	return nil
}

// boundary closes the current segment at a separating "From " line and
// starts the next.
func (sc *scanner) boundary(line []byte, fl fromLine) {
	var gapLen, gapLFs int64
	if len(sc.segs) > 0 {
		end := sc.off
		if sc.pending != nil {
			end = sc.pendingOff
			gapLen = int64(len(sc.pending))
			if len(sc.pending) == 1 {
				gapLFs++
			}
		}
		sc.closeSegment(end)
	}
	sc.pending = nil
	gapLen += int64(len(line))
	if !bytes.HasSuffix(line, []byte("\r\n")) && bytes.HasSuffix(line, []byte("\n")) {
		gapLFs++
	}
	sc.segs = append(sc.segs, segment{
		fromOff: sc.off,
		start:   sc.off + int64(len(line)),
		line:    sc.line,
		hdrEnd:  -1,
		clen:    -1,
		gapLen:  gapLen,
		gapLFs:  gapLFs,
		date:    fl.date,
	})
	sc.h.Reset()
	sc.prevCR = false
	sc.inHeader, sc.keepLine = true, false
	sc.hdr = sc.hdr[:0]
}

// closeSegment ends the current segment at offset end.
func (sc *scanner) closeSegment(end int64) {
	seg := &sc.segs[len(sc.segs)-1]
	if sc.inHeader {
		sc.endHeader(-1)
	}
	seg.end = end
	copy(seg.sum[:], sc.h.Sum(nil))
}

// endHeader records the end of the current segment's header.
func (sc *scanner) endHeader(hdrEnd int64) {
	seg := &sc.segs[len(sc.segs)-1]
	seg.hdrEnd = hdrEnd
	sc.inHeader = false
	flags := mailhdr.Flags(sc.hdr)
	key := strings.Join(flags, " ")
	if shared, ok := sc.flagSets[key]; ok {
		flags = shared
	} else {
		sc.flagSets[key] = flags
	}
	seg.flags = flags
}

// content adds a piece of a line to the current segment; lineStart says
// the piece begins the line.
func (sc *scanner) content(chunk []byte, lineStart bool) {
	seg := &sc.segs[len(sc.segs)-1]
	sc.h.Write(chunk)
	if lineStart {
		sc.q = quoteLevel{}
		sc.qOpen = true
		if sc.inHeader {
			sc.headerLine(seg, chunk)
		}
	}
	if sc.qOpen && sc.q.feed(chunk) {
		sc.qOpen = false
		switch sc.q.level {
		case 1:
			seg.q1++
		case 2:
			seg.qN++
		}
	}
	if sc.inHeader && sc.keepLine {
		sc.capture(chunk)
	}
	if n := len(chunk); chunk[n-1] == '\n' {
		cr := sc.prevCR
		if n >= 2 {
			cr = chunk[n-2] == '\r'
		}
		if !cr {
			seg.lfs++
		}
		sc.qOpen = false
	}
	sc.prevCR = chunk[len(chunk)-1] == '\r'
}

// capture adds a piece of a flag field's line to the header kept for
// mailhdr.Flags. A line that does not fit is cut short.
func (sc *scanner) capture(chunk []byte) {
	if !sc.cut && len(sc.hdr)+len(chunk) <= hdrMax {
		sc.hdr = append(sc.hdr, chunk...)
		return
	}
	sc.cut = true
	if chunk[len(chunk)-1] == '\n' {
		sc.hdr = append(sc.hdr, '\n')
	}
}

// flagFields are the header fields kept for mailhdr.Flags.
var flagFields = []string{"status:", "x-status:", "x-mozilla-", "x-keywords:", "keywords:", "x-gmail-labels:"}

// headerLine looks at the start of a header line: it decides whether to
// capture it and reads Content-Length.
func (sc *scanner) headerLine(seg *segment, chunk []byte) {
	continuation := chunk[0] == ' ' || chunk[0] == '\t'
	if !continuation {
		sc.keepLine = false
		for _, f := range flagFields {
			if hasPrefixFold(chunk, f) {
				sc.keepLine = true
			}
		}
	}
	sc.cut = false
	if hasPrefixFold(chunk, "content-length:") {
		v := strings.TrimSpace(string(chunk[len("content-length:"):]))
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || n < 0 || v[0] == '+':
			seg.clen = -2 // unusable, and stays so
		case seg.clen == -1:
			seg.clen = n
		case seg.clen != n:
			seg.clen = -2
		}
	}
}

// hasPrefixFold reports whether b starts with the lower-case ASCII
// prefix, ignoring case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
