package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		text string
		err  bool
	}{
		{"+OK", true, "", false},
		{"+OK 2 320", true, "2 320", false},
		{"-ERR [IN-USE] locked", false, "[IN-USE] locked", false},
		{"-ERR", false, "", false},
		{"* OK imap", false, "", true},
		{"", false, "", true},
		{"+ ", false, "", true},
	}
	for _, tt := range tests {
		ok, text, err := parseStatus([]byte(tt.line))
		if ok != tt.ok || text != tt.text || (err != nil) != tt.err {
			t.Errorf("parseStatus(%q) = %v, %q, %v, want %v, %q, error %v", tt.line, ok, text, err, tt.ok, tt.text, tt.err)
		}
	}
}

func TestResponseCode(t *testing.T) {
	for _, tt := range []struct{ text, code, rest string }{
		{"[IN-USE] locked", "IN-USE", "locked"},
		{"[sys/temp] later", "SYS/TEMP", "later"},
		{"no code", "", "no code"},
		{"[unclosed", "", "[unclosed"},
	} {
		if code, rest := responseCode(tt.text); code != tt.code || rest != tt.rest {
			t.Errorf("responseCode(%q) = %q, %q, want %q, %q", tt.text, code, rest, tt.code, tt.rest)
		}
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("a", maxLineLength+10)
	br := bufio.NewReaderSize(strings.NewReader("+OK a\r\n-ERR b\n"+long+"\r\n+OK"), 16)
	for _, want := range []string{"+OK a", "-ERR b"} {
		if got, err := readLine(br); string(got) != want || err != nil {
			t.Errorf("readLine() = %q, %v, want %q", got, err, want)
		}
	}
	if got, err := readLine(br); err == nil {
		t.Errorf("readLine(%d-byte line) = %d bytes, want an error", len(long), len(got))
	}
	br = bufio.NewReader(strings.NewReader("+OK"))
	if _, err := readLine(br); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("readLine(unterminated) = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestParseScanLine(t *testing.T) {
	if n, arg, err := parseScanLine([]byte("12 abc.def")); n != 12 || arg != "abc.def" || err != nil {
		t.Errorf("parseScanLine(12 abc.def) = %d, %q, %v, want 12, abc.def", n, arg, err)
	}
	for _, bad := range []string{"", "12", "x 1", "0 1", "-1 2"} {
		if _, _, err := parseScanLine([]byte(bad)); err == nil {
			t.Errorf("parseScanLine(%q) = nil error, want one", bad)
		}
	}
}

// FuzzResponseLine feeds arbitrary server lines to every line parser.
func FuzzResponseLine(f *testing.F) {
	for _, s := range []string{"+OK 2 320", "-ERR [IN-USE] x", "1 uid", "+ ", "[", "-ERR [x", "SASL PLAIN"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for {
			line, err := readLine(br)
			if err != nil {
				break
			}
			if bytes.HasSuffix(line, []byte("\n")) || len(line) > maxLineLength+readBufferSize {
				t.Fatalf("readLine() = %q, kept its line ending or is too long", line)
			}
			ok, text, err := parseStatus(line)
			if err == nil && strings.ContainsAny(text, "\n") {
				t.Fatalf("parseStatus(%q) = %v, %q with a newline", line, ok, text)
			}
			responseCode(text)
			parseScanLine(line)
		}
	})
}
