package maildir

import "io"

// crlfReader turns every LF not preceded by CR into CRLF and passes every
// other byte through unchanged, including lone CRs.
type crlfReader struct {
	r      io.Reader
	buf    []byte
	prevCR bool  // the last byte passed on was CR
	lfHalf bool  // a converted LF's "\n" still has to be sent
	err    error // sticky error of r
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, buf: make([]byte, 32*1024)}
}

func (c *crlfReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if c.lfHalf {
		p[0] = '\n'
		n, c.lfHalf = 1, false
	}
	for n == 0 {
		if c.err != nil {
			return 0, c.err
		}
		// Every source byte expands to at most two.
		want := (len(p) - n) / 2
		if want == 0 {
			want = 1
		}
		want = min(want, len(c.buf))
		m, err := c.r.Read(c.buf[:want])
		c.err = err
		for _, b := range c.buf[:m] {
			if b == '\n' && !c.prevCR {
				p[n] = '\r'
				n++
				if n == len(p) {
					c.lfHalf = true
					c.prevCR = false
					break
				}
			}
			p[n] = b
			n++
			c.prevCR = b == '\r'
		}
	}
	return n, nil
}
