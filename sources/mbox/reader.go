package mbox

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/mailferry/mailferry/sources"
)

// messageReader delivers one message: it reads the raw bytes from the
// file, removes the quoting of "From " lines, turns bare LFs into CRLF,
// and at the end checks the bytes against the digest taken by List.
type messageReader struct {
	src  io.Reader // the file from the message's first byte
	left int64     // raw bytes still to read
	f    lineFilter
	h    hash.Hash
	want [8]byte
	loc  string

	in  []byte
	out []byte
	pos int
	err error
}

func newMessageReader(src io.Reader, e entry, mode quoteMode, loc string) *messageReader {
	return &messageReader{
		src:  src,
		left: e.end - e.start,
		f:    lineFilter{mode: mode, crlf: true},
		h:    sha256.New(),
		want: e.sum,
		loc:  loc,
		in:   make([]byte, 32<<10),
	}
}

// Read implements io.Reader.
func (r *messageReader) Read(p []byte) (int, error) {
	for r.pos == len(r.out) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.out[r.pos:])
	r.pos += n
	return n, nil
}

// fill reads the next piece of the message into out.
func (r *messageReader) fill() {
	r.out, r.pos = r.out[:0], 0
	if r.left == 0 {
		r.out = r.f.flush(r.out)
		var got [8]byte
		copy(got[:], r.h.Sum(nil))
		if got != r.want {
			r.err = &sources.MessageError{Location: r.loc, Err: errors.New("the message's bytes changed since the mbox file was listed; list it again")}
			return
		}
		r.err = io.EOF
		return
	}
	buf := r.in[:min(int64(len(r.in)), r.left)]
	n, err := r.src.Read(buf)
	r.left -= int64(n)
	r.h.Write(buf[:n])
	r.out = r.f.feed(r.out, buf[:n])
	switch {
	case err == io.EOF && r.left > 0:
		r.err = &sources.MessageError{Location: r.loc, Err: fmt.Errorf("the file ends %d bytes early; it changed since it was listed", r.left)}
	case err != nil && err != io.EOF:
		r.err = fmt.Errorf("%s: %w", r.loc, err)
	}
}

// Close implements io.Closer. The file stays open for the next message.
func (r *messageReader) Close() error {
	r.err = errors.New("read of a closed message")
	r.out, r.pos = nil, 0
	return nil
}
