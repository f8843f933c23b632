package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/sources/pop3"
)

// keepLimit is the largest message whose bytes are kept for a readable
// comparison; larger ones are compared by digest only.
const keepLimit = 2 << 20

// stored is one message as a server serves it.
type stored struct {
	UID   imap.UID // 0 for POP3
	Sum   [32]byte // SHA-256 of the bytes
	Size  int64
	Body  []byte   // the bytes, if at most keepLimit
	Flags []string // sorted, without \Recent (IMAP only)
	Date  time.Time
}

func (s stored) String() string {
	return hex.EncodeToString(s.Sum[:8]) + " (" + strconv.FormatInt(s.Size, 10) + " bytes)"
}

// readStored hashes r to its end, keeping small bodies.
func readStored(r io.Reader) (stored, error) {
	var s stored
	h := sha256.New()
	keep := &limitedKeep{limit: keepLimit}
	n, err := io.Copy(io.MultiWriter(h, keep), r)
	s.Size = n
	copy(s.Sum[:], h.Sum(nil))
	if !keep.over {
		s.Body = keep.b
		if s.Body == nil {
			s.Body = []byte{}
		}
	}
	return s, err
}

// limitedKeep keeps what is written until it exceeds limit.
type limitedKeep struct {
	b     []byte
	limit int
	over  bool
}

func (k *limitedKeep) Write(p []byte) (int, error) {
	if !k.over {
		if len(k.b)+len(p) > k.limit {
			k.over, k.b = true, nil
		} else {
			k.b = append(k.b, p...)
		}
	}
	return len(p), nil
}

// digest returns the SHA-256 of raw.
func digest(raw []byte) [32]byte { return sha256.Sum256(raw) }

// counts returns the multiset of digests.
func counts(ms []stored) map[[32]byte]int {
	c := map[[32]byte]int{}
	for _, m := range ms {
		c[m.Sum]++
	}
	return c
}

// dialIMAP logs user in over plaintext IMAP.
func dialIMAP(t *testing.T, srv *dovecottest.Server, user string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.IMAPAddr(), nil)
	if err != nil {
		t.Fatalf("imapclient.DialInsecure(%s) = %v", srv.IMAPAddr(), err)
	}
	if err := c.Login(user, srv.Users[user]).Wait(); err != nil {
		c.Close()
		t.Fatalf("IMAP LOGIN %s = %v", user, err)
	}
	return c
}

// mailboxes returns the names of user's mailboxes ("/"-separated).
func mailboxes(t *testing.T, srv *dovecottest.Server, user string) []string {
	t.Helper()
	c := dialIMAP(t, srv, user)
	defer c.Close()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("IMAP LIST \"\" * as %s = %v", user, err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	slices.Sort(names)
	return names
}

// fetchMailbox returns every message of user's mailbox in UID order with
// its bytes (UID FETCH 1:* BODY.PEEK[]), flags and INTERNALDATE, reading
// each body as a stream. A missing mailbox holds nothing.
func fetchMailbox(t *testing.T, srv *dovecottest.Server, user, mailbox string) []stored {
	t.Helper()
	c := dialIMAP(t, srv, user)
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		if slices.Contains(mailboxes(t, srv, user), mailbox) {
			t.Fatalf("IMAP EXAMINE %s as %s = %v", mailbox, user, err)
		}
		return nil
	}
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	cmd := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section},
	})
	var out []stored
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var s stored
		var flags []string
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				s.UID = item.UID
			case imapclient.FetchItemDataFlags:
				for _, f := range item.Flags {
					if f != `\Recent` {
						flags = append(flags, string(f))
					}
				}
			case imapclient.FetchItemDataInternalDate:
				s.Date = item.Time
			case imapclient.FetchItemDataBodySection:
				body, err := readStored(item.Literal)
				if err != nil {
					t.Fatalf("IMAP FETCH BODY[] in %s/%s: %v", user, mailbox, err)
				}
				s.Sum, s.Size, s.Body = body.Sum, body.Size, body.Body
			}
		}
		slices.Sort(flags)
		s.Flags = flags
		out = append(out, s)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("IMAP UID FETCH 1:* in %s/%s = %v", user, mailbox, err)
	}
	slices.SortFunc(out, func(a, b stored) int { return int(a.UID) - int(b.UID) })
	return out
}

// popMessages returns every message of user's POP3 maildrop, in message
// number order, as RETR delivers it (dot-stuffing undone).
func popMessages(t *testing.T, srv *dovecottest.Server, user string) []stored {
	t.Helper()
	ctx := context.Background()
	c, err := pop3.Dial(ctx, pop3.Config{Addr: srv.POP3Addr(), Username: user, Password: srv.Users[user], TLS: pop3.TLSNone})
	if err != nil {
		t.Fatalf("pop3.Dial(%s as %s) = %v", srv.POP3Addr(), user, err)
	}
	defer c.Close()
	list, err := c.List(ctx)
	if err != nil {
		t.Fatalf("POP3 LIST as %s = %v", user, err)
	}
	var out []stored
	for _, m := range list {
		rc, err := c.Retr(ctx, m.Number)
		if err != nil {
			t.Fatalf("POP3 RETR %d as %s = %v", m.Number, user, err)
		}
		s, err := readStored(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("POP3 RETR %d as %s: %v", m.Number, user, err)
		}
		out = append(out, s)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatalf("POP3 QUIT as %s = %v", user, err)
	}
	return out
}

// appendFile stores the file at path, streamed, as a new message in
// user's mailbox over IMAP (for messages too large to hold in memory,
// which Deliver would need).
func appendFile(t *testing.T, srv *dovecottest.Server, user, mailbox, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	c := dialIMAP(t, srv, user)
	defer c.Close()
	cmd := c.Append(mailbox, fi.Size(), nil)
	if _, err := io.Copy(cmd, f); err != nil {
		t.Fatalf("IMAP APPEND %s to %s/%s: %v", path, user, mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("IMAP APPEND %s to %s/%s: %v", path, user, mailbox, err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("IMAP APPEND %s to %s/%s = %v", path, user, mailbox, err)
	}
}
