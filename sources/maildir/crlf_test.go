package maildir

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func isValidUTF8(s string) bool { return utf8.ValidString(s) }

func TestCRLFReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"mixed\r\nlf\n\ncr\ronly\r", "mixed\r\nlf\r\n\r\ncr\ronly\r"},
		{"\n", "\r\n"},
		{"\r\r\n\n", "\r\r\n\r\n"},
	}
	for _, tt := range tests {
		for _, bufSize := range []int{1, 2, 3, 7, 4096} {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				got, err := readWith(newCRLFReader(src), bufSize)
				if err != nil || got != tt.want {
					t.Errorf("crlfReader(%q) with %d-byte reads = %q, %v, want %q", tt.in, bufSize, got, err, tt.want)
				}
			}
		}
	}
}

func TestCRLFReaderTestReader(t *testing.T) {
	in := strings.Repeat("line\nother\r\n", 5000)
	want := strings.ReplaceAll(in, "other\r\n", "other\n")
	want = strings.ReplaceAll(want, "\n", "\r\n")
	if err := iotest.TestReader(newCRLFReader(strings.NewReader(in)), []byte(want)); err != nil {
		t.Errorf("iotest.TestReader(crlfReader) = %v", err)
	}
}

func readWith(r io.Reader, n int) (string, error) {
	var out bytes.Buffer
	buf := make([]byte, n)
	for {
		m, err := r.Read(buf)
		out.Write(buf[:m])
		if err == io.EOF {
			return out.String(), nil
		}
		if err != nil {
			return out.String(), err
		}
	}
}
