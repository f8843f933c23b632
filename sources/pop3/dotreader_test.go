package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// chunkReader delivers b at most n bytes per Read, to move packet
// boundaries around.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

// unstuff reads wire through a dotReader with the smallest bufio buffer
// and chunk-sized network reads. It returns the body and what is left
// in the stream after it.
func unstuff(wire []byte, chunk int) (body, rest []byte, err error) {
	br := bufio.NewReaderSize(&chunkReader{wire, max(chunk, 1)}, 16)
	body, err = io.ReadAll(newDotReader(br))
	rest, _ = io.ReadAll(br)
	return body, rest, err
}

var chunkSizes = []int{1, 2, 3, 5, 7, 16, 4096}

func TestDotReader(t *testing.T) {
	tests := []struct{ wire, want string }{
		{".\r\n", ""},
		{"\r\n.\r\n", "\r\n"},
		{"..x\r\n.\r\n", ".x\r\n"},
		{"..\r\n.\r\n", ".\r\n"},
		{"a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n"},
		{"...\r\n.\r\n", "..\r\n"},
		{".x\r\n.\r\n", "x\r\n"}, // unstuffed dot from a sloppy server: RFC rule applies
		{"a\nb\r\n.\r\n", "a\nb\r\n"},
		{"a\n.\r\n.\r\n", "a\n.\r\n"}, // a bare LF does not start a line
		{"a\r.\r\n.\r\n", "a\r.\r\n"},
		{"a\r\r\n.\r\n", "a\r\r\n"},
		{".\r.\r\n.\r\n", "\r.\r\n"},
		{"x.\r\n.\r\n", "x.\r\n"},
		{"Subject: Grüße\r\n\r\nÄÖÜ\xff\x00\r\n.\r\n", "Subject: Grüße\r\n\r\nÄÖÜ\xff\x00\r\n"},
	}
	for _, tt := range tests {
		for _, chunk := range chunkSizes {
			wire := tt.wire + "+OK next\r\n"
			got, rest, err := unstuff([]byte(wire), chunk)
			if err != nil || string(got) != tt.want {
				t.Errorf("unstuff(%q, chunk %d) = %q, %v, want %q", tt.wire, chunk, got, err, tt.want)
			}
			if string(rest) != "+OK next\r\n" {
				t.Errorf("unstuff(%q, chunk %d) left %q in the stream, want %q", tt.wire, chunk, rest, "+OK next\r\n")
			}
		}
	}
}

func TestDotReaderTruncated(t *testing.T) {
	for _, wire := range []string{"", "abc", "abc\r\n", "abc\r\n.", "abc\r\n.\r", "abc\r\n..\r\n", "..\r\n.\n", "abc\n.\r\n"} {
		for _, chunk := range chunkSizes {
			got, _, err := unstuff([]byte(wire), chunk)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("unstuff(%q, chunk %d) = %q, %v, want io.ErrUnexpectedEOF", wire, chunk, got, err)
			}
		}
	}
}

// TestDotReaderRoundTrip stuffs with the test server's encoder and
// unstuffs, including dots at every chunk boundary and huge lines.
func TestDotReaderRoundTrip(t *testing.T) {
	huge := strings.Repeat("y", 1_500_000)
	msgs := []string{
		"",
		"Subject: x\r\n\r\n",
		".\r\n",
		"..\r\n.\r\n...\r\n",
		".x\r\n.\r\n..x\r\n",
		"a\r\n" + strings.Repeat(".\r\n", 100),
		"line\r\n." + strings.Repeat("z", 5000) + "\r\n.\r\n",
		"h: v\r\n\r\n" + huge + "\r\n." + huge + "\r\n",
		"bare\nlf\n.\nand\r\n.cr\r",
		"no final crlf",
	}
	for _, m := range msgs {
		var wire bytes.Buffer
		if err := pop3test.DotStuff(&wire, []byte(m)); err != nil {
			t.Fatal(err)
		}
		want := m
		if m != "" && !strings.HasSuffix(m, "\r\n") {
			want += "\r\n"
		}
		for _, chunk := range []int{1, 3, 4096, 1 << 20} {
			if len(m) > 100_000 && chunk < 4096 {
				continue
			}
			got, rest, err := unstuff(wire.Bytes(), chunk)
			if err != nil || string(got) != want || len(rest) != 0 {
				t.Errorf("unstuff(DotStuff(%.40q), chunk %d) = %.40q (%d bytes), %v, rest %q, want %.40q (%d bytes)",
					m, chunk, got, len(got), err, rest, want, len(want))
			}
		}
	}
}

// TestDotReaderBounded checks the reader works inside bufio's buffer: a
// 1.5 MB line goes through a 16-byte buffer without the buffer growing.
func TestDotReaderBounded(t *testing.T) {
	line := bytes.Repeat([]byte("q"), 1_500_000)
	var wire bytes.Buffer
	pop3test.DotStuff(&wire, append(line, "\r\n"...))
	br := bufio.NewReaderSize(&wire, 16)
	d := newDotReader(br)
	buf := make([]byte, 64<<10)
	var n int
	for {
		k, err := d.Read(buf)
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read() = %v", err)
		}
	}
	if n != len(line)+2 || br.Size() != 16 {
		t.Errorf("read %d bytes with buffer size %d, want %d bytes and size 16", n, br.Size(), len(line)+2)
	}
}

func FuzzDotReader(f *testing.F) {
	f.Add([]byte("..x\r\n.\r\n"), uint16(1))
	f.Add([]byte("a\r\n.\r\n"), uint16(3))
	f.Add([]byte("a\n.\r\n\r.\r\n.."), uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		// Arbitrary server output: no panic, never more out than in.
		got, _, err := unstuff(data, int(chunk))
		if err == nil && len(got) > len(data) {
			t.Fatalf("unstuff(%q) = %d bytes from %d", data, len(got), len(data))
		}
		// Stuffing then unstuffing gives the message back (with the
		// final CRLF DotStuff adds when missing).
		var wire bytes.Buffer
		pop3test.DotStuff(&wire, data)
		want := data
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\r\n")) {
			want = append(append([]byte(nil), data...), "\r\n"...)
		}
		got, rest, err := unstuff(wire.Bytes(), int(chunk))
		if err != nil || !bytes.Equal(got, want) || len(rest) != 0 {
			t.Fatalf("unstuff(DotStuff(%q)) = %q, %v, rest %q, want %q", data, got, err, rest, want)
		}
	})
}
