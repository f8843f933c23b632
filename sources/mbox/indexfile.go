package mbox

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// An index file holds what List learnt from one mbox file, so that the
// next List need not read the file again (see the package comment). It
// is a sequence of records, each a uvarint length and that many bytes:
// a header record, one record per message, then the SHA-256 of all
// records. Numbers are uvarints.
const (
	indexMagic     = "mailferry mbox index 1\n"
	indexRecordMax = 1 << 20 // longer records mean a damaged file
)

// indexHeader is the first record of an index file.
type indexHeader struct {
	id        fileID
	requested string // Options.Format of the List that wrote it
	format    string // the variant used
	strict    bool   // the file's first "From " line was real
	// resumable says that mail appended to the file can be read by
	// scanning again from the last message's "From " line; prefix is
	// then the tally of the segments before that line.
	resumable bool
	prefix    tally
	count     int64 // message records that follow
}

// indexPath returns the index file of the mbox file at path in dir:
// the SHA-256 of the absolute path names it.
func indexPath(dir, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".mbox-index"), nil
}

// writeIndex writes the index file at path atomically: to a temporary
// file in the same directory, renamed into place. Memory does not grow
// with the number of messages beyond msgs itself.
func writeIndex(path string, h indexHeader, msgs []entry) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".mbox-index-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := &recordWriter{w: bufio.NewWriterSize(f, 64<<10), h: sha256.New()}
	w.header(h)
	var prev entry
	for i := range msgs {
		w.message(&msgs[i], &prev)
		prev = msgs[i]
	}
	if w.err == nil {
		_, w.err = w.w.Write(w.h.Sum(nil))
	}
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err != nil {
		return w.err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// recordWriter writes records and hashes them.
type recordWriter struct {
	w   *bufio.Writer
	h   hash.Hash
	buf []byte
	err error
}

func (w *recordWriter) header(h indexHeader) {
	b := append(w.buf[:0], indexMagic...)
	b = appendInt(b, h.id.size)
	b = appendInt(b, h.id.mtime)
	b = binary.AppendUvarint(b, h.id.dev)
	b = binary.AppendUvarint(b, h.id.ino)
	b = append(b, h.id.head[:]...)
	b = append(b, h.id.tail[:]...)
	b = appendString(b, h.requested)
	b = appendString(b, h.format)
	b = appendBool(b, h.strict)
	b = appendBool(b, h.resumable)
	b = appendInt(b, h.prefix.segs)
	b = appendInt(b, h.prefix.q1)
	b = appendInt(b, h.prefix.qN)
	b = appendBool(b, h.prefix.chainOK)
	b = appendBool(b, h.prefix.merged)
	b = appendInt(b, h.count)
	w.record(b)
}

// message writes e; prev is the message before it (zero for the first):
// offsets and line numbers are stored as differences.
func (w *recordWriter) message(e, prev *entry) {
	b := appendInt(w.buf[:0], e.fromOff-prev.end)
	b = appendInt(b, e.start-e.fromOff)
	b = appendInt(b, e.end-e.start)
	b = appendInt(b, e.line-prev.line)
	b = appendInt(b, e.size)
	b = append(b, e.sum[:]...)
	var date []byte
	if !e.date.IsZero() {
		date, _ = e.date.MarshalBinary()
	}
	b = appendString(b, string(date))
	b = appendString(b, strings.Join(e.flags, " "))
	w.record(b)
}

func (w *recordWriter) record(b []byte) {
	w.buf = b
	if w.err != nil {
		return
	}
	w.h.Write(b)
	var n [binary.MaxVarintLen64]byte
	if _, w.err = w.w.Write(binary.AppendUvarint(n[:0], uint64(len(b)))); w.err == nil {
		_, w.err = w.w.Write(b)
	}
}

// errBadIndex marks an index file that is damaged or of another version.
var errBadIndex = errors.New("damaged mbox index file")

// indexReader reads an index file record by record.
type indexReader struct {
	f   *os.File
	r   *bufio.Reader
	h   hash.Hash
	buf []byte
	dec decoder

	prev  entry
	flags map[string][]string // one slice per set of flags
}

// openIndex opens the index file at path and reads its header. The
// caller reads the messages with next and closes the reader.
func openIndex(path string) (*indexReader, indexHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, indexHeader{}, err
	}
	ir := &indexReader{f: f, r: bufio.NewReaderSize(f, 64<<10), h: sha256.New(), flags: map[string][]string{}}
	h, err := ir.header()
	if err != nil {
		f.Close()
		return nil, indexHeader{}, err
	}
	return ir, h, nil
}

func (ir *indexReader) header() (indexHeader, error) {
	var h indexHeader
	d, err := ir.record()
	if err != nil {
		return h, err
	}
	if string(d.bytes(len(indexMagic))) != indexMagic {
		return h, errBadIndex
	}
	h.id.size, h.id.mtime = d.int(), d.int()
	h.id.dev, h.id.ino = d.uint(), d.uint()
	copy(h.id.head[:], d.bytes(32))
	copy(h.id.tail[:], d.bytes(32))
	h.requested, h.format = d.string(), d.string()
	h.strict, h.resumable = d.bool(), d.bool()
	h.prefix.segs, h.prefix.q1, h.prefix.qN = d.int(), d.int(), d.int()
	h.prefix.chainOK, h.prefix.merged = d.bool(), d.bool()
	h.count = d.int()
	return h, d.done()
}

// next reads the next message record.
func (ir *indexReader) next() (entry, error) {
	d, err := ir.record()
	if err != nil {
		return entry{}, err
	}
	var e entry
	e.fromOff = ir.prev.end + d.int()
	e.start = e.fromOff + d.int()
	e.end = e.start + d.int()
	e.line = ir.prev.line + d.int()
	e.size = d.int()
	copy(e.sum[:], d.bytes(8))
	if date := d.bytes(int(d.uint())); len(date) > 0 && d.err == nil {
		if err := e.date.UnmarshalBinary(date); err != nil {
			return entry{}, errBadIndex
		}
	}
	if flags := d.string(); flags != "" {
		if _, ok := ir.flags[flags]; !ok {
			ir.flags[flags] = strings.Split(flags, " ")
		}
		e.flags = ir.flags[flags]
	}
	ir.prev = e
	return e, d.done()
}

// end checks the digest that follows the last message record.
func (ir *indexReader) end() error {
	var sum [32]byte
	if _, err := io.ReadFull(ir.r, sum[:]); err != nil || !bytes.Equal(sum[:], ir.h.Sum(nil)) {
		return errBadIndex
	}
	if _, err := ir.r.ReadByte(); err != io.EOF {
		return errBadIndex
	}
	return nil
}

func (ir *indexReader) close() error { return ir.f.Close() }

// record reads one record and returns a decoder of it, valid until the
// next call.
func (ir *indexReader) record() (*decoder, error) {
	n, err := binary.ReadUvarint(ir.r)
	if err != nil || n > indexRecordMax {
		return nil, errBadIndex
	}
	if uint64(cap(ir.buf)) < n {
		ir.buf = make([]byte, n)
	}
	ir.buf = ir.buf[:n]
	if _, err := io.ReadFull(ir.r, ir.buf); err != nil {
		return nil, errBadIndex
	}
	ir.h.Write(ir.buf)
	ir.dec = decoder{b: ir.buf}
	return &ir.dec, nil
}
