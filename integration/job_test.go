package integration

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/runner"
	"github.com/mailferry/mailferry/migrate"
)

// startDovecot is dovecottest.Start behind the Require every test of the
// tier calls first.
func startDovecot(t *testing.T) *dovecottest.Server {
	t.Helper()
	dovecottest.Require(t)
	return dovecottest.Start(t)
}

// popURL is the POP3 endpoint of user's maildrop, in clear text.
func popURL(srv *dovecottest.Server, user string) string {
	return "pop3://" + user + "@" + srv.POP3Addr() + "?tls=none"
}

// imapURL is the IMAP endpoint of user's account, in clear text, with an
// optional target mailbox.
func imapURL(srv *dovecottest.Server, user, mailbox string) string {
	u := "imap://" + user + "@" + srv.IMAPAddr()
	if mailbox != "" {
		u += "/" + mailbox
	}
	return u + "?tls=none"
}

// newJob returns the job "mailferry migrate src dst" builds, with the
// passwords taken from MAILFERRY_SRC_PASSWORD and MAILFERRY_DST_PASSWORD
// (set by TestMain).
func newJob(t *testing.T, src, dst string) *jobfile.Job {
	t.Helper()
	s, err := endpoint.Parse(src)
	if err != nil {
		t.Fatalf("endpoint.Parse(%q) = %v", src, err)
	}
	d, err := endpoint.Parse(dst)
	if err != nil {
		t.Fatalf("endpoint.Parse(%q) = %v", dst, err)
	}
	return &jobfile.Job{Name: "migrate", Source: s.String(), Target: d.String(), Mode: "migrate", Connections: 4}
}

// statePath returns a fresh state database path for a test.
func statePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "state.db")
}

// runJob runs j in this process through the same path as the command
// line (runner.Build, migrate.Run) with the state database at state.
// events, if not nil, receives the engine's events.
func runJob(ctx context.Context, t *testing.T, j *jobfile.Job, state string, events func(migrate.Event)) (*migrate.Summary, error) {
	t.Helper()
	jr, err := journal.Open(state)
	if err != nil {
		t.Fatalf("journal.Open(%s) = %v", state, err)
	}
	defer jr.Close()
	job, err := runner.Build(ctx, j, runner.Env{Journal: jr, Warn: func(s string) { t.Logf("warning: %s", s) }})
	if err != nil {
		t.Fatalf("runner.Build(%s -> %s) = %v", j.Source, j.Target, err)
	}
	job.Events = events
	return migrate.Run(ctx, job)
}

// mustRun runs j to the end and fails the test unless every message
// made it.
func mustRun(t *testing.T, j *jobfile.Job, state string) *migrate.Summary {
	t.Helper()
	sum, err := runJob(context.Background(), t, j, state, nil)
	if err != nil {
		t.Fatalf("migrate.Run(%s -> %s) = %v, want success", j.Source, j.Target, err)
	}
	for _, f := range sum.Failed {
		t.Errorf("migrate.Run(%s -> %s): %s %s failed: %v", j.Source, j.Target, f.Mailbox, f.Location, f.Err)
	}
	if t.Failed() {
		t.FailNow()
	}
	return sum
}
