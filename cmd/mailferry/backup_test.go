package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	bmaildir "github.com/mailferry/mailferry/backup/maildir"
	"github.com/mailferry/mailferry/backup/verify"
	"github.com/mailferry/mailferry/sources"
	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
	"github.com/mailferry/mailferry/sources/mbox"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// backupFixture is one message of the test source Maildir.
type backupFixture struct {
	mailbox string
	raw     string
	flags   []string
	date    time.Time
}

func backupFixtures() []backupFixture {
	d := func(y int) time.Time { return time.Date(y, 4, 2, 8, 15, 30, 0, time.UTC) }
	twin := "From: a@example.com\r\nSubject: twin\r\n\r\nsame\r\n"
	return []backupFixture{
		{"INBOX", "From: a@example.com\r\nSubject: one\r\nMessage-ID: <1@x>\r\n\r\nFrom here on\r\n>From quoted\r\n", []string{`\Seen`}, d(2019)},
		{"INBOX", "From: b@example.com\r\nSubject: keywords\r\n\r\nbody\r\n", []string{"$Forwarded", `\Answered`, `\Flagged`, "Work"}, d(2021)},
		{"INBOX", "From: c@example.com\r\nSubject: no final newline\r\n\r\nlast", nil, d(2023)},
		{"INBOX", twin, nil, d(2024)},
		{"INBOX", twin, nil, d(2024)},
		{"Work/Projects", "From: e@example.com\r\nSubject: sub\r\n\r\nFrom the team\r\n", []string{`\Seen`}, d(2020)},
	}
}

// sourceMaildir writes the fixtures into a new Maildir.
func sourceMaildir(t *testing.T, fx []backupFixture) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "src")
	st, err := bmaildir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fx {
		if _, _, err := st.Deliver(f.mailbox, f.flags, f.date, strings.NewReader(f.raw)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// readBack lists and opens every message of src as "mailbox|flags|date|raw".
func readBack(t *testing.T, src sources.Source) []string {
	t.Helper()
	defer src.Close()
	var list []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error { list = append(list, m); return nil }); err != nil {
		t.Fatal(err)
	}
	var out []string
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
		flags := append([]string(nil), m.Flags...)
		sort.Strings(flags)
		out = append(out, fmt.Sprintf("%s|%s|%s|%s", m.Mailbox, strings.Join(flags, " "), m.Date.UTC().Format(time.RFC3339), b))
	}
	sort.Strings(out)
	return out
}

func readMaildirTree(t *testing.T, root string) []string {
	t.Helper()
	src, err := srcmaildir.New(root, srcmaildir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return readBack(t, src)
}

// mailferry runs the command in-process and returns its exit code and
// output.
func mailferry(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, nil, &out, &out)
	return code, out.String()
}

// copiedIn returns the copied and already-there counts of a --report.
func copiedIn(t *testing.T, report string) (copied, there int64) {
	t.Helper()
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Jobs []struct{ Copied, AlreadyThere int64 }
	}
	r.Jobs = nil
	var raw struct {
		Jobs []struct {
			Copied       int64 `json:"copied"`
			AlreadyThere int64 `json:"already_there"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(b, &raw); err != nil || len(raw.Jobs) != 1 {
		t.Fatalf("report %s: %v", b, err)
	}
	return raw.Jobs[0].Copied, raw.Jobs[0].AlreadyThere
}

func TestBackupMaildirRoundTripAndReruns(t *testing.T) {
	fx := backupFixtures()
	src := sourceMaildir(t, fx)
	want := readMaildirTree(t, src)
	dst := filepath.Join(t.TempDir(), "backup")
	state := filepath.Join(t.TempDir(), "state.db")
	report := filepath.Join(t.TempDir(), "report.json")
	args := []string{"backup", "--progress", "none", "--report", report, "maildir:" + src, "maildir:" + dst}

	if code, out := mailferry(t, append([]string{"--state", state}, args...)...); code != 0 {
		t.Fatalf("backup = exit %d, want 0\n%s", code, out)
	}
	if c, _ := copiedIn(t, report); c != int64(len(fx)) {
		t.Errorf("backup copied %d, want %d", c, len(fx))
	}
	if got := readMaildirTree(t, dst); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("backup reads back as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, st := range []string{state, filepath.Join(t.TempDir(), "fresh.db")} {
		if code, out := mailferry(t, append([]string{"--state", st}, args...)...); code != 0 {
			t.Fatalf("rerun = exit %d\n%s", code, out)
		}
		if c, there := copiedIn(t, report); c != 0 || there != int64(len(fx)) {
			t.Errorf("rerun copied %d, found %d; want 0, %d", c, there, len(fx))
		}
	}
	if got := readMaildirTree(t, dst); len(got) != len(want) {
		t.Errorf("after reruns the backup holds %d messages, want %d", len(got), len(want))
	}
	if code, out := mailferry(t, "verify", "maildir:"+dst); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("verify = exit %d, %q; want 0, ok", code, out)
	}
}

func TestBackupMboxRoundTrip(t *testing.T) {
	for _, compress := range []string{"", "?compress=gzip", "?compress=zstd"} {
		t.Run("mbox"+compress, func(t *testing.T) { testBackupMbox(t, compress) })
	}
}

func testBackupMbox(t *testing.T, compress string) {
	fx := backupFixtures()
	src := sourceMaildir(t, fx)
	dst := filepath.Join(t.TempDir(), "backup")
	state := filepath.Join(t.TempDir(), "state.db")
	if code, out := mailferry(t, "--state", state, "backup", "--progress", "none", "maildir:"+src, "mbox:"+dst+compress); code != 0 {
		t.Fatalf("backup = exit %d\n%s", code, out)
	}
	if ext := map[string]string{"?compress=gzip": ".gz", "?compress=zstd": ".zst"}[compress]; ext != "" {
		if files, _ := filepath.Glob(filepath.Join(dst, "*"+ext)); len(files) == 0 {
			t.Errorf("no %s files in the compressed backup", ext)
		}
	}
	tree, err := mbox.NewTree(dst, mbox.Options{Format: mbox.FormatMboxrd})
	if err != nil {
		t.Fatal(err)
	}
	got := readBack(t, tree)
	var want []string
	for _, f := range fx {
		raw := f.raw
		if !strings.HasSuffix(raw, "\n") {
			raw += "\r\n" // mbox cannot store a message without a final line break
		}
		want = append(want, fmt.Sprintf("%s||%s|%s", f.mailbox, f.date.Format(time.RFC3339), raw))
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mbox backup reads back as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, out := mailferry(t, "--state", filepath.Join(t.TempDir(), "fresh.db"), "backup", "--progress", "none", "maildir:"+src, "mbox:"+dst+compress); code != 0 || !strings.Contains(out, "copied         0") {
		t.Errorf("rerun with a fresh state = exit %d\n%s\nwant 0 copied", code, out)
	}
	if code, out := mailferry(t, "verify", "mbox:"+dst); code != 0 {
		t.Errorf("verify = exit %d\n%s", code, out)
	}
}

func TestVerifyCommandFindsDamage(t *testing.T) {
	src := sourceMaildir(t, backupFixtures())
	dst := filepath.Join(t.TempDir(), "backup")
	if code, out := mailferry(t, "--state", filepath.Join(t.TempDir(), "s.db"), "backup", "--progress", "none", "maildir:"+src, "maildir:"+dst); code != 0 {
		t.Fatalf("backup = exit %d\n%s", code, out)
	}
	files, _ := filepath.Glob(filepath.Join(dst, "cur", "*"))
	sort.Strings(files)
	os.Truncate(files[0], 5)
	b, _ := os.ReadFile(files[1])
	b[len(b)-2] ^= 1
	os.WriteFile(files[1], b, 0o600)
	os.Remove(files[2])
	code, out := mailferry(t, "verify", "maildir:"+dst)
	if code != exitMessages || !strings.Contains(out, "size:") || !strings.Contains(out, "digest:") || !strings.Contains(out, "missing:") {
		t.Errorf("verify of a damaged backup = exit %d\n%s\nwant exit 1 naming the size, digest and missing problems", code, out)
	}
	if code, out := mailferry(t, "verify", "maildir:"+t.TempDir()); code != exitFailed || !strings.Contains(out, "no mailferry manifest") {
		t.Errorf("verify of a non-backup = exit %d\n%s", code, out)
	}
}

func TestArchiveUsage(t *testing.T) {
	dst := "maildir:" + filepath.Join(t.TempDir(), "a")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"archive", "mbox:/x", dst}, "needs --older-than"},
		{[]string{"archive", "--older-than", "1y", "pop3://alice@127.0.0.1:1?tls=none", dst}, "POP3 server does not tell"},
		{[]string{"backup", "mbox:/x", "imap://alice@127.0.0.1:1"}, "local storage"},
		{[]string{"archive", "--older-than", "soon", "mbox:/x", dst}, "--older-than"},
	} {
		code, out := mailferry(t, tt.args...)
		if code != exitUsage || !strings.Contains(out, tt.want) {
			t.Errorf("mailferry %v = exit %d, %q; want exit 2 saying %q", tt.args, code, out, tt.want)
		}
	}
}

// TestArchiveKillAndRerun SIGKILLs "archive --delete-source" from POP3
// into a Maildir at random moments: after every kill each message must
// be on the source or in the archive, and the run that finishes leaves
// every message in the archive exactly once and none on the source.
func TestArchiveKillAndRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test runs child processes")
	}
	// Without a prior backup the kills land while copying; after one
	// (same source, target and state: the copies are journaled) the
	// archive run only deletes, and the kills land while deleting.
	for _, prefill := range []bool{false, true} {
		t.Run(fmt.Sprintf("after-backup=%v", prefill), func(t *testing.T) { killArchive(t, prefill) })
	}
}

func killArchive(t *testing.T, prefill bool) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MAILFERRY_KILL_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set MAILFERRY_KILL_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	msgs := killCorpus(150)
	want := map[string]int{}
	for _, m := range msgs {
		want[string(m)]++
	}
	pop := pop3test.NewServer(t, pop3test.WithUser("alice", "pw"), pop3test.WithMessages(msgs...))
	archive := filepath.Join(t.TempDir(), "archive")
	state := filepath.Join(t.TempDir(), "state.db")
	args := []string{"archive", "--state", state, "--progress", "none", "--older-than", "0", "--delete-source",
		"pop3://alice@" + pop.Addr() + "?tls=none", "maildir:" + archive}
	archived := func() map[string]int {
		have := map[string]int{}
		if _, err := os.Stat(filepath.Join(archive, "cur")); err != nil {
			return have // not created yet, or killed while creating it
		}
		for _, s := range readMaildirTree(t, archive) {
			have[strings.SplitN(s, "|", 4)[3]]++
		}
		return have
	}
	if prefill {
		backup := append([]string{"backup"}, args[1:]...)
		backup = slicesDelete(backup, "--delete-source", "--older-than", "0")
		t.Setenv("MAILFERRY_SRC_PASSWORD", "pw")
		if code, out := mailferry(t, backup...); code != 0 {
			t.Fatalf("backup = exit %d\n%s", code, out)
		}
	}
	kills := 0
	for run := 0; ; run++ {
		if run > 60 {
			t.Fatalf("no clean finish after %d runs", run)
		}
		cmd := mailferryCmd(t, []string{"MAILFERRY_SRC_PASSWORD=pw"}, args...)
		out := &limitedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Early runs die while copying; later ones, with nothing left to
		// copy, while deleting from the source.
		delay := time.Duration(5+rng.IntN(60)) * time.Millisecond
		if prefill {
			delay = time.Duration(2+rng.IntN(15)) * time.Millisecond
		}
		if run >= 12 {
			delay = 2 * time.Minute
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v\n%s", run, err, out)
			}
			t.Logf("finished on run %d after %d kills", run, kills)
			// With everything already copied a run is only DELE and QUIT,
			// often over before a kill can land; only the copying variant
			// insists on kills.
			if minKills := map[bool]int{false: 2, true: 0}[prefill]; kills < minKills {
				t.Fatalf("only %d kills landed before the run finished; the test proves nothing", kills)
			}
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
			have := archived()
			n := 0
			for _, c := range have {
				n += c
			}
			t.Logf("kill %d after %v: %d archived, %d on the source", kills, delay, n, len(pop.Messages()))
			for _, m := range pop.Messages() {
				have[string(m)]++
			}
			for raw, n := range want {
				if have[raw] < n {
					t.Fatalf("after kill %d: a %d-byte message is %d times on the source and in the archive, want %d", kills, len(raw), have[raw], n)
				}
			}
			continue
		}
		break
	}
	have := archived()
	for raw, n := range want {
		if have[raw] != n {
			t.Errorf("archive holds %d copies of a %d-byte message, want %d", have[raw], len(raw), n)
		}
	}
	if len(pop.Messages()) != 0 {
		t.Errorf("source keeps %d messages after a clean run, want 0", len(pop.Messages()))
	}
	if r, err := verify.Verify(archive); err != nil || !r.OK() {
		t.Errorf("verify.Verify(archive) = %v, %v", r.Problems, err)
	}
}

// slicesDelete returns args without the given words.
func slicesDelete(args []string, words ...string) []string {
	var out []string
	for _, a := range args {
		drop := false
		for _, w := range words {
			drop = drop || a == w
		}
		if !drop {
			out = append(out, a)
		}
	}
	return out
}
