package migrate

import (
	"errors"
	"io"
	"sync/atomic"
)

// sourceReader remembers a read error of the source, so a failed append
// can be blamed on the right side.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// exactReader delivers exactly left bytes and fails if the source has
// fewer or more, so a wrong announced size never becomes a truncated or
// overlong literal: the target aborts the append on the error.
type exactReader struct {
	r        io.Reader
	left     int64
	mismatch bool
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		var one [1]byte
		n, err := io.ReadFull(e.r, one[:])
		if n > 0 {
			e.mismatch = true
			return 0, errSizeMismatch
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		e.mismatch = true
		return n, errSizeMismatch
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// countingReader adds what it reads to a shared counter.
type countingReader struct {
	r    io.Reader
	n    *atomic.Int64
	read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	c.n.Add(int64(n))
	return n, err
}
