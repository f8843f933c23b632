package soak

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3"
)

// message is what a mailbox must hold: the bytes' digest, the flags
// (sorted, without \Recent) and the INTERNALDATE (zero: not checked).
type message struct {
	Sum   [32]byte
	Size  int
	Flags []string
	Date  time.Time
}

func (m message) String() string {
	return fmt.Sprintf("%s (%d bytes, flags %v, date %s)", hex.EncodeToString(m.Sum[:6]), m.Size, m.Flags, m.Date.Format(time.RFC3339))
}

// fromPOP3 is what a POP3 message becomes on an IMAP target: flags from
// its Status-like headers, INTERNALDATE from its topmost Received: or
// its Date: (unchecked when it has neither).
func fromPOP3(raw []byte) message {
	hdr := raw
	if end := mailhdr.HeaderEnd(raw); end >= 0 {
		hdr = raw[:end]
	}
	m := message{Sum: sha256.Sum256(raw), Size: len(raw), Flags: cleanFlags(mailhdr.Flags(hdr))}
	if d, ok := mailhdr.ArrivalDate(hdr); ok {
		m.Date = d
	}
	return m
}

func cleanFlags(flags []string) []string {
	out := []string{}
	for _, f := range flags {
		if !strings.EqualFold(f, `\Recent`) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fetched turns what imaptest.Fetch read into messages.
func fetched(ms []imaptest.FetchedMessage) []message {
	var out []message
	for _, m := range ms {
		out = append(out, message{Sum: sha256.Sum256(m.Body), Size: len(m.Body), Flags: cleanFlags(m.Flags), Date: m.Date})
	}
	return out
}

// fetchIMAP returns the messages of mailbox on an IMAP server (in clear
// text, not through a proxy); a missing mailbox holds nothing.
func fetchIMAP(t *testing.T, addr, user, pass, mailbox string) []message {
	t.Helper()
	if !slices.Contains(imaptest.Mailboxes(t, addr, user, pass), mailbox) && mailbox != "INBOX" {
		return nil
	}
	return fetched(imaptest.Fetch(t, addr, user, pass, mailbox))
}

// popMessages reads every message of a POP3 maildrop as RETR serves it.
func popMessages(t *testing.T, addr, user, pass string) [][]byte {
	t.Helper()
	ctx := context.Background()
	c, err := pop3.Dial(ctx, pop3.Config{Addr: addr, Username: user, Password: pass, TLS: pop3.TLSNone})
	if err != nil {
		t.Fatalf("pop3.Dial(%s as %s) = %v", addr, user, err)
	}
	defer c.Close()
	list, err := c.List(ctx)
	if err != nil {
		t.Fatalf("POP3 LIST as %s = %v", user, err)
	}
	var out [][]byte
	for _, m := range list {
		rc, err := c.Retr(ctx, m.Number)
		if err != nil {
			t.Fatalf("POP3 RETR %d as %s = %v", m.Number, user, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("POP3 RETR %d as %s: %v", m.Number, user, err)
		}
		out = append(out, b)
	}
	c.Quit(ctx)
	return out
}

// checkExactlyOnce fails the test unless got holds every message of
// want exactly as often as want does, with its flags and date, and
// nothing else. Identical twins may differ in flags and date; each copy
// must match one of them.
func checkExactlyOnce(t *testing.T, where string, got, want []message) {
	t.Helper()
	left := map[[32]byte][]message{} // wanted copies not matched yet
	for _, w := range want {
		left[w.Sum] = append(left[w.Sum], w)
	}
	var unmatched []message
	for _, g := range got {
		ws := left[g.Sum]
		i := slices.IndexFunc(ws, func(w message) bool { return sameMeta(g, w) })
		if i < 0 {
			unmatched = append(unmatched, g)
			continue
		}
		left[g.Sum] = slices.Delete(ws, i, i+1)
	}
	errs := 0
	for _, g := range unmatched {
		if errs++; errs > 20 {
			t.FailNow()
		}
		ws := left[g.Sum]
		if len(ws) == 0 {
			t.Errorf("%s holds a message the source never had, or one copy too many: %s", where, g)
			continue
		}
		t.Errorf("%s holds message %s, want %s", where, g, ws[0])
		left[g.Sum] = ws[1:]
	}
	for _, ws := range left {
		for _, w := range ws {
			if errs++; errs > 20 {
				t.FailNow()
			}
			t.Errorf("%s lacks message %s", where, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s holds %d messages, want %d", where, len(got), len(want))
	}
}

// sameMeta reports whether got carries want's flags and (if checked)
// date.
func sameMeta(got, want message) bool {
	return slices.Equal(got.Flags, want.Flags) && (want.Date.IsZero() || got.Date.Unix() == want.Date.Unix())
}

// checkNothingLost fails the test unless every message of want is on
// the source or on the target, as often as want holds it.
func checkNothingLost(t *testing.T, when string, source, target, want []message) {
	t.Helper()
	count := func(ms []message) map[[32]byte]int {
		c := map[[32]byte]int{}
		for _, m := range ms {
			c[m.Sum]++
		}
		return c
	}
	onSource, onTarget, need := count(source), count(target), count(want)
	for _, w := range want {
		if n := onSource[w.Sum] + onTarget[w.Sum]; n < need[w.Sum] {
			t.Errorf("%s: message %s is %d times on the source and %d times on the target, want at least %d in all",
				when, w, onSource[w.Sum], onTarget[w.Sum], need[w.Sum])
			need[w.Sum] = 0
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// literal is a message for imapmemserver.User.Append.
type literal struct{ *bytes.Reader }

// storeIMAP appends raw to mailbox (created if missing) of an in-process
// server's user, with flags and INTERNALDATE.
func storeIMAP(t *testing.T, u *imapmemserver.User, mailbox string, raw []byte, flags []string, date time.Time) {
	t.Helper()
	if mailbox != "INBOX" {
		u.Create(mailbox, nil) // may exist
	}
	var fl []imap.Flag
	for _, f := range flags {
		fl = append(fl, imap.Flag(f))
	}
	if _, err := u.Append(mailbox, literal{bytes.NewReader(raw)}, &imap.AppendOptions{Flags: fl, Time: date}); err != nil {
		t.Fatalf("store a message in %s: %v", mailbox, err)
	}
}

// countIMAP returns the number of messages in mailbox of an in-process
// server's user (0 if it does not exist).
func countIMAP(u *imapmemserver.User, mailbox string) int {
	st, err := u.Status(mailbox, &imap.StatusOptions{NumMessages: true})
	if err != nil || st.NumMessages == nil {
		return 0
	}
	return int(*st.NumMessages)
}
