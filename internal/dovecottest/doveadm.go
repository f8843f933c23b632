package dovecottest

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Doveadm runs "doveadm -c <config> args..." against the server's mail
// and returns its standard output; the error includes doveadm's standard
// error. Mail commands (-u user) need the server running: doveadm asks
// its auth service for the user.
func (s *Server) Doveadm(args ...string) ([]byte, error) {
	return s.doveadm(nil, args...)
}

// doveadm runs doveadm with stdin.
func (s *Server) doveadm(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(s.bin.doveadm, append([]string{"-c", s.conf}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("dovecottest: doveadm %s: %v: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Deliver stores raw, byte for byte, as a new message in user's mailbox
// (created if missing; "INBOX" is what POP3 serves; "/" separates
// hierarchy levels, as in "Archive/2024"). It uses "doveadm save", which
// is quicker than IMAP and needs the server running, and fails the test
// on error.
func (s *Server) Deliver(t testing.TB, user, mailbox string, raw []byte) {
	t.Helper()
	if err := s.CreateMailbox(user, mailbox); err != nil {
		t.Fatal(err)
	}
	if raw == nil {
		raw = []byte{}
	}
	if _, err := s.doveadm(raw, "save", "-u", user, "-m", mailbox); err != nil {
		t.Fatalf("dovecottest: deliver to %s/%s: %v", user, mailbox, err)
	}
}

// CreateMailbox creates user's mailbox if it does not exist yet.
func (s *Server) CreateMailbox(user, mailbox string) error {
	if strings.EqualFold(mailbox, "INBOX") {
		return nil
	}
	_, err := s.doveadm(nil, "mailbox", "create", "-u", user, mailbox)
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return err
}
