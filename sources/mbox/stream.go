package mbox

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/mailferry/mailferry/sources"
	"github.com/ulikunitz/xz"
)

// compression is how an mbox file is stored.
type compression struct {
	suffix string // ".gz", "" for a plain file
}

var compressions = []compression{
	{suffix: ".gz"},
	{suffix: ".bz2"},
	{suffix: ".xz"},
	{suffix: ".zst"},
}

// compressionOf returns the compression of the file named name, judged by
// its suffix.
func compressionOf(name string) compression {
	lower := strings.ToLower(name)
	for _, c := range compressions {
		if strings.HasSuffix(lower, c.suffix) {
			return c
		}
	}
	return compression{}
}

// stream reads an mbox file from any offset. A plain file is read at the
// offset directly. A compressed file keeps one decompressor open as a
// forward cursor: a read ahead of the cursor skips forward, a read behind
// it starts decompressing again from the beginning.
type stream struct {
	path string
	comp compression
	f    *os.File

	// Compressed files only.
	dec    io.Reader
	stop   func() error // ends the decompressor
	cursor int64        // offset of the next byte dec delivers
}

// openStream opens path for reading.
func openStream(path string) (*stream, error) {
	s := &stream{path: path, comp: compressionOf(path)}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s.f = f
	return s, nil
}

// readerAt returns a reader of the decompressed file from offset off. It
// is valid until the next call of readerAt or close.
func (s *stream) readerAt(off int64) (io.Reader, error) {
	if s.comp.suffix == "" {
		return io.NewSectionReader(s.f, off, math.MaxInt64-off), nil
	}
	if s.dec == nil || off < s.cursor {
		if err := s.restart(); err != nil {
			return nil, err
		}
	}
	if skip := off - s.cursor; skip > 0 {
		n, err := io.CopyN(io.Discard, s.dec, skip)
		s.cursor += n
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%s: decompressing up to offset %d: %w", s.path, off, err)
		}
	}
	return cursorReader{s}, nil
}

// cursorReader reads from the decompressor and advances the cursor.
type cursorReader struct{ s *stream }

func (r cursorReader) Read(p []byte) (int, error) {
	n, err := r.s.dec.Read(p)
	r.s.cursor += int64(n)
	if err != nil && err != io.EOF {
		// Corrupt compressed data stays corrupt: retrying cannot help.
		err = sources.Permanent(fmt.Errorf("%s: decompressing: %w", r.s.path, err))
	}
	return n, err
}

// restart begins decompressing from the start of the file.
func (s *stream) restart() error {
	if err := s.endDecompressor(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.cursor = 0
	switch s.comp.suffix {
	case ".gz":
		zr, err := gzip.NewReader(bufio.NewReaderSize(s.f, 64<<10))
		if err != nil {
			return fmt.Errorf("%s: not a gzip file: %w", s.path, err)
		}
		s.dec, s.stop = zr, zr.Close
	case ".bz2":
		s.dec, s.stop = bzip2.NewReader(bufio.NewReaderSize(s.f, 64<<10)), nil
	case ".xz":
		zr, err := xz.NewReader(bufio.NewReaderSize(s.f, 64<<10))
		if err != nil {
			return fmt.Errorf("%s: not an xz file: %w", s.path, err)
		}
		s.dec, s.stop = zr, nil
	case ".zst":
		// Concurrency 1 decodes in the calling goroutine, block by
		// block; memory is bounded by the window size the file declares
		// (at most the library's default limit, 512 MiB).
		zr, err := zstd.NewReader(bufio.NewReaderSize(s.f, 64<<10), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return fmt.Errorf("%s: not a zstd file: %w", s.path, err)
		}
		s.dec, s.stop = zr, func() error { zr.Close(); return nil }
	}
	return nil
}

// endDecompressor stops a running decompressor, if any.
func (s *stream) endDecompressor() error {
	var err error
	if s.stop != nil {
		err = s.stop()
	}
	s.dec, s.stop = nil, nil
	return err
}

// close releases the file and any decompressor.
func (s *stream) close() error {
	err := s.endDecompressor()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}
