package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// localMessage is a message of a local source and what the target must
// show for it.
type localMessage struct {
	mailbox string    // target mailbox
	raw     string    // the bytes as the file holds them
	flags   []string  // sorted
	date    time.Time // INTERNALDATE
}

// checkLocal fails the test unless bob's mailboxes hold exactly msgs:
// the bytes with LF turned into CRLF and nothing else changed, the
// flags and keywords, and the date.
func checkLocal(t *testing.T, fetched map[string][]stored, msgs []localMessage) {
	t.Helper()
	for mailbox, got := range fetched {
		var want []localMessage
		for _, m := range msgs {
			if m.mailbox == mailbox {
				want = append(want, m)
			}
		}
		if len(got) != len(want) {
			t.Errorf("bob's %s holds %d messages, want %d", mailbox, len(got), len(want))
		}
		for _, w := range want {
			body := crlf([]byte(w.raw))
			i := slices.IndexFunc(got, func(s stored) bool { return s.Sum == digest(body) })
			if i < 0 {
				t.Errorf("bob's %s lacks %q; it holds %s", mailbox, body, bodies(got))
				continue
			}
			g := got[i]
			got = slices.Delete(got, i, i+1)
			subject := strings.SplitN(w.raw[strings.Index(w.raw, "Subject: "):], "\n", 2)[0]
			if !slices.Equal(g.Flags, w.flags) {
				t.Errorf("%s %q: FLAGS = %v, want %v", mailbox, subject, g.Flags, w.flags)
			}
			if !g.Date.Equal(w.date) {
				t.Errorf("%s %q: INTERNALDATE = %v, want %v", mailbox, subject, g.Date.UTC(), w.date)
			}
		}
	}
}

func bodies(ms []stored) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("\n\t")
		b.WriteString(strings.ReplaceAll(string(m.Body), "\r\n", `\r\n`))
	}
	return b.String()
}

// TestMboxIntoDovecot migrates an LF-only mbox file with mutt/Dovecot
// status headers and From-line dates into an IMAP mailbox.
func TestMboxIntoDovecot(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	msgs := []localMessage{
		{raw: "From: alice@example.com\nSubject: read and answered\nStatus: RO\nX-Status: A\nMessage-ID: <m1@example.com>\n\nbody one\n",
			flags: []string{`\Answered`, `\Seen`}, date: time.Date(2022, 1, 1, 10, 0, 0, 0, time.UTC)},
		{raw: "From: bob@example.com\nSubject: flagged, keywords\nStatus: O\nX-Status: F\nX-Keywords: Work $Important\n\nbody two\n\n  indented after a blank line\n",
			flags: []string{`$Important`, `Work`, `\Flagged`}, date: time.Date(2022, 2, 14, 8, 30, 15, 0, time.UTC)},
		{raw: "Subject: plain, 8-bit K\xc3\xb6ln\n\nbody three\n.\n..\n",
			date: time.Date(2022, 3, 1, 12, 0, 0, 0, time.UTC)},
	}
	fromLines := []string{
		"From alice@example.com Sat Jan  1 10:00:00 2022\n",
		"From bob@example.com Mon Feb 14 08:30:15 2022\n",
		"From - Tue Mar  1 12:00:00 2022\n",
	}
	var file strings.Builder
	for i, m := range msgs {
		msgs[i].mailbox = "From mbox"
		file.WriteString(fromLines[i] + m.raw + "\n")
	}
	path := filepath.Join(t.TempDir(), "export.mbox")
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	mustRun(t, newJob(t, "mbox:"+path, imapURL(srv, "bob", "From mbox")), statePath(t))
	checkLocal(t, map[string][]stored{"From mbox": fetchMailbox(t, srv, "bob", "From mbox")}, msgs)
}

// maildirFile is a file of the Maildir tree built by TestMaildirIntoDovecot.
type maildirFile struct {
	path string // below the Maildir root
	localMessage
}

// TestMaildirIntoDovecot migrates a Maildir++ tree (INBOX, .Sent,
// .Archive.2023, a modified UTF-7 name, a name with a space) with flags in the file names, per-folder
// dovecot-keywords and mtimes as arrival dates into IMAP folders.
func TestMaildirIntoDovecot(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	root := t.TempDir()
	day := func(m, d int) time.Time { return time.Date(2023, time.Month(m), d, 9, 15, 30, 0, time.UTC) }
	files := []maildirFile{
		{"new/1700000001.M1P1.host", localMessage{"INBOX",
			"From: a@example.com\nSubject: new, unread, LF\n\nhello\n", nil, day(1, 1)}},
		{"cur/1700000002.M2P1.host:2,FS", localMessage{"INBOX",
			"From: a@example.com\r\nSubject: flagged and seen, CRLF\r\n\r\nhello\r\n", []string{`\Flagged`, `\Seen`}, day(1, 2)}},
		{"cur/1700000003.M3P1.host:2,Sab", localMessage{"INBOX",
			"From: a@example.com\nSubject: keywords\n\nhello\n", []string{`$Forwarded`, `Work`, `\Seen`}, day(1, 3)}},
		{".Sent/cur/1700000004.M4P1.host:2,RS", localMessage{"Sent",
			"To: b@example.com\nSubject: sent reply\n\nthanks\n", []string{`\Answered`, `\Seen`}, day(2, 1)}},
		{".Archive.2023/cur/1700000005.M5P1.host:2,Da", localMessage{"Archive/2023",
			"Subject: archived draft\n\nK\xc3\xb6ln\n", []string{`Project-X`, `\Draft`}, day(3, 1)}},
		{".Archive.2023/new/1700000006.M6P1.host", localMessage{"Archive/2023",
			"Subject: archived, no final newline\n\nlast", nil, day(3, 2)}},
		{".Entw&APw-rfe/cur/1700000007.M7P1.host:2,D", localMessage{"Entw\u00fcrfe",
			"Subject: draft in a folder Dovecot named in modified UTF-7\n\nx\n", []string{`\Draft`}, day(4, 1)}},
		{".My Folder/cur/1700000008.M8P1.host:2,", localMessage{"My Folder",
			"Subject: folder name with a space\n\ny\n", nil, day(4, 2)}},
	}
	write := func(rel, data string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"", ".Sent", ".Archive.2023", ".Entw&APw-rfe", ".My Folder"} {
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(root, dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if dir != "" {
			write(filepath.Join(dir, "maildirfolder"), "")
		}
	}
	// Letters index each folder's own keyword list.
	write("dovecot-keywords", "0 $Forwarded\n1 Work\n")
	write(".Archive.2023/dovecot-keywords", "0 Project-X\n")
	var msgs []localMessage
	for _, f := range files {
		write(f.path, f.raw)
		if err := os.Chtimes(filepath.Join(root, f.path), f.date, f.date); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, f.localMessage)
	}

	mustRun(t, newJob(t, "maildir:"+root, imapURL(srv, "bob", "")), statePath(t))
	names := mailboxes(t, srv, "bob")
	fetched := map[string][]stored{}
	for _, mb := range []string{"INBOX", "Sent", "Archive/2023", "Entw\u00fcrfe", "My Folder"} {
		if !slices.Contains(names, mb) {
			t.Errorf("bob's mailboxes = %v, want %s among them", names, mb)
		}
		fetched[mb] = fetchMailbox(t, srv, "bob", mb)
	}
	checkLocal(t, fetched, msgs)
}
