package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/dovecottest"
)

// TestWrongPassword runs the binary with a wrong source or target
// password: it must exit 3 with an error that names the account and
// never shows the password, and copy nothing.
func TestWrongPassword(t *testing.T) {
	const wrong = "Wr0ng-Pa55word-17"
	for _, c := range []struct {
		side, env string
		account   []string // what the error must say
	}{
		{"source", "MAILFERRY_SRC_PASSWORD=" + wrong, []string{"pop3", "alice"}},
		{"target", "MAILFERRY_DST_PASSWORD=" + wrong, []string{"imap", "bob"}},
	} {
		t.Run(c.side, func(t *testing.T) {
			t.Parallel()
			// A server each: Dovecot slows down logins from an address
			// that just failed one.
			srv := startDovecot(t)
			want := deliverAll(t, srv, "alice", corpus.Mixed(17, 3, 10_000))
			start := time.Now()
			code, stdout, stderr := runBinary(t, []string{c.env}, "migrate", "--state", statePath(t), "--progress", "none",
				popURL(srv, "alice"), imapURL(srv, "bob", ""))
			t.Logf("exit %d after %v", code, time.Since(start))
			if code != 3 {
				t.Errorf("mailferry migrate with a wrong %s password: exit code %d, want 3\nstderr:\n%s", c.side, code, stderr)
			}
			for _, s := range c.account {
				if !strings.Contains(stderr, s) {
					t.Errorf("mailferry migrate with a wrong %s password: stderr = %q, want it to name the account (%q)", c.side, stderr, s)
				}
			}
			for _, pw := range append([]string{wrong}, srcPassword, dstPassword) {
				if strings.Contains(stdout+stderr, pw) {
					t.Errorf("mailferry migrate with a wrong %s password printed the password %q:\n%s%s", c.side, pw, stdout, stderr)
				}
			}
			if got := fetchMailbox(t, srv, "bob", "INBOX"); len(got) != 0 {
				t.Errorf("after a failed login bob's INBOX holds %d messages, want 0", len(got))
			}
			checkExactlyOnce(t, "alice's POP3 maildrop after a failed login", popMessages(t, srv, "alice"), want)
		})
	}
}

// dryRunReport is the part of --report's JSON the dry-run test reads.
type dryRunReport struct {
	Jobs []struct {
		OK          bool  `json:"ok"`
		DryRun      bool  `json:"dry_run"`
		SourceTotal int64 `json:"source_messages"`
		Planned     int64 `json:"planned"`
		Copied      int64 `json:"copied"`
	} `json:"jobs"`
}

// TestDryRun checks that --dry-run reports what it would copy, creates
// no mailbox, stores no message and records nothing: the real run that
// follows copies everything.
func TestDryRun(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	want := deliverAll(t, srv, "alice", corpus.Mixed(19, 20, 50_000))
	state := statePath(t)
	reportPath := filepath.Join(t.TempDir(), "report.json")
	args := []string{"migrate", "--state", state, "--progress", "none", popURL(srv, "alice"), imapURL(srv, "bob", "Imported")}

	code, stdout, stderr := runBinary(t, nil, slices.Insert(slices.Clone(args), 1, "--report", reportPath, "--dry-run")...)
	if code != 0 {
		t.Fatalf("mailferry migrate --dry-run: exit code %d, want 0\n%s%s", code, stdout, stderr)
	}
	if !regexp.MustCompile(`\b` + strconv.Itoa(len(want)) + ` messages\b`).MatchString(stdout) {
		t.Errorf("mailferry migrate --dry-run: stdout = %q, want \"%d messages\" in it", stdout, len(want))
	}
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep dryRunReport
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Jobs) != 1 {
		t.Fatalf("--report file = %s (%v), want one job", b, err)
	}
	if j := rep.Jobs[0]; !j.OK || !j.DryRun || j.Planned != int64(len(want)) || j.SourceTotal != int64(len(want)) || j.Copied != 0 {
		t.Errorf("--dry-run report = %+v, want ok, dry_run, %d source messages and planned, 0 copied", j, len(want))
	}
	if names := mailboxes(t, srv, "bob"); slices.Contains(names, "Imported") {
		t.Errorf("after --dry-run bob has mailboxes %v, want no Imported", names)
	}
	if got := popMessages(t, srv, "alice"); len(got) != len(want) {
		t.Errorf("after --dry-run alice's maildrop holds %d messages, want %d", len(got), len(want))
	}

	code, stdout, stderr = runBinary(t, nil, args...)
	if code != 0 {
		t.Fatalf("mailferry migrate after --dry-run: exit code %d, want 0\n%s%s", code, stdout, stderr)
	}
	checkExactlyOnce(t, "bob's Imported after --dry-run and a real run", fetchMailbox(t, srv, "bob", "Imported"), want)
}

// TestTargetOverQuota fills bob's quota mid-run: mailferry must stop
// with exit code 3 and say so, keep what it copied (each once), and a
// rerun must not add duplicates.
func TestTargetOverQuota(t *testing.T) {
	t.Parallel()
	dovecottest.Require(t)
	srv := dovecottest.Start(t, dovecottest.WithUserQuota("bob", 60_000))
	var msgs [][]byte
	for i := range 10 {
		msgs = append(msgs, corpus.Message(29, i, 10_000))
	}
	want := deliverAll(t, srv, "alice", msgs)
	args := []string{"migrate", "--state", statePath(t), "--progress", "none", popURL(srv, "alice"), imapURL(srv, "bob", "")}
	var first int
	for run := 1; run <= 2; run++ {
		code, stdout, stderr := runBinary(t, nil, args...)
		if code != 3 {
			t.Errorf("run %d over quota: exit code %d, want 3\n%s%s", run, code, stdout, stderr)
		}
		if !strings.Contains(strings.ToLower(stderr), "quota") {
			t.Errorf("run %d over quota: stderr = %q, want it to mention the quota", run, stderr)
		}
		got := fetchMailbox(t, srv, "bob", "INBOX")
		if run == 1 {
			first = len(got)
			if first == 0 || first >= len(want) {
				t.Errorf("run 1 over quota: bob holds %d messages, want some but not all %d", first, len(want))
			}
		} else if len(got) != first {
			t.Errorf("run 2 over quota: bob holds %d messages, want %d as after run 1", len(got), first)
		}
		have, need := counts(got), counts(want)
		for _, g := range got {
			if have[g.Sum] > need[g.Sum] {
				t.Errorf("run %d over quota: bob holds %d copies of %s, want at most %d", run, have[g.Sum], g, need[g.Sum])
			}
		}
	}
}
