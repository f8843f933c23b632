package imap

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

// dovecotFixture is one message put into Dovecot with APPEND.
type dovecotFixture struct {
	mailbox string
	raw     []byte
	flags   []string
	date    time.Time
}

func TestDovecot(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.WithQuota(10<<20))
	pw := srv.Users["alice"]
	c, err := imapclient.DialInsecure(srv.IMAPAddr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", pw).Wait(); err != nil {
		t.Fatal(err)
	}
	for _, mb := range []string{"Work", "Work/2024", "Entwürfe", "Sent", "Leer"} {
		if err := c.Create(mb, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", mb, err)
		}
	}
	if err := c.Subscribe("Work").Wait(); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2019, 11, 3, 14, 15, 16, 0, time.FixedZone("", 3600))
	fixtures := []dovecotFixture{
		{"INBOX", msg("in1"), []string{`\Seen`, `$Forwarded`}, date},
		{"INBOX", msg("in2"), nil, date.Add(24 * time.Hour)},
		{"Work", msg("w1"), []string{`\Answered`, `\Flagged`, "Project"}, date},
		{"Work/2024", bigMessage(200 << 10), []string{`\Draft`}, date},
		{"Entwürfe", []byte("From: j@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nÄÖÜ\r\n"), []string{"$label1"}, date},
		{"Sent", msg("sent"), []string{`\Seen`}, date},
	}
	for _, f := range fixtures {
		opts := &goimap.AppendOptions{Time: f.date}
		for _, fl := range f.flags {
			opts.Flags = append(opts.Flags, goimap.Flag(fl))
		}
		cmd := c.Append(f.mailbox, int64(len(f.raw)), opts)
		cmd.Write(f.raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("APPEND to %s: %v", f.mailbox, err)
		}
	}

	cfg := imapconn.Config{Addr: srv.IMAPAddr(), Username: "alice", Password: pw, TLS: imapconn.None}
	src, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("New(dovecot) = %v", err)
	}
	defer src.Close()
	msgs := listAll(t, src)
	order := []int{0, 1, 4, 5, 2, 3} // INBOX first, then by name
	if len(msgs) != len(fixtures) {
		t.Fatalf("List() gave %d messages, want %d", len(msgs), len(fixtures))
	}
	for i, m := range msgs {
		f := fixtures[order[i]]
		got := readMessage(t, src, m)
		if m.Mailbox != f.mailbox || !bytes.Equal(got, f.raw) {
			t.Errorf("message %d: %s, %d bytes; want %s, the %d appended bytes", i, m.Mailbox, len(got), f.mailbox, len(f.raw))
		}
		if m.Size != int64(len(got)) || !m.SizeExact {
			t.Errorf("message %s: Size %d (exact %v), Open gave %d bytes", m.Location, m.Size, m.SizeExact, len(got))
		}
		if !sameFlags(m.Flags, f.flags) {
			t.Errorf("message %s: Flags = %q, want %q", m.Location, m.Flags, f.flags)
		}
		if !m.Date.Equal(f.date) {
			t.Errorf("message %s: Date = %v, want %v", m.Location, m.Date, f.date)
		}
	}

	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var gotBoxes []string
	for _, b := range boxes {
		gotBoxes = append(gotBoxes, fmt.Sprintf("%s %v %v", b.Name, b.SpecialUse, b.Subscribed))
	}
	wantBoxes := []string{"INBOX [] false", "Entwürfe [] false", "Leer [] false", `Sent [\Sent] false`, "Work [] true", "Work/2024 [] false"}
	if !slices.Equal(gotBoxes, wantBoxes) {
		t.Errorf("Mailboxes() =\n%q\nwant\n%q", gotBoxes, wantBoxes)
	}

	// Reading changed nothing: INBOX's second message is still unseen.
	st, _, err := src.Flags(context.Background(), "INBOX", mustValidity(t, src, "INBOX"), []uint32{1, 2})
	if err != nil || len(st) != 2 || len(st[2]) != 0 {
		t.Errorf("Flags(INBOX 1, 2) after reading = %v, %v; want uid 2 without flags", st, err)
	}

	used, limit, ok, err := src.Quota(context.Background())
	if err != nil || !ok || limit != 10<<20 || used <= 0 {
		t.Errorf("Quota() = %d, %d, %v, %v; want some use, limit %d", used, limit, ok, err, 10<<20)
	}

	// Delete one INBOX message while another client's \Deleted message
	// waits for its own expunge.
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(goimap.UIDSetNum(2), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Delete(context.Background(), []sources.Message{msgs[0]}); err != nil {
		t.Fatalf("Delete(INBOX uid 1) = %v", err)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	left, err := c.Fetch(goimap.SeqSet{{Start: 1, Stop: 0}}, &goimap.FetchOptions{UID: true}).Collect()
	if err != nil || len(left) != 1 || left[0].UID != 2 {
		t.Errorf("INBOX after Delete(uid 1) = %d messages, %v; want only uid 2 (\\Deleted by another client)", len(left), err)
	}
}

func mustValidity(t *testing.T, src *Source, mailbox string) uint32 {
	t.Helper()
	v, _, ok := src.MailboxStatus(mailbox)
	if !ok {
		t.Fatalf("MailboxStatus(%s): not listed", mailbox)
	}
	return v
}

func sameFlags(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
