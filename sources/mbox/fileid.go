package mbox

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

// edgeLen is how much of each end of a file fileID digests.
const edgeLen = 64 << 10

// fileID identifies the content of an mbox file (as stored, compressed
// or not) without reading all of it: its size, modification time, device
// and inode, and digests of its first and last edgeLen bytes.
type fileID struct {
	size       int64
	mtime      int64 // nanoseconds since 1970
	dev, ino   uint64
	head, tail [32]byte
}

// identify returns the fileID of f, whose FileInfo is fi.
func identify(f *os.File, fi os.FileInfo) (fileID, error) {
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	id.dev, id.ino = fileNode(fi)
	var err error
	id.head, id.tail, err = edgeDigests(f, id.size)
	return id, err
}

// edgeDigests returns the SHA-256 of f's first edgeLen bytes and of the
// last edgeLen bytes before offset size (fewer for a small file).
func edgeDigests(f *os.File, size int64) (head, tail [32]byte, err error) {
	buf := make([]byte, min(size, edgeLen))
	for i, off := range []int64{0, max(0, size-edgeLen)} {
		if _, err := f.ReadAt(buf, off); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return head, tail, fmt.Errorf("%s: reading at offset %d: %w", f.Name(), off, err)
		}
		if i == 0 {
			head = sha256.Sum256(buf)
		} else {
			tail = sha256.Sum256(buf)
		}
	}
	return head, tail, nil
}

// sameFile reports whether cur is the file old identified, unchanged.
func (old fileID) sameFile(cur fileID) bool {
	return old == cur
}

// grown reports whether cur is the file old identified with bytes
// appended: same device and inode, larger, and the same bytes at both
// ends of old's size. f is the file cur identifies.
func (old fileID) grown(cur fileID, f *os.File) bool {
	if cur.size <= old.size || cur.dev != old.dev || cur.ino != old.ino {
		return false
	}
	head, tail, err := edgeDigests(f, old.size)
	return err == nil && head == old.head && tail == old.tail
}
