package localtarget

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/mailferry/mailferry/backup/manifest"
)

// OpenStored returns the bytes of the message that manifest entry e
// records in the mbox file at path, as they were received: the "From "
// line, the mboxrd quoting, the compression frame and any line break
// the writer added are taken off. The reader fails at the end if the
// stored form is not one the writer produces.
func OpenStored(path string, e manifest.Entry) (io.ReadCloser, error) {
	if e.Kind != manifest.KindMessage || e.End < e.Offset {
		return nil, fmt.Errorf("mbox: %s: not a message entry", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var r io.Reader = io.NewSectionReader(f, e.Offset, e.End-e.Offset)
	closeAll := f.Close
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("mbox: %s at %d: %w", path, e.Offset, err)
		}
		r = zr
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			f.Close()
			return nil, err
		}
		r = zr
		closeAll = func() error { zr.Close(); return f.Close() }
	}
	tail := "\n"
	if e.AddedNewline {
		tail = "\n\n"
	}
	u := &unquoter{br: bufio.NewReaderSize(r, 64<<10)}
	return &storedReader{trim: &trimReader{br: bufio.NewReaderSize(u, 64<<10), want: tail}, close: closeAll, where: fmt.Sprintf("%s at offset %d", path, e.Offset)}, nil
}

type storedReader struct {
	trim  *trimReader
	close func() error
	where string
}

func (s *storedReader) Read(p []byte) (int, error) {
	n, err := s.trim.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("mbox: %s: %w", s.where, err)
	}
	return n, err
}

func (s *storedReader) Close() error { return s.close() }

// checkStored reads back the message e records and compares it with the
// size and digest received.
func checkStored(path string, e manifest.Entry) error {
	rc, err := OpenStored(path, e)
	if err != nil {
		return fmt.Errorf("mbox: reading back the message just written: %w", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("mbox: reading back the message just written: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != e.Size || got != e.SHA256 {
		return fmt.Errorf("mbox: %s at offset %d reads back as %d bytes with SHA-256 %s, want %d bytes with %s (the disk did not keep what was written)", path, e.Offset, n, got, e.Size, e.SHA256)
	}
	return nil
}

var errNoFromLine = errors.New("the stored message does not start with a \"From \" line")

// unquoter skips the "From " line and removes one '>' from every line
// matching ^>+From , undoing mboxrd quoting.
type unquoter struct {
	br      *bufio.Reader
	started bool
	midLine bool
	pending []byte
}

func (u *unquoter) Read(p []byte) (int, error) {
	if !u.started {
		if b, _ := u.br.Peek(5); string(b) != "From " {
			return 0, errNoFromLine
		}
		for {
			_, err := u.br.ReadSlice('\n')
			if err == nil {
				break
			}
			if err != bufio.ErrBufferFull {
				return 0, errNoFromLine
			}
		}
		u.started = true
	}
	if len(u.pending) > 0 {
		n := copy(p, u.pending)
		u.pending = u.pending[n:]
		return n, nil
	}
	if !u.midLine {
		k := 0
		for {
			b, _ := u.br.Peek(k + 1)
			if len(b) < k+1 || b[k] != '>' || k+6 >= u.br.Size() {
				break
			}
			k++
		}
		if k > 0 {
			if b, _ := u.br.Peek(k + 5); bytes.HasSuffix(b, []byte("From ")) && len(b) == k+5 {
				u.br.Discard(1)
			}
		}
	}
	line, err := u.br.ReadSlice('\n')
	switch err {
	case nil:
		u.midLine = false
	case bufio.ErrBufferFull:
		u.midLine, err = true, nil
	}
	n := copy(p, line)
	if n < len(line) {
		u.pending = append(u.pending[:0:0], line[n:]...)
	}
	return n, err
}

// trimReader delivers its input without the final len(want) bytes,
// which must be want.
type trimReader struct {
	br   *bufio.Reader
	want string
}

func (t *trimReader) Read(p []byte) (int, error) {
	k := len(t.want)
	b, err := t.br.Peek(k + 1)
	if len(b) <= k {
		if err == io.EOF {
			if string(b) != t.want {
				return 0, fmt.Errorf("the stored message does not end with the blank line the writer adds")
			}
			return 0, io.EOF
		}
		return 0, err
	}
	avail := min(t.br.Buffered()-k, len(p))
	return t.br.Read(p[:avail])
}
