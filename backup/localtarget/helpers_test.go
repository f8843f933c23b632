package localtarget

import (
	"context"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/migrate"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/memsource"
)

func date(y, d int) time.Time { return time.Date(y, 3, d, 10, 30, 15, 0, time.UTC) }

// corpus holds the cases a backup must keep intact: "From " lines,
// quoted ones, keywords, a missing final line break, an empty body,
// twins, a subfolder and several years.
func corpus() []memsource.Message {
	twin := []byte("From: a@example.com\r\nSubject: twin\r\n\r\nsame\r\n")
	return []memsource.Message{
		{Raw: []byte("From: a@example.com\r\nSubject: one\r\nMessage-ID: <1@x>\r\n\r\nFrom here on\r\n>From quoted\r\n>>From twice\r\n.\r\n"), Flags: []string{`\Seen`}, Date: date(2021, 1)},
		{Raw: []byte("From: b@example.com\r\nSubject: keywords\r\n\r\nbody\r\n"), Flags: []string{`\Answered`, `\Flagged`, "$Forwarded", "Work"}, Date: date(2022, 2)},
		{Raw: []byte("From: c@example.com\r\nSubject: no final newline\r\n\r\nlast line"), Flags: []string{}, Date: date(2023, 3)},
		{Raw: []byte("From: d@example.com\r\nSubject: empty body\r\n\r\n"), Flags: []string{`\Draft`}, Date: date(2023, 4)},
		{Raw: twin, Flags: []string{}, Date: date(2023, 5)},
		{Raw: twin, Flags: []string{}, Date: date(2023, 5)},
		{Raw: []byte("From: e@example.com\r\nSubject: in a subfolder\r\n\r\nFrom the team\r\n"), Mailbox: "Work/Projects", Flags: []string{`\Seen`}, Date: date(2020, 6)},
		{Raw: []byte("From: f@example.com\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\n\xc3\x84\r\n"), Mailbox: "Entw\xc3\xbcrfe", Flags: []string{`\Seen`}, Date: date(2024, 7)},
	}
}

// runBackup runs the engine from box into dial with the journal at state.
func runBackup(t *testing.T, box *memsource.Box, dial target.Dialer, state string, opts migrate.Options) (*migrate.Summary, error) {
	t.Helper()
	j, err := journal.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	opts.Backoff = time.Millisecond
	opts.Attempts = 2
	return migrate.Run(context.Background(), &migrate.Job{
		Name:       "test",
		OpenSource: func(context.Context) (sources.Source, error) { return box.Source(), nil },
		Target:     dial,
		Journal:    j,
		Options:    opts,
	})
}

// stored is a message read back from a backup.
type stored struct {
	mailbox string
	raw     string
	flags   string
	date    time.Time
}

// readAll lists and opens every message of src.
func readAll(t *testing.T, src sources.Source) []stored {
	t.Helper()
	defer src.Close()
	var list []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error { list = append(list, m); return nil }); err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, m := range list {
		rc, err := src.Open(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		mb := m.Mailbox
		if mb == "" {
			mb = "INBOX"
		}
		out = append(out, stored{mailbox: mb, raw: string(b), flags: flagString(m.Flags), date: m.Date})
	}
	return out
}

func flagString(f []string) string {
	f = append([]string(nil), f...)
	sort.Strings(f)
	return strings.Join(f, " ")
}

// wantStored is what a backup of msgs must read back as; the mbox
// writer's added final line break reads back as CRLF.
func wantStored(msgs []memsource.Message, addNewline bool, mailbox func(memsource.Message) string) map[stored]int {
	want := map[stored]int{}
	for _, m := range msgs {
		raw := string(m.Raw)
		if addNewline && raw != "" && !strings.HasSuffix(raw, "\n") {
			raw += "\r\n"
		}
		want[stored{mailbox: mailbox(m), raw: raw, flags: flagString(m.Flags), date: m.Date}]++
	}
	return want
}

func plainMailbox(m memsource.Message) string {
	if m.Mailbox == "" {
		return "INBOX"
	}
	return m.Mailbox
}

func checkBackup(t *testing.T, got []stored, want map[stored]int) {
	t.Helper()
	have := map[stored]int{}
	for _, s := range got {
		s.date = s.date.UTC()
		have[s]++
	}
	for s, n := range want {
		if have[s] != n {
			t.Errorf("backup holds %d copies of %q in %s (flags %q, date %v), want %d", have[s], firstLine(s.raw), s.mailbox, s.flags, s.date, n)
		}
	}
	if len(got) != len(wantList(want)) {
		t.Errorf("backup holds %d messages, want %d", len(got), len(wantList(want)))
	}
}

func wantList(want map[stored]int) []stored {
	var l []stored
	for s, n := range want {
		for i := 0; i < n; i++ {
			l = append(l, s)
		}
	}
	return l
}

func firstLine(s string) string {
	if i := strings.Index(s, "Subject:"); i >= 0 {
		s = s[i:]
	}
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		return s[:i]
	}
	return s
}

func statePath(t *testing.T) string { return filepath.Join(t.TempDir(), "state.db") }
