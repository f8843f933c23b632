package migrate

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much of a message is kept in memory when the source
// cannot say its exact size in advance; larger messages go to a
// temporary file, so memory stays flat in message size.
const spoolMemory = 1 << 20

// spool holds one message whose size must be known before it is sent.
type spool struct {
	dir  string
	mem  bytes.Buffer
	file *os.File
	size int64
}

func newSpool(dir string) *spool { return &spool{dir: dir} }

// fill reads r to the end into the spool.
func (s *spool) fill(r io.Reader) error {
	s.reset()
	n, err := io.CopyN(&s.mem, r, spoolMemory)
	s.size = n
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, "mailferry-spool-*")
	if err != nil {
		return fmt.Errorf("spooling a large message: %w", err)
	}
	os.Remove(f.Name()) // unlinked: gone however the process ends
	s.file = f
	if _, err := f.Write(s.mem.Bytes()); err != nil {
		return fmt.Errorf("spooling a large message: %w", err)
	}
	s.mem.Reset()
	m, err := io.Copy(f, r)
	s.size += m
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return nil
}

func (s *spool) reader() io.Reader {
	if s.file != nil {
		return s.file
	}
	return bytes.NewReader(s.mem.Bytes())
}

func (s *spool) reset() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	s.mem.Reset()
	if s.mem.Cap() > 2*spoolMemory {
		s.mem = bytes.Buffer{}
	}
	s.size = 0
}
