package mbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

const (
	from1 = "From alice@example.com Sat Jan  1 00:00:00 2022\n"
	from2 = "From bob@example.com Sun Jan  2 10:20:30 2022\n"
	from3 = "From carol@example.com Mon Jan  3 00:00:00 2022\n"
)

func TestReadBasic(t *testing.T) {
	content := from1 + "Subject: one\n\nbody one\n\n" + from2 + "Subject: two\r\n\r\nbody two\r\n\n"
	path := writeMbox(t, "a.mbox", content)
	src, err := New(path, Options{})
	if err != nil {
		t.Fatalf("New(%s) = %v", path, err)
	}
	defer src.Close()
	msgs := readSource(t, src)
	want := []string{"Subject: one\r\n\r\nbody one\r\n", "Subject: two\r\n\r\nbody two\r\n"}
	if len(msgs) != len(want) {
		t.Fatalf("List() gave %d messages, want %d", len(msgs), len(want))
	}
	idRE := regexp.MustCompile(`^[0-9]+-[0-9a-f]{16}$`)
	for i, m := range msgs {
		if m.body != want[i] {
			t.Errorf("message %d = %q, want %q", i, m.body, want[i])
		}
		if !idRE.MatchString(m.ID) {
			t.Errorf("message %d: ID = %q, want offset-hex16", i, m.ID)
		}
		if m.Mailbox != "INBOX" {
			t.Errorf("message %d: Mailbox = %q, want INBOX", i, m.Mailbox)
		}
	}
	if !strings.HasPrefix(msgs[1].ID, fmt.Sprint(strings.Index(content, from2))+"-") {
		t.Errorf("message 1: ID = %q, want the From line's offset %d first", msgs[1].ID, strings.Index(content, from2))
	}
	if got, want := msgs[1].Location, path+":6"; got != want {
		t.Errorf("message 1: Location = %q, want %q", got, want)
	}
	if got, want := msgs[1].Date, time.Date(2022, 1, 2, 10, 20, 30, 0, time.UTC); !got.Equal(want) {
		t.Errorf("message 1: Date = %v, want %v", got, want)
	}
	if f, _ := src.Format(context.Background(), ""); f != FormatMboxrd {
		t.Errorf("Format() = %q, want mboxrd", f)
	}
}

func TestBodyFromLinesDoNotSplit(t *testing.T) {
	body := "Subject: x\n\nFrom here on, no split.\nFrom bob Sat Jan  1 00:00:00 2022\n\nFrom the start\n\n"
	content := from1 + body + "\n" + from2 + "Subject: y\n\nz\n"
	got := readString(t, content, "")
	want := []string{crlf(body), crlf("Subject: y\n\nz\n")}
	if !slices.Equal(got, want) {
		t.Errorf("read = %q, want %q", got, want)
	}
}

func TestTakeoutDates(t *testing.T) {
	content := "From 1722339923456789012@xxx Tue Jul 30 12:25:23 +0000 2024\nX-GM-THRID: 1\n\nhi\n\n" +
		"From 1722339923456789013@xxx Tue Jul 30 12:25:24 +0200 2024\nX-GM-THRID: 2\n\nFrom the desk of\n\n"
	src, err := New(writeMbox(t, "All mail.mbox", content), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msgs := readSource(t, src)
	wantDates := []time.Time{
		time.Date(2024, 7, 30, 12, 25, 23, 0, time.UTC),
		time.Date(2024, 7, 30, 10, 25, 24, 0, time.UTC),
	}
	if len(msgs) != 2 {
		t.Fatalf("List() gave %d messages, want 2", len(msgs))
	}
	for i, m := range msgs {
		if !m.Date.Equal(wantDates[i]) {
			t.Errorf("message %d: Date = %v, want %v", i, m.Date, wantDates[i])
		}
	}
}

func TestNoDateInFromLine(t *testing.T) {
	content := "From alice\nSubject: a\n\n1\n\nFrom bob\nSubject: b\n\n2\n"
	src, err := New(writeMbox(t, "x", content), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msgs := readSource(t, src)
	if len(msgs) != 2 || !msgs[0].Date.IsZero() || msgs[1].body != crlf("Subject: b\n\n2\n") {
		t.Errorf("read = %+v, want 2 messages with zero dates", msgs)
	}
}

func TestUnquotePerVariant(t *testing.T) {
	content := from1 + "S: x\n\n>From a\n>>From b\nFrom c\n>x\n\n"
	tests := []struct{ format, want string }{
		{"", "S: x\n\nFrom a\n>From b\nFrom c\n>x\n"},
		{FormatMboxrd, "S: x\n\nFrom a\n>From b\nFrom c\n>x\n"},
		{FormatMboxo, "S: x\n\nFrom a\n>>From b\nFrom c\n>x\n"},
		{FormatMboxcl, "S: x\n\nFrom a\n>>From b\nFrom c\n>x\n"},
		{FormatMboxcl2, "S: x\n\n>From a\n>>From b\nFrom c\n>x\n"},
	}
	for _, tt := range tests {
		got := readString(t, content, tt.format)
		if len(got) != 1 || got[0] != crlf(tt.want) {
			t.Errorf("read(format %q) = %q, want [%q]", tt.format, got, crlf(tt.want))
		}
	}
}

func TestContentLength(t *testing.T) {
	// An mboxcl2 body holding an unquoted separator-like line.
	body1 := "hello\n\nFrom bob@example.com Sun Jan  2 10:20:30 2022\nmore\n"
	msg1 := fmt.Sprintf("Subject: one\nContent-Length: %d\n\n%s", len(body1), body1)
	msg2 := "Subject: two\nContent-Length: 3\n\n>x\n"
	content := from1 + msg1 + "\n" + from3 + msg2 + "\n"
	for _, format := range []string{"", FormatMboxcl2} {
		path := writeMbox(t, "cl", content)
		got := readFile(t, path, format)
		want := []string{crlf(msg1), crlf(msg2)}
		if !slices.Equal(got, want) {
			t.Errorf("read(format %q) = %q, want %q", format, got, want)
		}
		src, _ := New(path, Options{Format: format})
		if f, _ := src.Format(context.Background(), "INBOX"); f != FormatMboxcl2 {
			t.Errorf("Format(format %q) = %q, want mboxcl2", format, f)
		}
		src.Close()
	}
	// As mboxrd, Content-Length is ignored.
	if got := readString(t, content, FormatMboxrd); len(got) != 3 {
		t.Errorf("read(mboxrd) = %d messages, want 3", len(got))
	}
	// A wrong Content-Length falls back to "From " lines.
	bad := from1 + "Subject: one\nContent-Length: 3\n\nhello\n\n" + from3 + "Subject: two\n\nx\n"
	got := readString(t, bad, FormatMboxcl2)
	want := []string{crlf("Subject: one\nContent-Length: 3\n\nhello\n"), crlf("Subject: two\n\nx\n")}
	if !slices.Equal(got, want) {
		t.Errorf("read(bad Content-Length) = %q, want %q", got, want)
	}
}

func TestDetectMboxcl(t *testing.T) {
	content := from1 + "Content-Length: 8\n\n>From x\n\n" + from2 + "Content-Length: 3\n\nab\n"
	path := writeMbox(t, "cl", content)
	src, err := New(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if f, err := src.Format(context.Background(), "INBOX"); f != FormatMboxcl || err != nil {
		t.Errorf("Format() = %q, %v, want mboxcl", f, err)
	}
}

func TestFlags(t *testing.T) {
	content := from1 + "Status: RO\nX-Status: AF\n\na\n\n" +
		from2 + "X-Mozilla-Status: 1001\nX-Mozilla-Keys: $label1\n\nb\n\n" +
		from3 + "X-Keywords: Work, Home\n\nc\n\n" +
		from1 + "Subject: none\n\nd\n"
	src, err := New(writeMbox(t, "f", content), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msgs := readSource(t, src)
	want := [][]string{{`\Answered`, `\Flagged`, `\Seen`}, {`$Forwarded`, `$label1`, `\Seen`}, {"Home", "Work"}, nil}
	for i, m := range msgs {
		if !slices.Equal(m.Flags, want[i]) {
			t.Errorf("message %d: Flags = %q, want %q", i, m.Flags, want[i])
		}
	}
	if !strings.HasPrefix(msgs[0].body, "Status: RO\r\nX-Status: AF\r\n") {
		t.Errorf("message 0 = %q, want the flag headers kept", msgs[0].body)
	}
}

func TestCRLFExact(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"a\nb\r\nc\rd\n", "a\r\nb\r\nc\rd\r\n"},
		{"\n\n", "\r\n\r\n"},
		{"x\r\n\r\n", "x\r\n\r\n"},
		{"no newline", "no newline"},
		{"", ""},
	}
	for _, tt := range tests {
		got := readString(t, from1+tt.msg+"\n", "")
		if tt.msg == "no newline" {
			got = readString(t, from1+tt.msg, "")
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("read(%q) = %q, want [%q]", tt.msg, got, tt.want)
		}
	}
	// A CRLF file keeps its separators out of the messages.
	got := readString(t, "From a Sat Jan  1 00:00:00 2022\r\nS: 1\r\n\r\nx\r\n\r\nFrom b Sat Jan  1 00:00:00 2022\r\nS: 2\r\n\r\ny\r\n\r\n", "")
	if want := []string{"S: 1\r\n\r\nx\r\n", "S: 2\r\n\r\ny\r\n"}; !slices.Equal(got, want) {
		t.Errorf("read(CRLF file) = %q, want %q", got, want)
	}
}

func TestNotMbox(t *testing.T) {
	for _, content := range []string{"Subject: hi\n\nbody\n", "\n\nhello\nFrom a Sat Jan  1 00:00:00 2022\n"} {
		path := writeMbox(t, "x.txt", content)
		_, err := New(path, Options{})
		want := path + `: not an mbox file (first line is not a "From " line)`
		if err == nil || err.Error() != want || !sources.IsPermanent(err) {
			t.Errorf("New(%q) = %v, want permanent %q", content, err, want)
		}
	}
	if _, err := New(writeMbox(t, "x", ""), Options{Format: "mbox"}); err == nil {
		t.Errorf("New(format mbox) = nil error, want unknown format")
	}
}

func TestEmptyAndLeadingBlank(t *testing.T) {
	if got := readString(t, "", ""); len(got) != 0 {
		t.Errorf("read(empty file) = %q, want nothing", got)
	}
	if got := readString(t, "\n\r\n"+from1+"x\n", ""); !slices.Equal(got, []string{"x\r\n"}) {
		t.Errorf("read(leading blank lines) = %q, want [x]", got)
	}
	if got := readString(t, from1, ""); !slices.Equal(got, []string{""}) {
		t.Errorf("read(From line only) = %q, want one empty message", got)
	}
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("h", 2<<20)
	msg := "X-Long: " + long + "\nStatus: R\n\n>" + strings.Repeat(">", 100<<10) + "From x\n" + long + "\n"
	content := from1 + msg + "\nFrom " + long + "\n\n" + from2 + "S: 2\n"
	src, err := New(writeMbox(t, "long", content), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msgs := readSource(t, src)
	wantBody := crlf(strings.Replace(msg, ">>", ">", 1) + "\nFrom " + long + "\n")
	if len(msgs) != 2 || msgs[0].body != wantBody {
		t.Fatalf("read gave %d messages, want 2 with the long lines intact", len(msgs))
	}
	if !slices.Equal(msgs[0].Flags, []string{`\Seen`}) {
		t.Errorf("Flags after a 2 MB header line = %q, want [\\Seen]", msgs[0].Flags)
	}
}

func TestChangedFile(t *testing.T) {
	ctx := context.Background()
	content := from1 + "S: 1\n\nbody\n\n" + from2 + "S: 2\n\nbody\n"
	path := writeMbox(t, "c", content)
	listed := func() (*Source, []sources.Message) {
		src, err := New(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []sources.Message
		src.List(ctx, func(m sources.Message) error { msgs = append(msgs, m); return nil })
		return src, msgs
	}

	// Changed in place: the digest check fails that message only.
	src, msgs := listed()
	defer src.Close()
	os.WriteFile(path, []byte(strings.Replace(content, "body", "bodY", 1)), 0o600)
	for i, wantErr := range []bool{true, false} {
		rc, err := src.Open(ctx, msgs[i])
		if err != nil {
			t.Fatalf("Open(%s) = %v", msgs[i].ID, err)
		}
		_, err = io.ReadAll(rc)
		rc.Close()
		var me *sources.MessageError
		if wantErr != errors.As(err, &me) {
			t.Errorf("reading message %d after an in-place change = %v, want MessageError %v", i, err, wantErr)
		}
	}

	// Shortened, then opened anew (as when a tree switches files).
	src2, msgs2 := listed()
	defer src2.Close()
	src2.Close()
	os.WriteFile(path, []byte(from1+"S: 1\n"), 0o600)
	if _, err := src2.Open(ctx, msgs2[0]); err == nil || !sources.IsPermanent(err) {
		t.Errorf("Open() of a shortened file = %v, want a permanent error", err)
	}
}

func TestDigestChecked(t *testing.T) {
	path := writeMbox(t, "d", from1+"S: 1\n\nbody\n")
	src, _ := New(path, Options{})
	defer src.Close()
	var m sources.Message
	src.List(context.Background(), func(x sources.Message) error { m = x; return nil })
	mb := src.boxes[0]
	mb.msgs[0].sum[0] ^= 1 // as if the bytes had changed in place
	m.ID = mb.message(&mb.msgs[0]).ID
	rc, err := src.Open(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	var me *sources.MessageError
	if !errors.As(err, &me) {
		t.Errorf("reading changed bytes = %v, want a MessageError", err)
	}
}
