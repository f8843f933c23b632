package mailhdr

import (
	"bufio"
	"bytes"
	"strings"
)

// HeaderEnd returns the index just past the empty line that ends the
// header section of b (CRLF or LF line endings), or -1 if b holds no
// complete header. A message that starts with an empty line has an empty
// header and HeaderEnd returns the length of that line.
func HeaderEnd(b []byte) int {
	if bytes.HasPrefix(b, []byte("\r\n")) {
		return 2
	}
	if bytes.HasPrefix(b, []byte("\n")) {
		return 1
	}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		if bytes.HasPrefix(b[i:], []byte("\r\n")) {
			return i + 2
		}
		if bytes.HasPrefix(b[i:], []byte("\n")) {
			return i + 1
		}
	}
	return -1
}

// Field is one header field, unfolded.
type Field struct {
	Name  string // as written
	Value string // unfolded, surrounding white space trimmed
}

// Fields parses the header fields at the start of header, stopping at the
// empty line or at the end of the data. Lines that are not fields
// (malformed input) are skipped; continuation lines join the field before
// them.
func Fields(header []byte) []Field {
	var out []Field
	for len(header) > 0 {
		line := header
		next := len(header)
		if i := bytes.IndexByte(header, '\n'); i >= 0 {
			line = header[:i]
			next = i + 1
		}
		header = header[next:]
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) > 0 {
				f := &out[len(out)-1]
				f.Value = strings.TrimSpace(f.Value + " " + strings.TrimSpace(string(line)))
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name := strings.TrimRight(string(line[:colon]), " \t")
		out = append(out, Field{Name: name, Value: strings.TrimSpace(string(line[colon+1:]))})
	}
	return out
}

// Get returns the value of the first field called name (case-insensitive).
func Get(fields []Field, name string) (string, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// MaxPeek is how much of a message mailferry looks at before sending it:
// dates, flags and identity come from the header within these bytes. A
// bufio.Reader of this size serves Peek.
const MaxPeek = 256 << 10

// Peek returns the header section at the start of br (at most br's
// buffer size) without consuming it. The slice is valid until the next
// read from br.
func Peek(br *bufio.Reader) []byte {
	n := min(4096, br.Size())
	for {
		b, err := br.Peek(n)
		if end := HeaderEnd(b); end >= 0 {
			return b[:end]
		}
		if err != nil || n >= br.Size() {
			return b
		}
		n = min(n*4, br.Size())
	}
}
