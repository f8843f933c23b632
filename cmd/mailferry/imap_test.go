package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
)

// TestIMAPToIMAP moves an account with folders, flags, keywords and dates
// between two servers, reruns without duplicates, then deletes the
// copied messages from the source.
func TestIMAPToIMAP(t *testing.T) {
	src := imaptest.NewServerOptions(t, imaptest.Options{Username: "alice", Password: "a"})
	dst := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: "b"})
	type msg struct {
		mailbox string
		raw     []byte
		flags   []string
		date    time.Time
	}
	var msgs []msg
	for i, mb := range []string{"INBOX", "INBOX", "Work/2024", "Work/2024", "Grüße"} {
		msgs = append(msgs, msg{
			mailbox: mb,
			raw:     []byte(fmt.Sprintf("From: a@example.com\r\nSubject: %d\r\nMessage-ID: <%d@x>\r\n\r\nbody .\r\n.\r\n", i, i)),
			flags:   [][]string{{`\Seen`}, {`\Flagged`, "Work"}, {}, {`\Answered`, `\Seen`}, {"$Forwarded"}}[i],
			date:    time.Date(2020, 1, i+1, 8, 0, 0, 0, time.UTC),
		})
	}
	for _, m := range msgs {
		imaptest.Append(t, src.Addr, "alice", "a", m.mailbox, m.raw, m.flags, m.date)
	}
	t.Setenv("MAILFERRY_SRC_PASSWORD", "a")
	t.Setenv("MAILFERRY_DST_PASSWORD", "b")
	state := filepath.Join(t.TempDir(), "state.db")
	args := []string{"migrate", "--state", state, "--progress", "none",
		"imap://alice@" + src.Addr + "?tls=none", "imap://bob@" + dst.Addr + "?tls=none"}
	for run := 0; run < 2; run++ {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s%s", run, code, stdout, stderr)
		}
		if run == 1 && (!strings.Contains(stdout, "copied         0 messages") || !strings.Contains(stdout, "only mail that arrived since")) {
			t.Errorf("rerun copied something:\n%s", stdout)
		}
	}
	for _, mb := range []string{"INBOX", "Work/2024", "Grüße"} {
		got := imaptest.Fetch(t, dst.Addr, "bob", "b", mb)
		var want []msg
		for _, m := range msgs {
			if m.mailbox == mb {
				want = append(want, m)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: target holds %d messages, want %d", mb, len(got), len(want))
		}
		// Parallel connections may store messages in another order.
		slices.SortFunc(got, func(a, b imaptest.FetchedMessage) int { return bytes.Compare(a.Body, b.Body) })
		slices.SortFunc(want, func(a, b msg) int { return bytes.Compare(a.raw, b.raw) })
		for i := range want {
			if !bytes.Equal(got[i].Body, want[i].raw) {
				t.Errorf("%s #%d: body = %q, want %q", mb, i, got[i].Body, want[i].raw)
			}
			// go-imap's memory server changes the case of some keywords.
			for k := range want[i].flags {
				want[i].flags[k] = strings.ToLower(want[i].flags[k])
			}
			gf, wf := slices.Clone(got[i].Flags), slices.Clone(want[i].flags)
			gf = slices.DeleteFunc(gf, func(f string) bool { return f == `\Recent` })
			for k := range gf {
				gf[k] = strings.ToLower(gf[k])
			}
			slices.Sort(gf)
			slices.Sort(wf)
			if !slices.Equal(gf, wf) {
				t.Errorf("%s #%d: flags = %v, want %v", mb, i, gf, wf)
			}
			if !got[i].Date.Equal(want[i].date) {
				t.Errorf("%s #%d: date = %v, want %v", mb, i, got[i].Date, want[i].date)
			}
		}
	}

	// New mail on the source after the first runs is found by listing
	// only what arrived since (the high-water mark), and copied.
	late := msg{mailbox: "Work/2024", raw: []byte("From: a@example.com\r\nSubject: late\r\n\r\nnew\r\n"), flags: []string{}, date: time.Date(2024, 5, 5, 5, 5, 5, 0, time.UTC)}
	imaptest.Append(t, src.Addr, "alice", "a", late.mailbox, late.raw, nil, late.date)
	if code, stdout, stderr := runCLI(t, args...); code != exitOK || !strings.Contains(stdout, "copied         1 messages") {
		t.Fatalf("run after new mail: exit %d\n%s%s", code, stdout, stderr)
	}
	msgs = append(msgs, late)
	if got := imaptest.Fetch(t, dst.Addr, "bob", "b", "Work/2024"); len(got) != 3 {
		t.Errorf("target Work/2024 holds %d messages after the late one, want 3", len(got))
	}

	// A flag change on the source after the first run is brought across
	// with --sync-flags.
	imaptest.SetFlags(t, src.Addr, "alice", "a", "Work/2024", 1, []string{`\Flagged`, `\Seen`})
	if code, stdout, stderr := runCLI(t, append(args, "--sync-flags")...); code != exitOK || !strings.Contains(stdout, "flags synced   1") {
		t.Fatalf("--sync-flags: exit %d\n%s%s", code, stdout, stderr)
	}
	synced := false
	for _, m := range imaptest.Fetch(t, dst.Addr, "bob", "b", "Work/2024") {
		if bytes.Equal(m.Body, msgs[2].raw) {
			synced = slices.Contains(m.Flags, `\Flagged`) && slices.Contains(m.Flags, `\Seen`)
		}
	}
	if !synced {
		t.Errorf("target copy of Work/2024 #1 did not get the source's new flags")
	}

	code, stdout, stderr := runCLI(t, append(args, "--delete-source")...)
	if code != exitOK || !strings.Contains(stdout, fmt.Sprintf("deleted        %d", len(msgs))) {
		t.Fatalf("--delete-source: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, mb := range []string{"INBOX", "Work/2024", "Grüße"} {
		if got := imaptest.Fetch(t, src.Addr, "alice", "a", mb); len(got) != 0 {
			t.Errorf("source %s still holds %d messages after --delete-source", mb, len(got))
		}
	}
}
