package imaptest

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// FetchedMessage is one message as read back from a server.
type FetchedMessage struct {
	Body  []byte
	Flags []string
	Date  time.Time // INTERNALDATE
}

// Fetch logs in to addr without TLS and returns every message of
// mailbox (a UTF-8 server name, e.g. "INBOX" or "Work/2024") in order.
// A missing mailbox fails the test.
func Fetch(t testing.TB, addr, user, pass, mailbox string) []FetchedMessage {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("imaptest.Fetch: dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("imaptest.Fetch: login: %v", err)
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("imaptest.Fetch: select %q: %v", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		Flags:        true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatalf("imaptest.Fetch: fetch %q: %v", mailbox, err)
	}
	var msgs []FetchedMessage
	for _, b := range bufs {
		m := FetchedMessage{Date: b.InternalDate}
		if len(b.BodySection) > 0 {
			m.Body = b.BodySection[0].Bytes
		}
		for _, f := range b.Flags {
			m.Flags = append(m.Flags, string(f))
		}
		msgs = append(msgs, m)
	}
	c.Logout().Wait()
	return msgs
}

// Mailboxes returns the names of all mailboxes of the user, as UTF-8
// server names.
func Mailboxes(t testing.TB, addr, user, pass string) []string {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("imaptest.Mailboxes: dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("imaptest.Mailboxes: login: %v", err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("imaptest.Mailboxes: list: %v", err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	c.Logout().Wait()
	return names
}

// Append logs in to addr without TLS and appends raw to mailbox (created
// if missing) with flags and INTERNALDATE date.
func Append(t testing.TB, addr, user, pass, mailbox string, raw []byte, flags []string, date time.Time) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("imaptest.Append: dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("imaptest.Append: login: %v", err)
	}
	if mailbox != "INBOX" {
		c.Create(mailbox, nil).Wait() // may exist already
	}
	var fl []imap.Flag
	for _, f := range flags {
		fl = append(fl, imap.Flag(f))
	}
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: fl, Time: date})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("imaptest.Append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("imaptest.Append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("imaptest.Append: %v", err)
	}
	c.Logout().Wait()
}

// SetFlags logs in to addr without TLS and replaces the flags of the
// seq-th message (from 1) of mailbox.
func SetFlags(t testing.TB, addr, user, pass, mailbox string, seq uint32, flags []string) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("imaptest.SetFlags: dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("imaptest.SetFlags: login: %v", err)
	}
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatalf("imaptest.SetFlags: select: %v", err)
	}
	fl := []imap.Flag{}
	for _, f := range flags {
		fl = append(fl, imap.Flag(f))
	}
	if err := c.Store(imap.SeqSetNum(seq), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: fl}, nil).Close(); err != nil {
		t.Fatalf("imaptest.SetFlags: store: %v", err)
	}
	c.Logout().Wait()
}
