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
	"os/exec"
	"strings"

	"github.com/mailferry/mailferry/sources"
)

// compression is how an mbox file is stored.
type compression struct {
	suffix string // ".gz", "" for a plain file
	tool   string // external command that decompresses, or ""
}

var compressions = []compression{
	{suffix: ".gz"},
	{suffix: ".bz2"},
	{suffix: ".xz", tool: "xz"},
	{suffix: ".zst", tool: "zstd"},
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

// openStream opens path for reading. It checks that a needed
// decompression tool exists.
func openStream(path string) (*stream, error) {
	s := &stream{path: path, comp: compressionOf(path)}
	if s.comp.tool != "" {
		if _, err := exec.LookPath(s.comp.tool); err != nil {
			return nil, fmt.Errorf("%s: reading %s files needs the %s command, which is not installed; install it or decompress the file first", path, s.comp.suffix, s.comp.tool)
		}
	}
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
	default:
		cmd := exec.Command(s.comp.tool, "-dc")
		cmd.Stdin = s.f // the command reads the file from offset 0
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%s: starting %s: %w", s.path, s.comp.tool, err)
		}
		s.dec = &toolReader{r: out, cmd: cmd, stderr: &stderr, path: s.path}
		s.stop = func() error {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil
		}
	}
	return nil
}

// toolReader reads the output of a decompression command and reports
// its failure at the end of the output.
type toolReader struct {
	r      io.Reader
	cmd    *exec.Cmd
	stderr *strings.Builder
	path   string
	done   bool
}

func (t *toolReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.EOF && !t.done {
		t.done = true
		if werr := t.cmd.Wait(); werr != nil {
			msg := strings.TrimSpace(t.stderr.String())
			return n, fmt.Errorf("%s -dc failed: %v: %s", t.cmd.Path, werr, msg)
		}
	}
	return n, err
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
