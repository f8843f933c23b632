package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/lock"
	"github.com/mailferry/mailferry/internal/runner"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
)

const testMbox = "From a@example.com Sat Jan  1 00:00:00 2022\nSubject: one\n\nhi\n\nFrom b@example.com Sun Jan  2 00:00:00 2022\nSubject: two\n\nho\n"

func TestDaemonRunsOnSchedule(t *testing.T) {
	dir := t.TempDir()
	srv := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: "pw"})
	mbox := filepath.Join(dir, "in.mbox")
	os.WriteFile(mbox, []byte(testMbox), 0o600)
	jobs := filepath.Join(dir, "jobs.yaml")
	os.WriteFile(jobs, []byte(`jobs:
  - name: nightly
    source: mbox:in.mbox
    target: imap://bob@`+srv.Addr+`/INBOX?tls=none
    target_password_env: TEST_PW
    schedule: "0 3 * * *"
`), 0o600)
	t.Setenv("TEST_PW", "pw")
	f, err := jobfile.Load(jobs)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 2, 59, 30, 0, time.Local)
	var waits []time.Duration
	clk := clock{
		now: func() time.Time { return now },
		after: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			now = now.Add(d)
			c := make(chan time.Time, 1)
			c <- now
			return c
		},
	}
	var stdout, stderr bytes.Buffer
	g := &globals{state: filepath.Join(dir, "state.db"), progress: "none", interval: "10s", stdout: &stdout, stderr: &stderr}
	if err := runDaemon(context.Background(), g, jobs, []*jobfile.Job{&f.Jobs[0]}, "", clk, 2); err != nil {
		t.Fatalf("runDaemon() = %v\n%s", err, stderr.String())
	}
	if len(waits) != 2 || waits[0] != 30*time.Second || waits[1] < 23*time.Hour {
		t.Errorf("daemon waited %v, want 30s then about a day", waits)
	}
	out := stdout.String()
	if strings.Count(out, "starting job nightly") != 2 || !strings.Contains(out, "copied         2 messages") || !strings.Contains(out, "already there  2") {
		t.Errorf("daemon output = %s, want two runs: 2 copied, then 2 already there", out)
	}
	if got := imaptest.Fetch(t, srv.Addr, "bob", "pw", "INBOX"); len(got) != 2 {
		t.Errorf("target holds %d messages, want 2", len(got))
	}
}

func TestSecondProcessIsLockedOut(t *testing.T) {
	dir := t.TempDir()
	mbox := filepath.Join(dir, "in.mbox")
	os.WriteFile(mbox, []byte(testMbox), 0o600)
	src, _ := endpoint.Parse("mbox:" + mbox)
	dst, _ := endpoint.Parse("imap://bob@127.0.0.1:1/INBOX?tls=none")
	lk, err := lock.Acquire(filepath.Join(dir, "locks"), runner.JournalKey(src, dst))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release()
	t.Setenv("MAILFERRY_DST_PASSWORD", "pw")
	code, _, stderr := runCLI(t, "migrate", "--state", filepath.Join(dir, "state.db"), "--progress", "none", "mbox:"+mbox, "imap://bob@127.0.0.1:1/INBOX?tls=none")
	if code != exitFailed || !strings.Contains(stderr, "already running") {
		t.Errorf("migrate while locked = exit %d, %q; want %d, already running", code, stderr, exitFailed)
	}
}
