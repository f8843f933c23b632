package pop3

import (
	"bufio"
	"bytes"
	"io"
)

// dotReader reads the body of a multi-line POP3 response (RFC 1939
// section 3) and undoes its byte-stuffing: a line starting with "." loses
// that dot, and the line "." alone ends the body. Lines end with CRLF
// only; a bare LF is an ordinary byte. Every other byte, including line
// endings, is passed through unchanged, whatever the line length. The
// reader works inside br's buffer and never allocates.
//
// If the stream ends before the terminating line, Read returns
// io.ErrUnexpectedEOF (passed through wrap): a truncated body never looks
// complete.
type dotReader struct {
	br   *bufio.Reader
	wrap func(error) error // describes read errors; may be nil

	lineStart bool // the next byte starts a line
	prevCR    bool // the last byte delivered was CR (mid-line)
	done      bool // the terminating line was consumed
	err       error
}

func newDotReader(br *bufio.Reader) *dotReader {
	return &dotReader{br: br, lineStart: true}
}

// Read implements io.Reader.
func (d *dotReader) Read(p []byte) (n int, err error) {
	for n < len(p) && !d.done && d.err == nil {
		if d.lineStart {
			if n > 0 && d.br.Buffered() == 0 {
				break // do not block with data in hand
			}
			b, err := d.br.Peek(1)
			if err != nil {
				d.setErr(err)
				break
			}
			if b[0] == '.' {
				if n > 0 && d.br.Buffered() < 3 {
					break
				}
				b, err = d.br.Peek(3)
				if err != nil {
					d.setErr(err)
					break
				}
				if b[1] == '\r' && b[2] == '\n' {
					d.br.Discard(3)
					d.done = true
					break
				}
				d.br.Discard(1)
			}
			d.lineStart, d.prevCR = false, false
		}
		if d.br.Buffered() == 0 {
			if n > 0 {
				break
			}
			if _, err := d.br.Peek(1); err != nil {
				d.setErr(err)
				break
			}
		}
		buf, _ := d.br.Peek(min(d.br.Buffered(), len(p)-n))
		end := len(buf)
		for off := 0; ; {
			i := bytes.IndexByte(buf[off:], '\n')
			if i < 0 {
				break
			}
			i += off
			if (i > 0 && buf[i-1] == '\r') || (i == 0 && d.prevCR) {
				end = i + 1
				d.lineStart = true
				break
			}
			off = i + 1
		}
		n += copy(p[n:], buf[:end])
		d.br.Discard(end)
		d.prevCR = !d.lineStart && buf[end-1] == '\r'
	}
	if n > 0 {
		return n, nil
	}
	if d.done {
		return 0, io.EOF
	}
	return 0, d.err
}

func (d *dotReader) setErr(err error) {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if d.wrap != nil {
		err = d.wrap(err)
	}
	d.err = err
}
