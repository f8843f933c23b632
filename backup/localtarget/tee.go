package localtarget

import (
	"crypto/sha256"
	"hash"
	"io"

	"github.com/mailferry/mailferry/internal/mailhdr"
)

// maxHeader bounds the header kept to compute a message's identity, as
// the engine bounds its own peek.
const maxHeader = mailhdr.MaxPeek

// received watches the bytes of a message on their way to the disk: it
// counts and hashes them and keeps the header for the identity.
type received struct {
	r      io.Reader
	h      hash.Hash
	n      int64
	last   byte
	header []byte
	done   bool // header complete or bound reached
}

func newReceived(r io.Reader) *received {
	return &received{r: r, h: sha256.New()}
}

func (c *received) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.h.Write(p[:n])
		c.n += int64(n)
		c.last = p[n-1]
		if !c.done {
			c.header = append(c.header, p[:min(n, maxHeader-len(c.header))]...)
			if end := mailhdr.HeaderEnd(c.header); end >= 0 {
				c.header, c.done = c.header[:end], true
			} else if len(c.header) >= maxHeader {
				c.done = true
			}
		}
	}
	return n, err
}

// identity returns the message's identity once it was read to the end.
func (c *received) identity() string { return mailhdr.Identity(c.n, c.header) }
