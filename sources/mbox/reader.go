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

	closed  bool
	onClose func(*messageReader) // hands the reader back for reuse
}

// reset prepares r, new or used before, to deliver message e read from
// src.
func (r *messageReader) reset(src io.Reader, e entry, mode quoteMode, loc string) {
	if r.h == nil {
		r.h = sha256.New()
		r.in = make([]byte, 32<<10)
	}
	r.h.Reset()
	r.src, r.left, r.want, r.loc = src, e.end-e.start, e.sum, loc
	r.f = lineFilter{mode: mode, crlf: true}
	r.out, r.pos, r.err, r.closed = r.out[:0], 0, nil, false
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
	if r.closed {
		return nil
	}
	r.closed = true
	r.src, r.err = nil, errors.New("read of a closed message")
	if r.onClose != nil {
		r.onClose(r)
	}
	return nil
}
