package dovecottest_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/internal/dovecottest"
)

// tricky has an 8-bit header, a line holding a single dot, a line starting
// with a dot and no final line break.
var tricky = []byte("From: alice@example.com\r\n" +
	"Subject: caf\xc3\xa9 \xff raw 8-bit\r\n" +
	"Message-ID: <tricky@example.com>\r\n" +
	"\r\n" +
	"first\r\n" +
	".\r\n" +
	"..two dots\r\n" +
	"last line without break")

func TestDeliverReadBack(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t)
	srv.Deliver(t, "alice", "INBOX", tricky)
	srv.Deliver(t, "alice", "Archive/2024", []byte("Subject: archived\r\n\r\nbody\r\n"))

	if got := imapFetch(t, srv, srv.IMAPAddr(), nil, "alice", "INBOX", 1); !bytes.Equal(got, tricky) {
		t.Errorf("IMAP FETCH BODY[] = %q, want %q", got, tricky)
	}
	if got := imapFetch(t, srv, srv.IMAPAddr(), nil, "alice", "Archive/2024", 1); !bytes.HasPrefix(got, []byte("Subject: archived\r\n")) {
		t.Errorf("IMAP FETCH BODY[] of Archive/2024 = %q, want the archived message", got)
	}
	// POP3 adds the final CRLF a message without one lacks; everything
	// else must come back unchanged.
	want := append(append([]byte{}, tricky...), "\r\n"...)
	if got := pop3Retr(t, srv.POP3Addr(), nil, "alice", 1); !bytes.Equal(got, want) {
		t.Errorf("POP3 RETR 1 = %q, want %q", got, want)
	}
	if _, err := os.Stat(srv.MaildirPath("alice")); err != nil {
		t.Errorf("os.Stat(MaildirPath(alice)) = %v, want the Maildir to exist", err)
	}
}

func TestUsersLogin(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t)
	for name := range dovecottest.DefaultUsers {
		if srv.Users[name] != dovecottest.DefaultUsers[name] {
			t.Errorf("Users[%q] = %q, want %q", name, srv.Users[name], dovecottest.DefaultUsers[name])
		}
		// An empty INBOX: fetching nothing still proves the login.
		imapLogin(t, srv.IMAPAddr(), nil, name, srv.Users[name]).Close()
		pop3Retr(t, srv.POP3Addr(), nil, name, 0)
	}
	c, err := imapclient.DialInsecure(srv.IMAPAddr(), nil)
	if err != nil {
		t.Fatalf("imapclient.DialInsecure(%s) = %v", srv.IMAPAddr(), err)
	}
	defer c.Close()
	if err := c.Login("alice", "wrong").Wait(); err == nil {
		t.Errorf("Login(alice, wrong) = nil, want an error")
	}
}

func TestRestart(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t)
	srv.Deliver(t, "bob", "INBOX", tricky)
	c := imapLogin(t, srv.IMAPAddr(), nil, "bob", srv.Users["bob"])
	defer c.Close()

	srv.Stop()
	if err := c.Noop().Wait(); err == nil {
		t.Errorf("NOOP after Stop = nil, want an error from the dropped connection")
	}
	if conn, err := net.Dial("tcp", srv.IMAPAddr()); err == nil {
		conn.Close()
		t.Errorf("net.Dial(%s) after Stop = nil, want connection refused", srv.IMAPAddr())
	}
	srv.Stop() // stopping twice is harmless
	srv.Restart()
	srv.Deliver(t, "bob", "INBOX", []byte("Subject: after restart\r\n\r\nx\r\n"))
	if got := imapFetch(t, srv, srv.IMAPAddr(), nil, "bob", "INBOX", 1); !bytes.Equal(got, tricky) {
		t.Errorf("IMAP FETCH BODY[] after Restart = %q, want %q", got, tricky)
	}
	if got := pop3Retr(t, srv.POP3Addr(), nil, "bob", 2); !bytes.HasPrefix(got, []byte("Subject: after restart")) {
		t.Errorf("POP3 RETR 2 after Restart = %q, want the message delivered after the restart", got)
	}
	srv.Restart() // a running server restarts too
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.WithTLS())
	srv.Deliver(t, "carol", "INBOX", tricky)
	cfg := srv.TLSConfig(t)
	if srv.CAFile() == "" {
		t.Fatalf("CAFile() = \"\", want a PEM path")
	}
	if got := imapFetch(t, srv, srv.IMAPSAddr(), cfg, "carol", "INBOX", 1); !bytes.Equal(got, tricky) {
		t.Errorf("IMAPS FETCH BODY[] = %q, want %q", got, tricky)
	}
	c, err := imapclient.DialStartTLS(srv.IMAPAddr(), &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("imapclient.DialStartTLS(%s) = %v", srv.IMAPAddr(), err)
	}
	if err := c.Login("carol", srv.Users["carol"]).Wait(); err != nil {
		t.Errorf("Login after STARTTLS = %v", err)
	}
	c.Close()
	if got := pop3Retr(t, srv.POP3SAddr(), cfg, "carol", 1); !bytes.HasPrefix(got, tricky) {
		t.Errorf("POP3S RETR 1 = %q, want %q", got, tricky)
	}
}

func TestQuota(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.WithQuota(1<<20), dovecottest.WithUserQuota("bob", 1000))
	msg := []byte("Subject: big\r\n\r\n" + strings.Repeat("x", 700) + "\r\n")
	for _, user := range []string{"alice", "bob"} {
		c := imapLogin(t, srv.IMAPAddr(), nil, user, srv.Users[user])
		var err error
		for i := 0; i < 2 && err == nil; i++ {
			err = appendMsg(c, msg)
		}
		var imapErr *imap.Error
		switch {
		case user == "alice" && err != nil:
			t.Errorf("%s: APPEND twice 700 bytes under 1 MiB quota = %v, want success", user, err)
		case user == "bob" && (!errors.As(err, &imapErr) || imapErr.Code != imap.ResponseCodeOverQuota):
			t.Errorf("%s: APPEND twice 700 bytes under 1000-byte quota = %v, want NO [OVERQUOTA]", user, err)
		}
		c.Close()
	}
}

func appendMsg(c *imapclient.Client, msg []byte) error {
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	cmd.Write(msg)
	cmd.Close()
	_, err := cmd.Wait()
	return err
}

// imapLogin connects (with TLS when cfg is set) and logs in.
func imapLogin(t *testing.T, addr string, cfg *tls.Config, user, pass string) *imapclient.Client {
	t.Helper()
	var c *imapclient.Client
	var err error
	if cfg != nil {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: cfg})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		t.Fatalf("imapclient.Dial(%s) = %v", addr, err)
	}
	if err := c.Login(user, pass).Wait(); err != nil {
		c.Close()
		t.Fatalf("Login(%s) = %v", user, err)
	}
	return c
}

// imapFetch returns BODY.PEEK[] of message seq in mailbox.
func imapFetch(t *testing.T, srv *dovecottest.Server, addr string, cfg *tls.Config, user, mailbox string, seq uint32) []byte {
	t.Helper()
	c := imapLogin(t, addr, cfg, user, srv.Users[user])
	defer c.Close()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatalf("Select(%s) = %v", mailbox, err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(seq), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch(%d BODY.PEEK[]) = %d messages, %v; want 1", seq, len(msgs), err)
	}
	return msgs[0].FindBodySection(section)
}

// pop3Retr logs in over POP3 and returns message n un-dot-stuffed with
// CRLF line endings; n == 0 only logs in.
func pop3Retr(t *testing.T, addr string, cfg *tls.Config, user string, n int) []byte {
	t.Helper()
	var conn net.Conn
	var err error
	if cfg != nil {
		conn, err = tls.Dial("tcp", addr, cfg)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatalf("dial POP3 %s = %v", addr, err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	cmd := func(line string) string {
		t.Helper()
		if line != "" {
			fmt.Fprintf(conn, "%s\r\n", line)
		}
		reply, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(reply, "+OK") {
			t.Fatalf("POP3 %q = %q, %v; want +OK", strings.Fields(line + " x")[0], reply, err)
		}
		return reply
	}
	cmd("")
	cmd("USER " + user)
	cmd("PASS " + dovecottest.DefaultUsers[user])
	if n == 0 {
		cmd("QUIT")
		return nil
	}
	cmd(fmt.Sprintf("RETR %d", n))
	var body bytes.Buffer
	tp := textproto.NewReader(r)
	for {
		line, err := tp.ReadLineBytes()
		if err != nil {
			t.Fatalf("POP3 RETR %d: read = %v", n, err)
		}
		if string(line) == "." {
			break
		}
		body.Write(bytes.TrimPrefix(line, []byte(".")))
		body.WriteString("\r\n")
	}
	cmd("QUIT")
	return body.Bytes()
}
