package integration

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/corpus"
)

// TestIMAPToIMAPKilledAndSynced moves alice's account (four folders,
// flags, keywords, dates, twins) to bob on a real Dovecot, SIGKILLing
// mailferry at random moments and rerunning it until it finishes: every
// folder then holds each message exactly once with its flags, keywords
// and INTERNALDATE. A flag change on the source afterwards is brought
// across by --sync-flags, and new mail by a plain rerun.
func TestIMAPToIMAPKilledAndSynced(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(killSeed(t), 4))
	srv := startDovecot(t)
	folders := []string{"INBOX", "Sent", "Work/2024", "Grüße"}
	c := dialIMAP(t, srv, "alice")
	for _, f := range folders[1:] {
		c.Create(f, nil).Wait()
	}
	flagSets := [][]imap.Flag{{}, {imap.FlagSeen}, {imap.FlagFlagged, "Work"}, {imap.FlagAnswered, imap.FlagSeen}, {"$Forwarded", "Project-X"}, {imap.FlagDraft}}
	msgs := corpus.Mixed(17, 600, 300_000) // several batches per folder: room for kills
	for i, raw := range msgs {
		f := folders[i%len(folders)]
		date := time.Date(2015+i%9, time.Month(1+i%12), 1+i%28, i%24, i%60, 0, 0, time.FixedZone("", 3600*(i%5-2)))
		cmd := c.Append(f, int64(len(raw)), &imap.AppendOptions{Flags: flagSets[i%len(flagSets)], Time: date})
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("APPEND to alice/%s: %v", f, err)
		}
	}
	c.Close()
	want := map[string][]stored{}
	for _, f := range folders {
		want[f] = fetchMailbox(t, srv, "alice", f)
	}

	args := []string{"migrate", "--state", statePath(t), "--progress", "none", "--connections", "3",
		imapURL(srv, "alice", ""), imapURL(srv, "bob", "")}
	watch := dialIMAP(t, srv, "bob")
	defer watch.Close()
	onTarget := func() int {
		n := 0
		for _, f := range folders {
			n += messageCount(t, watch, f)
		}
		return n
	}
	killAndRerun(t, rng, args, len(msgs), onTarget, func(int) {})

	check := func(when string) {
		t.Helper()
		for _, f := range folders {
			got := fetchMailbox(t, srv, "bob", f)
			checkExactlyOnce(t, when+": bob/"+f, got, want[f])
			byKey := map[string]int{}
			for _, g := range got {
				byKey[fmt.Sprintf("%x|%v|%s", g.Sum, g.Flags, g.Date.UTC())]++
			}
			for _, w := range want[f] {
				k := fmt.Sprintf("%x|%v|%s", w.Sum, w.Flags, w.Date.UTC())
				if byKey[k] == 0 {
					t.Errorf("%s: bob/%s lacks %s with flags %v and date %v", when, f, w, w.Flags, w.Date)
				}
				byKey[k]--
			}
		}
	}
	check("after kills")

	// Flags changed on the source: --sync-flags brings them across.
	c = dialIMAP(t, srv, "alice")
	if _, err := c.Select("Work/2024", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: []imap.Flag{imap.FlagSeen, "Synced"}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	late := []byte("From: late@example.com\r\nSubject: arrived after the migration\r\n\r\nhi\r\n")
	cmd := c.Append("Sent", int64(len(late)), nil)
	cmd.Write(late)
	cmd.Close()
	cmd.Wait()
	c.Close()
	for _, f := range folders {
		want[f] = fetchMailbox(t, srv, "alice", f)
	}
	code, out, errOut := runBinary(t, nil, append(args, "--sync-flags")...)
	if code != 0 || !strings.Contains(out, "flags synced   2") || !strings.Contains(out, "copied         1 messages") {
		t.Fatalf("--sync-flags run = exit %d\n%s%s\nwant 2 flag syncs and 1 new message", code, out, errOut)
	}
	// Dovecot has CONDSTORE: the run listed only what changed or arrived
	// since the last complete run (FETCH CHANGEDSINCE), not every folder.
	if !strings.Contains(out, "only mail that arrived since") || !strings.Contains(out, "already there  2") {
		t.Errorf("--sync-flags run did not list incrementally (CHANGEDSINCE):\n%s", out)
	}
	check("after --sync-flags")
	if got := fetchMailbox(t, srv, "bob", "Work/2024"); !slices.ContainsFunc(got, func(s stored) bool { return slices.Contains(s.Flags, "Synced") }) {
		t.Errorf("bob/Work/2024 has no message with the keyword Synced set on the source")
	}
}
