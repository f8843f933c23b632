package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// runCLI runs the command line in-process and returns its exit code and
// output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestExitCodes(t *testing.T) {
	small := []byte("From: a@example.com\r\nSubject: small\r\n\r\nhi\r\n")
	big := []byte("From: a@example.com\r\nSubject: big\r\n\r\n" + strings.Repeat("x", 2000) + "\r\n")
	pop := pop3test.NewServer(t, pop3test.WithUser("alice", "pop-secret"), pop3test.WithMessages(small, big))
	imap := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: "imap-secret", AppendLimit: 1000})
	src := "pop3://alice@" + pop.Addr() + "?tls=none"
	dst := "imap://bob@" + imap.Addr + "?tls=none"
	state := filepath.Join(t.TempDir(), "state.db")

	t.Setenv("MAILFERRY_SRC_PASSWORD", "pop-secret")
	t.Setenv("MAILFERRY_DST_PASSWORD", "wrong-password")
	code, _, stderr := runCLI(t, "migrate", "--state", state, "--progress", "none", src, dst)
	if code != exitFailed || !strings.Contains(stderr, "login rejected for bob") || strings.Contains(stderr, "wrong-password") {
		t.Errorf("migrate with a wrong password = exit %d, stderr %q; want exit %d naming bob, without the password", code, stderr, exitFailed)
	}

	t.Setenv("MAILFERRY_DST_PASSWORD", "imap-secret")
	code, stdout, stderr := runCLI(t, "migrate", "--state", state, "--progress", "none", src, dst)
	if code != exitMessages || !strings.Contains(stdout, "failed         1") || !strings.Contains(stdout, "APPENDLIMIT") {
		t.Errorf("migrate with one message too big = exit %d, stdout %q, stderr %q; want exit %d listing the failure", code, stdout, stderr, exitMessages)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.Contains(out, "imap-secret") || strings.Contains(out, "pop-secret") {
			t.Errorf("output contains a password: %q", out)
		}
	}

	code, _, stderr = runCLI(t, "migrate", "--state", state, "pop4://x@y", dst)
	if code != exitUsage {
		t.Errorf("migrate with a bad URL = exit %d (%s), want %d", code, stderr, exitUsage)
	}
}

// TestConnectionCutsMidMessage drops the POP3 connection in the middle of
// a RETR and refuses an APPEND with BYE-like unavailability: the run
// retries and ends with every message on the target exactly once.
func TestConnectionCutsMidMessage(t *testing.T) {
	msgs := killCorpus(30)
	pop := pop3test.NewServer(t, pop3test.WithUser("alice", "pw"), pop3test.WithMessages(msgs...))
	pop.FailRetrAt(3, 500)
	pop.FailRetrAt(10, 20)
	fails := 0
	srv := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: "pw", AppendHook: func(string) error {
		if fails++; fails == 5 || fails == 6 {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "try later"}
		}
		return nil
	}})
	t.Setenv("MAILFERRY_SRC_PASSWORD", "pw")
	t.Setenv("MAILFERRY_DST_PASSWORD", "pw")
	code, stdout, stderr := runCLI(t, "migrate", "--state", filepath.Join(t.TempDir(), "s.db"), "--progress", "plain",
		"pop3://alice@"+pop.Addr()+"?tls=none", "imap://bob@"+srv.Addr+"?tls=none")
	if code != exitOK {
		t.Fatalf("migrate = exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "retry:") {
		t.Errorf("stderr shows no retry: %q", stderr)
	}
	got := imaptest.Fetch(t, srv.Addr, "bob", "pw", "INBOX")
	want := map[string]int{}
	for _, m := range msgs {
		want[string(m)]++
	}
	for _, m := range got {
		want[string(m.Body)]--
	}
	for raw, n := range want {
		if n != 0 {
			t.Errorf("target has %d too few copies of a %d-byte message", n, len(raw))
		}
	}
	if len(got) != len(msgs) {
		t.Errorf("target holds %d messages, want %d", len(got), len(msgs))
	}
}

func TestDroppedKeywordsAreReported(t *testing.T) {
	dir := t.TempDir()
	mbox := filepath.Join(dir, "in.mbox")
	os.WriteFile(mbox, []byte("From a@example.com Sat Jan  1 00:00:00 2022\nX-Keywords: Work\nSubject: one\n\nhi\n"), 0o600)
	srv := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: "pw", NoKeywords: true})
	t.Setenv("MAILFERRY_DST_PASSWORD", "pw")
	code, stdout, stderr := runCLI(t, "migrate", "--state", filepath.Join(dir, "s.db"), "--progress", "none", "mbox:"+mbox, "imap://bob@"+srv.Addr+"?tls=none")
	if code != exitOK || !strings.Contains(stdout, "flags the target does not accept: Work") {
		t.Errorf("migrate = exit %d, stdout %q, stderr %q; want the dropped keyword reported", code, stdout, stderr)
	}
}
