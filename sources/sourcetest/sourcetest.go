// Package sourcetest is the conformance suite that every sources.Source
// adapter passes. An adapter's test calls Run with a function that builds
// a source holding the given fixtures; the suite checks listing, stable
// IDs, exact bytes, flags and dates.
package sourcetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// Fixture is one message an adapter's make function must put into the
// source. Raw has CRLF line endings. Flags and Date are what the source
// should report, for adapters that carry them (Caps).
type Fixture struct {
	Raw   []byte
	Flags []string
	Date  time.Time
}

// Caps says what an adapter preserves, so the suite checks only that.
type Caps struct {
	Flags bool // Message.Flags reflect Fixture.Flags
	Dates bool // Message.Date equals Fixture.Date (to the second)
}

// Fixtures returns the standard corpus: dot lines, long lines, 8-bit
// headers, a message without Message-ID, two different messages sharing
// a Message-ID, two identical messages and an empty body.
func Fixtures() []Fixture {
	date := func(d int) time.Time { return time.Date(2021, 3, d, 10, 30, 0, 0, time.UTC) }
	long := bytes.Repeat([]byte("x"), 5000)
	same := []byte("From: a@example.com\r\nSubject: twin\r\nMessage-ID: <twin@x>\r\n\r\nsame\r\n")
	return []Fixture{
		{Raw: []byte("From: a@example.com\r\nSubject: dots\r\nMessage-ID: <1@x>\r\n\r\n.\r\n..x\r\n.\r\nend\r\n"), Flags: []string{`\Seen`}, Date: date(1)},
		{Raw: append(append([]byte("From: a@example.com\r\nSubject: long\r\n\r\n"), long...), "\r\n"...), Date: date(2)},
		{Raw: []byte("From: Jörg <j@example.com>\r\nSubject: Grüße\r\n\r\nÄÖÜ\r\n"), Flags: []string{`\Answered`, `\Flagged`}, Date: date(3)},
		{Raw: []byte("From: a@example.com\r\nSubject: shared id one\r\nMessage-ID: <dup@x>\r\n\r\none\r\n"), Date: date(4)},
		{Raw: []byte("From: a@example.com\r\nSubject: shared id two\r\nMessage-ID: <dup@x>\r\n\r\ntwo\r\n"), Date: date(5)},
		{Raw: same, Date: date(6)},
		{Raw: same, Date: date(6)},
		{Raw: []byte("From: a@example.com\r\nSubject: empty body\r\n\r\n"), Date: date(7)},
	}
}

// Run checks a Source built by make, which must hold exactly fixtures,
// in order, in one mailbox.
func Run(t *testing.T, caps Caps, build func(t *testing.T, fixtures []Fixture) sources.Source) {
	ctx := context.Background()
	fixtures := Fixtures()

	t.Run("ListOpen", func(t *testing.T) {
		src := build(t, fixtures)
		defer src.Close()
		msgs := list(t, src)
		if len(msgs) != len(fixtures) {
			t.Fatalf("List() gave %d messages, want %d", len(msgs), len(fixtures))
		}
		ids := map[string]bool{}
		for i, m := range msgs {
			if ids[m.ID] {
				t.Errorf("List() message %d: duplicate ID %q", i, m.ID)
			}
			ids[m.ID] = true
			got := open(t, src, m)
			if !bytes.Equal(got, fixtures[i].Raw) {
				t.Errorf("Open(%s) = %q, want %q", m.ID, trim(got), trim(fixtures[i].Raw))
			}
			if m.SizeExact && m.Size != int64(len(got)) {
				t.Errorf("message %s: Size = %d (exact), but Open gave %d bytes", m.ID, m.Size, len(got))
			}
			if caps.Flags && !sameFlags(m.Flags, fixtures[i].Flags) {
				t.Errorf("message %s: Flags = %v, want %v", m.ID, m.Flags, fixtures[i].Flags)
			}
			if caps.Dates && !m.Date.Truncate(time.Second).Equal(fixtures[i].Date) {
				t.Errorf("message %s: Date = %v, want %v", m.ID, m.Date, fixtures[i].Date)
			}
			if m.Location == "" {
				t.Errorf("message %s: empty Location", m.ID)
			}
		}
	})

	t.Run("StableIDs", func(t *testing.T) {
		src := build(t, fixtures)
		first := ids(list(t, src))
		second := ids(list(t, src))
		src.Close()
		if !slices.Equal(first, second) {
			t.Errorf("second List() IDs = %v, want %v", second, first)
		}
		again := build(t, fixtures)
		defer again.Close()
		if third := ids(list(t, again)); !slices.Equal(first, third) {
			t.Errorf("List() IDs of a new instance = %v, want %v", third, first)
		}
	})

	t.Run("ReopenAfterPartialRead", func(t *testing.T) {
		src := build(t, fixtures)
		defer src.Close()
		msgs := list(t, src)
		rc, err := src.Open(ctx, msgs[1])
		if err != nil {
			t.Fatalf("Open(%s) = %v", msgs[1].ID, err)
		}
		buf := make([]byte, 10)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatalf("reading 10 bytes of %s: %v", msgs[1].ID, err)
		}
		if err := rc.Close(); err != nil {
			t.Fatalf("closing a partly read message: %v", err)
		}
		// Reading out of order must also work.
		for _, i := range []int{1, 0, len(msgs) - 1} {
			if got := open(t, src, msgs[i]); !bytes.Equal(got, fixtures[i].Raw) {
				t.Errorf("re-Open(%s) = %q, want %q", msgs[i].ID, trim(got), trim(fixtures[i].Raw))
			}
		}
	})

	t.Run("ListStops", func(t *testing.T) {
		src := build(t, fixtures)
		defer src.Close()
		stop := fmt.Errorf("stop")
		n := 0
		err := src.List(ctx, func(sources.Message) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("List() with a failing callback = %v after %d calls, want stop after 1", err, n)
		}
	})
}

func list(t *testing.T, src sources.Source) []sources.Message {
	t.Helper()
	var msgs []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error {
		msgs = append(msgs, m)
		return nil
	}); err != nil {
		t.Fatalf("List() = %v", err)
	}
	return msgs
}

func open(t *testing.T, src sources.Source, m sources.Message) []byte {
	t.Helper()
	rc, err := src.Open(context.Background(), m)
	if err != nil {
		t.Fatalf("Open(%s) = %v", m.ID, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", m.ID, err)
	}
	return b
}

func ids(msgs []sources.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func sameFlags(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func trim(b []byte) []byte {
	if len(b) > 120 {
		return append(b[:120:120], "..."...)
	}
	return b
}
