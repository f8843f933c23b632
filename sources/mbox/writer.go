package mbox

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// Writer writes messages to an mbox file in the mboxrd variant, which
// Source reads back byte for byte (with bare LF read as CRLF). Read
// files written by Writer with Format "mboxrd" to rule out detection
// mistaking them for another variant.
type Writer struct {
	w   *bufio.Writer
	in  []byte
	out []byte
}

// NewWriter returns a Writer that appends messages to w. format must be
// "mboxrd" or "" (the same); the other variants cannot keep every
// message intact. If w already holds messages, they must end with a
// blank line, as Writer leaves them.
func NewWriter(w io.Writer, format string) (*Writer, error) {
	if format != "" && format != FormatMboxrd {
		return nil, fmt.Errorf("mbox: cannot write format %q: only mboxrd keeps every message intact", format)
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), in: make([]byte, 32<<10)}, nil
}

// WriteMessage writes one message read from r: a "From " line with the
// envelope sender from (MAILER-DAEMON if empty; white space becomes '_')
// and date in UTC, the message with every line matching ^>*From  quoted
// by one more '>', and a blank line. Line endings are kept as they are.
// A message that does not end with a line break gets one, since mbox
// cannot represent it otherwise. A zero date is written as year 1 and
// reads back as zero. The data reaches w before WriteMessage returns.
func (w *Writer) WriteMessage(from string, date time.Time, r io.Reader) error {
	if from == "" {
		from = "MAILER-DAEMON"
	}
	from = strings.Map(func(c rune) rune {
		if c <= ' ' || c == 0x7f {
			return '_'
		}
		return c
	}, from)
	if _, err := fmt.Fprintf(w.w, "From %s %s\n", from, asctime(date)); err != nil {
		return err
	}
	f := lineFilter{mode: quoteAdd}
	var last byte = '\n'
	for {
		n, err := r.Read(w.in)
		if n > 0 {
			w.out = f.feed(w.out[:0], w.in[:n])
			last = w.in[n-1]
			if _, werr := w.w.Write(w.out); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the message to write: %w", err)
		}
	}
	end := f.flush(w.out[:0])
	if last != '\n' {
		end = append(end, '\n')
	}
	end = append(end, '\n')
	if _, err := w.w.Write(end); err != nil {
		return err
	}
	return w.w.Flush()
}
