package mbox

import "bytes"

// quoteMode says what a lineFilter does with "From " lines that carry
// '>' quoting.
type quoteMode int

const (
	quoteNone quoteMode = iota // bytes pass unchanged (mboxcl2)
	quoteAdd                   // ^>*From  gains one '>' (mboxrd writer)
	unquoteRD                  // ^>+From  loses one '>' (mboxrd reader)
	unquoteO                   // ^>From  loses its '>' (mboxo, mboxcl reader)
)

const fromPrefix = "From "

// lineFilter rewrites a byte stream line by line: it adds or removes the
// '>' that quotes "From " lines and, if crlf is set, turns a bare LF into
// CRLF. It holds back at most one '>' and the first bytes of "From "
// while it cannot yet tell whether a line is quoted, so its memory does
// not depend on line length.
type lineFilter struct {
	mode   quoteMode
	crlf   bool
	inLine bool // the line's prefix is decided; the rest passes
	held   bool // one '>' withheld (unquote modes)
	gts    int  // '>' bytes seen at the start of the line
	m      int  // bytes of "From " matched and withheld
	prevCR bool // the last input byte was '\r'
}

// feed appends the filtered form of src to dst.
func (f *lineFilter) feed(dst, src []byte) []byte {
	for len(src) > 0 {
		if f.inLine || f.mode == quoteNone {
			i := bytes.IndexByte(src, '\n')
			if i < 0 {
				dst = append(dst, src...)
				f.prevCR = src[len(src)-1] == '\r'
				f.inLine = true
				return dst
			}
			dst = append(dst, src[:i]...)
			cr := f.prevCR
			if i > 0 {
				cr = src[i-1] == '\r'
			}
			if f.crlf && !cr {
				dst = append(dst, '\r')
			}
			dst = append(dst, '\n')
			src = src[i+1:]
			f.inLine, f.held, f.gts, f.m, f.prevCR = false, false, 0, 0, false
			continue
		}
		c := src[0]
		switch {
		case f.m == 0 && c == '>':
			src = src[1:]
			f.gts++
			switch f.mode {
			case unquoteRD:
				if f.held {
					dst = append(dst, '>')
				}
				f.held = true
			case unquoteO:
				if f.gts == 1 {
					f.held = true
				} else {
					dst = append(dst, ">>"...)
					f.held = false
					f.inLine = true
				}
			default:
				dst = append(dst, '>')
			}
		case c == fromPrefix[f.m]:
			src = src[1:]
			f.m++
			if f.m == len(fromPrefix) {
				if f.mode == quoteAdd {
					dst = append(dst, '>')
				}
				// A held '>' is the quote being removed.
				dst = append(dst, fromPrefix...)
				f.held, f.m, f.inLine = false, 0, true
			}
		default:
			dst = f.release(dst)
			f.inLine = true
		}
	}
	return dst
}

// flush appends what the filter still holds back at the end of input.
func (f *lineFilter) flush(dst []byte) []byte {
	if !f.inLine {
		dst = f.release(dst)
	}
	return dst
}

// release gives back the withheld bytes of a line that turned out not to
// be a quoted "From " line.
func (f *lineFilter) release(dst []byte) []byte {
	if f.held {
		dst = append(dst, '>')
	}
	dst = append(dst, fromPrefix[:f.m]...)
	f.held, f.m = false, 0
	return dst
}

// quoteLevel classifies the start of one line, fed in pieces: 0 if the
// line is not a quoted "From " line, 1 for ">From ", 2 for ">>From " and
// deeper quoting.
type quoteLevel struct {
	gts, m int
	done   bool
	level  int
}

// feed looks at the next piece of the line and reports whether the
// level is decided.
func (q *quoteLevel) feed(b []byte) bool {
	for _, c := range b {
		if q.done {
			return true
		}
		switch {
		case q.m == 0 && c == '>':
			q.gts++
		case c == fromPrefix[q.m]:
			q.m++
			if q.m == len(fromPrefix) {
				q.done = true
				q.level = min(q.gts, 2)
			}
		default:
			q.done = true
		}
	}
	return q.done
}
