package integration

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/dovecottest"
)

// TestTLSAndAwkwardPassword migrates over pop3s (implicit TLS) into
// imap with STARTTLS, both trusting the server's self-signed certificate
// through ?ca=FILE, for carol, whose password holds a space, a double
// quote and a backslash that POP3 PASS and IMAP LOGIN must quote right.
// An untrusted certificate must stop the run before any login.
func TestTLSAndAwkwardPassword(t *testing.T) {
	t.Parallel()
	dovecottest.Require(t)
	srv := dovecottest.Start(t, dovecottest.WithTLS())
	want := deliverAll(t, srv, "carol", corpus.Mixed(23, 5, 20_000))
	deliverAll(t, srv, "alice", corpus.Mixed(23, 5, 20_000))
	pwFile := filepath.Join(t.TempDir(), "carol.pass")
	if err := os.WriteFile(pwFile, []byte(srv.Users["carol"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := "?ca=" + url.QueryEscape(srv.CAFile())
	src := "pop3s://carol@" + srv.POP3SAddr() + ca
	dst := "imap://carol@" + srv.IMAPAddr() + "/Imported" + ca

	j := newJob(t, src, dst)
	j.SourceSecret.File, j.TargetSecret.File = pwFile, pwFile
	mustRun(t, j, statePath(t))
	checkExactlyOnce(t, "carol's Imported over TLS", fetchMailbox(t, srv, "carol", "Imported"), want)

	// Without ?ca the self-signed certificate is refused: exit 3, and
	// nothing is copied.
	code, stdout, stderr := runBinary(t, nil, "migrate", "--state", statePath(t), "--progress", "none",
		"pop3s://alice@"+srv.POP3SAddr(), "imaps://bob@"+srv.IMAPSAddr())
	if code != 3 {
		t.Errorf("mailferry migrate against an untrusted certificate: exit code %d, want 3\n%s%s", code, stdout, stderr)
	}
	if got := fetchMailbox(t, srv, "bob", "INBOX"); len(got) != 0 {
		t.Errorf("after a refused certificate bob's INBOX holds %d messages, want 0", len(got))
	}
}
