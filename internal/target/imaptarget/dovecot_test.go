package imaptarget

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/target"
)

// batchItems are messages whose bytes an IMAP server could be tempted to
// change.
func batchItems() []target.Item {
	date := time.Date(2011, 3, 4, 5, 6, 7, 0, time.FixedZone("", -5*3600))
	raws := [][]byte{
		[]byte("Subject: dots\r\n\r\n.\r\n..x\r\n.\r\n"),
		[]byte("Subject: long line\r\n\r\n" + strings.Repeat("y", 9000) + "\r\n"),
		[]byte("Subject: 8bit \xc3\xa4\r\n\r\n\xff\xfe\r\n"),
		[]byte("Subject: empty body\r\n\r\n"),
		[]byte("Subject: {5}\r\n\r\nlooks like a literal {5}\r\n"),
	}
	flags := [][]string{{`\Seen`}, nil, {`\Flagged`, "$Label1"}, {`\Answered`, `\Seen`, "Work"}, nil}
	var items []target.Item
	for i, raw := range raws {
		items = append(items, target.Item{Message: target.Message{Flags: flags[i], Date: date.Add(time.Duration(i) * time.Hour), Size: int64(len(raw))}, Data: raw})
	}
	return items
}

func TestDovecotMultiAppend(t *testing.T) {
	dovecottest.Require(t)
	srv := dovecottest.Start(t, dovecottest.WithTLS())
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		cfg     imapconn.Config
		noPlus  bool
		mailbox string
	}{
		{"clear", imapconn.Config{Addr: srv.IMAPAddr(), TLS: imapconn.None}, false, "INBOX"},
		{"sync literals", imapconn.Config{Addr: srv.IMAPAddr(), TLS: imapconn.None}, true, "Archiv/Entwürfe & Co"},
		{"starttls", imapconn.Config{Addr: srv.IMAPAddr(), TLS: imapconn.StartTLS, TLSConfig: srv.TLSConfig(t)}, false, "Tls"},
		{"imaps", imapconn.Config{Addr: srv.IMAPSAddr(), TLS: imapconn.Implicit, TLSConfig: srv.TLSConfig(t)}, false, "Imaps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := "alice"
			tc.cfg.Username, tc.cfg.Password = user, srv.Users[user]
			tg, err := Dial(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			if tc.noPlus {
				delete(tg.conn.Caps(), imap.CapLiteralPlus)
				delete(tg.conn.Caps(), imap.CapLiteralMinus)
			}
			if !tg.canMultiAppend(tg.conn) {
				t.Fatalf("canMultiAppend() = false against Dovecot (caps %v)", tg.conn.Caps())
			}
			if err := tg.EnsureMailbox(ctx, tc.mailbox); err != nil {
				t.Fatal(err)
			}
			items := batchItems()
			receipts, err := tg.AppendBatch(ctx, tc.mailbox, items)
			if err != nil || len(receipts) != len(items) {
				t.Fatalf("AppendBatch() = %v, %v; want %d receipts", receipts, err, len(items))
			}
			// The connection is go-imap's again: a plain APPEND and the
			// index work on it.
			one := []byte("Subject: after\r\n\r\nafter the batch\r\n")
			if _, err := tg.Append(ctx, tc.mailbox, target.Message{Date: time.Now(), Size: int64(len(one))}, bytes.NewReader(one)); err != nil {
				t.Fatalf("Append after AppendBatch = %v", err)
			}
			refs, err := tg.IndexRefs(ctx, tc.mailbox)
			if err != nil {
				t.Fatal(err)
			}
			if n := countRefs(refs); n != len(items)+1 {
				t.Errorf("IndexRefs() lists %d copies, want %d", n, len(items)+1)
			}
			checkStored(t, tg, tc.mailbox, items, receipts)
		})
	}
}

func countRefs(refs map[string][]string) int {
	n := 0
	for _, l := range refs {
		n += len(l)
	}
	return n
}

// checkStored fetches each receipt's message and compares bytes, flags
// and INTERNALDATE with what was sent.
func checkStored(t *testing.T, tg *Target, mailbox string, items []target.Item, receipts []target.Receipt) {
	t.Helper()
	c := tg.conn
	err := c.Do(context.Background(), func() error {
		if _, err := c.Select(tg.serverName(mailbox), nil).Wait(); err != nil {
			return err
		}
		for i, rc := range receipts {
			var v, uid uint32
			if _, err := fmt.Sscanf(rc.Ref, "%d/%d", &v, &uid); err != nil {
				return fmt.Errorf("receipt %d = %q: %v", i, rc.Ref, err)
			}
			msgs, err := c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{
				Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
			}).Collect()
			if err != nil || len(msgs) != 1 {
				return fmt.Errorf("UID FETCH %d = %d messages, %v", uid, len(msgs), err)
			}
			m := msgs[0]
			var body []byte
			for _, b := range m.BodySection {
				body = b.Bytes
			}
			if !bytes.Equal(body, items[i].Data) {
				t.Errorf("message %d: stored %q, want %q", i, clipBytes(body), clipBytes(items[i].Data))
			}
			if !m.InternalDate.Equal(items[i].Date) {
				t.Errorf("message %d: INTERNALDATE %v, want %v", i, m.InternalDate, items[i].Date)
			}
			var got []string
			for _, f := range m.Flags {
				if f != `\Recent` {
					got = append(got, string(f))
				}
			}
			want := slices.Clone(items[i].Flags)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("message %d: flags %v, want %v", i, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func clipBytes(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

func TestDovecotMultiAppendRefused(t *testing.T) {
	dovecottest.Require(t)
	srv := dovecottest.Start(t, dovecottest.WithQuota(4000))
	ctx := context.Background()
	tg, err := Dial(ctx, imapconn.Config{Addr: srv.IMAPAddr(), TLS: imapconn.None, Username: "bob", Password: srv.Users["bob"]})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	items := batchItems() // 9 KB in all: over the quota
	receipts, err := tg.AppendBatch(ctx, "INBOX", items)
	if err == nil || !strings.Contains(err.Error(), "over quota") {
		t.Fatalf("AppendBatch() over quota = %v, want an over-quota error", err)
	}
	// The batch is refused whole (MULTIAPPEND is all or nothing), then
	// stored one by one up to the quota: the receipts say which.
	refs, err := tg.IndexRefs(ctx, "INBOX")
	if err != nil {
		t.Fatalf("IndexRefs after a refused batch = %v (the connection must stay usable)", err)
	}
	if n := countRefs(refs); n != len(receipts) || n == len(items) {
		t.Errorf("after the over-quota batch INBOX holds %d messages, receipts %d; want as many as receipts, fewer than %d", n, len(receipts), len(items))
	}
}
