package mbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzSplit reads arbitrary data as an mbox file, checking that nothing
// panics and no byte goes missing, then writes the data cut at NUL bytes
// as messages and checks that they read back exactly.
func FuzzSplit(f *testing.F) {
	f.Add([]byte(from1 + "S: x\n\nFrom me\n>From you\n\n" + from2 + "S: y\n\nbody\n"))
	f.Add([]byte("From a\n\nFrom b\n>>From c\n\x00From x Sat Jan  1 00:00:00 2022\n\x00\r\n\x00"))
	f.Add([]byte(from1 + "Content-Length: 4\n\nab\n\n" + from2 + "Content-Length: 2\n\nc\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.mbox")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		checkCoverage(t, path, data)
		for _, format := range []string{"", FormatMboxo, FormatMboxcl, FormatMboxcl2} {
			src, err := New(path, Options{Format: format})
			if err != nil {
				if !errors.Is(err, errNotMboxFile) {
					t.Fatalf("New() = %v, want success or not-an-mbox", err)
				}
				return
			}
			readSource(t, src) // checks sizes against bytes
			src.Close()
		}

		// Round trip through Writer.
		var msgs []string
		for _, m := range strings.Split(string(data), "\x00") {
			if m != "" && !strings.HasSuffix(m, "\n") {
				m += "\n" // mbox needs a line break at the end
			}
			msgs = append(msgs, m)
		}
		out := filepath.Join(dir, "out.mbox")
		fo, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := NewWriter(fo, FormatMboxrd)
		date := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, m := range msgs {
			if err := w.WriteMessage("fuzz@example.com", date, strings.NewReader(m)); err != nil {
				t.Fatal(err)
			}
		}
		fo.Close()
		got := readFile(t, out, FormatMboxrd)
		if len(got) != len(msgs) {
			t.Fatalf("wrote %d messages, read back %d", len(msgs), len(got))
		}
		for i := range msgs {
			if got[i] != crlf(msgs[i]) {
				t.Fatalf("message %d read back = %q, want %q", i, got[i], crlf(msgs[i]))
			}
		}
	})
}

// checkCoverage checks that the segments of data account for every
// byte: only blank lines before the first "From " line and one at the
// end are dropped, and From lines and separators lie between segments.
func checkCoverage(t *testing.T, path string, data []byte) {
	segs, _, err := scan(context.Background(), bytes.NewReader(data), path, scanStart{})
	if err != nil {
		if !errors.Is(err, errNotMboxFile) {
			t.Fatalf("scan() = %v", err)
		}
		return
	}
	if len(segs) == 0 {
		if len(bytes.Trim(data, "\r\n")) != 0 {
			t.Fatalf("scan(%q) found no message in non-blank data", data)
		}
		return
	}
	if lead := data[:segs[0].fromOff]; len(bytes.Trim(lead, "\r\n")) != 0 {
		t.Fatalf("scan() dropped %q before the first message", lead)
	}
	for k, s := range segs {
		if k > 0 && s.start-s.gapLen != segs[k-1].end {
			t.Fatalf("segment %d starts at %d with a %d-byte gap, but segment %d ends at %d", k, s.start, s.gapLen, k-1, segs[k-1].end)
		}
		if !bytes.HasPrefix(data[s.fromOff:], []byte(fromPrefix)) || s.start < s.fromOff || s.end < s.start {
			t.Fatalf("segment %d = %+v is malformed", k, s)
		}
	}
	last := segs[len(segs)-1]
	if rest := string(data[last.end:]); rest != "" && rest != "\n" && rest != "\r\n" {
		t.Fatalf("scan() dropped %q at the end", rest)
	}
}
