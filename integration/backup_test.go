package integration

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/dovecottest"
)

// TestBackupVerifyRestoreArchive is the round trip of the backup issue:
// IMAP -> Maildir backup -> verify -> restore into an empty account gives
// back the same folders, bytes, flags, keywords and INTERNALDATE; then an
// archive with --delete-source empties the source, reports the quota and
// leaves a verifiable archive.
func TestBackupVerifyRestoreArchive(t *testing.T) {
	t.Parallel()
	dovecottest.Require(t)
	srv := dovecottest.Start(t, dovecottest.WithUserQuota("alice", 50<<20))
	type msg struct {
		mailbox string
		raw     string
		flags   []imap.Flag
		date    time.Time
	}
	var msgs []msg
	for i, mb := range []string{"INBOX", "INBOX", "Work/2024", "Sent", "Work/2024", "INBOX"} {
		msgs = append(msgs, msg{
			mailbox: mb,
			raw: fmt.Sprintf("From: a@example.com\r\nTo: b@example.com\r\nSubject: message %d in %s\r\nMessage-ID: <%d@example.com>\r\n\r\n"+
				"Grüße, line one\r\n.\r\n..two dots\r\nFrom the start\r\n", i, mb, i),
			flags: [][]imap.Flag{{imap.FlagSeen}, {imap.FlagFlagged, "Work"}, {}, {imap.FlagSeen, imap.FlagAnswered}, {"$Forwarded", "Project-X"}, {imap.FlagDraft}}[i],
			date:  time.Date(2019+i, time.Month(i+1), 10+i, 8, 30, 0, 0, time.FixedZone("", 3600*(i-2))),
		})
	}
	c := dialIMAP(t, srv, "alice")
	for _, m := range msgs {
		if m.mailbox != "INBOX" {
			c.Create(m.mailbox, nil).Wait()
		}
		cmd := c.Append(m.mailbox, int64(len(m.raw)), &imap.AppendOptions{Flags: m.flags, Time: m.date})
		cmd.Write([]byte(m.raw))
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("APPEND to alice/%s: %v", m.mailbox, err)
		}
	}
	c.Close()
	before := map[string][]stored{}
	for _, mb := range []string{"INBOX", "Work/2024", "Sent"} {
		before[mb] = fetchMailbox(t, srv, "alice", mb)
	}

	dir := t.TempDir()
	backup := filepath.Join(dir, "backup")
	state := filepath.Join(dir, "state.db")
	env := []string{"MAILFERRY_SRC_PASSWORD=" + srcPassword, "MAILFERRY_DST_PASSWORD=" + dovecottest.DefaultUsers["carol"]}
	if code, out, errOut := runBinary(t, env, "backup", "--state", state, "--progress", "none", imapURL(srv, "alice", ""), "maildir:"+backup); code != 0 {
		t.Fatalf("backup = exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runBinary(t, env, "verify", "maildir:"+backup); code != 0 {
		t.Fatalf("verify = exit %d\n%s%s", code, out, errOut)
	}
	// Restore into carol's empty account.
	if code, out, errOut := runBinary(t, []string{"MAILFERRY_DST_PASSWORD=" + dovecottest.DefaultUsers["carol"]},
		"migrate", "--state", state, "--progress", "none", "maildir:"+backup, imapURL(srv, "carol", "")); code != 0 {
		t.Fatalf("restore = exit %d\n%s%s", code, out, errOut)
	}
	for mb, want := range before {
		got := fetchMailbox(t, srv, "carol", mb)
		if len(got) != len(want) {
			t.Fatalf("restored %s holds %d messages, want %d", mb, len(got), len(want))
		}
		byDigest := map[[32]byte]stored{}
		for _, g := range got {
			byDigest[g.Sum] = g
		}
		for _, w := range want {
			g, ok := byDigest[w.Sum]
			if !ok {
				t.Errorf("restored %s lacks %s", mb, w)
				continue
			}
			if !slices.Equal(g.Flags, w.Flags) {
				t.Errorf("restored %s %s: flags = %v, want %v", mb, w, g.Flags, w.Flags)
			}
			if !g.Date.Equal(w.Date) {
				t.Errorf("restored %s %s: INTERNALDATE = %v, want %v", mb, w, g.Date, w.Date)
			}
		}
	}

	// Archive everything with --delete-source: the source empties, the
	// quota report shows what was freed, the archive verifies.
	archive := filepath.Join(dir, "archive")
	code, out, errOut := runBinary(t, env, "archive", "--state", state, "--progress", "none", "--older-than", "0", "--by-year", "--delete-source",
		imapURL(srv, "alice", ""), "maildir:"+archive)
	if code != 0 {
		t.Fatalf("archive = exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"deleted        6 from the source", "freed", "quota "} {
		if !strings.Contains(out, want) {
			t.Errorf("archive summary lacks %q:\n%s", want, out)
		}
	}
	for mb := range before {
		if got := fetchMailbox(t, srv, "alice", mb); len(got) != 0 {
			t.Errorf("alice/%s still holds %d messages after archive --delete-source", mb, len(got))
		}
	}
	if code, out, errOut := runBinary(t, env, "verify", "maildir:"+archive); code != 0 {
		t.Fatalf("verify archive = exit %d\n%s%s", code, out, errOut)
	}
}
