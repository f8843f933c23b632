package mbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

func TestWriterFormat(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "")
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)
	w.WriteMessage("a b@example.com", date, strings.NewReader("S: x\r\n\r\nFrom me\r\n>From you\r\n"))
	w.WriteMessage("", date, strings.NewReader("no newline"))
	want := "From a_b@example.com Sun Jan  2 03:04:05 2022\nS: x\r\n\r\n>From me\r\n>>From you\r\n\n" +
		"From MAILER-DAEMON Sun Jan  2 03:04:05 2022\nno newline\n\n"
	if buf.String() != want {
		t.Errorf("written = %q, want %q", buf.String(), want)
	}
	if _, err := NewWriter(&buf, FormatMboxo); err == nil {
		t.Errorf("NewWriter(mboxo) = nil error, want refusal")
	}
}

func TestWriterRoundTrip(t *testing.T) {
	msgs := []string{
		"From: a\r\nSubject: x\r\n\r\nFrom the start\r\n>From quoted\r\n>>From twice\r\n\r\nFrom a Sat Jan  1 00:00:00 2022\r\n",
		"",
		"\r\n",
		"S: y\r\n\r\n\r\n\r\n",
		"S: z\r\n\r\n>\r\n>>From\r\nFrom\r\n",
	}
	date := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "out.mbox")
	f, _ := os.Create(path)
	w, _ := NewWriter(f, FormatMboxrd)
	for _, m := range msgs {
		if err := w.WriteMessage("x@y", date, strings.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	src, err := New(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := readSource(t, src)
	if len(got) != len(msgs) {
		t.Fatalf("read back %d messages, want %d", len(got), len(msgs))
	}
	for i, g := range got {
		if g.body != msgs[i] {
			t.Errorf("message %d read back = %q, want %q", i, g.body, msgs[i])
		}
		if !g.Date.Equal(date) {
			t.Errorf("message %d: Date = %v, want %v", i, g.Date, date)
		}
	}
	if f, _ := src.Format(context.Background(), "INBOX"); f != FormatMboxrd {
		t.Errorf("Format() = %q, want mboxrd", f)
	}
	var _ sources.Source = src
}
