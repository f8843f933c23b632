package imap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

var day = time.Date(2023, 5, 17, 8, 0, 0, 0, time.UTC)

func msg(subject string) []byte {
	return []byte("From: a@example.com\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n")
}

func TestSourceUnchanged(t *testing.T) {
	ts := gmailLike(t, fullCaps)
	before := ts.snapshot(t, "Work/2024")
	src := newSource(t, ts, Options{})
	for _, m := range listAll(t, src) {
		readMessage(t, src, m)
	}
	after := ts.snapshot(t, "Work/2024")
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("mailbox after List and Open = %v, want unchanged %v", after, before)
	}
	for _, st := range after {
		if slices.Contains(st.Flags, `\Seen`) {
			t.Errorf("uid %d got \\Seen from reading", st.UID)
		}
	}
}

func TestDelete(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	ts.create(t, "Work")
	for i := 1; i <= 4; i++ {
		ts.add(t, "INBOX", msg(fmt.Sprint("m", i)), nil, day)
	}
	// Another client's message, marked \Deleted but not expunged.
	other := ts.add(t, "INBOX", msg("other"), []string{`\Deleted`}, day)
	ts.add(t, "Work", msg("w1"), nil, day)
	ts.add(t, "Work", msg("w2"), nil, day)

	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	if len(msgs) != 7 {
		t.Fatalf("List() gave %d messages, want 7", len(msgs))
	}
	doomed := []sources.Message{msgs[0], msgs[2], msgs[6]} // INBOX 1, 3; Work 2
	if err := src.Delete(context.Background(), doomed); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	var left []uint32
	for _, st := range ts.snapshot(t, "INBOX") {
		left = append(left, st.UID)
	}
	if want := []uint32{2, 4, other}; !slices.Equal(left, want) {
		t.Errorf("INBOX UIDs after Delete = %v, want %v", left, want)
	}
	if work := ts.snapshot(t, "Work"); len(work) != 1 || work[0].UID != 1 {
		t.Errorf("Work after Delete = %v, want only uid 1", work)
	}
	// The source stays usable for reading, read-only again.
	if got := readMessage(t, src, msgs[1]); !bytes.Equal(got, msg("m2")) {
		t.Errorf("Open after Delete = %q, want m2", got)
	}
}

func TestDeleteNeedsUIDPlus(t *testing.T) {
	ts := newTestServer(t, goimap.CapSet{goimap.CapIMAP4rev1: {}})
	ts.add(t, "INBOX", msg("m1"), nil, day)
	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	err := src.Delete(context.Background(), msgs)
	if !sources.IsPermanent(err) || !strings.Contains(err.Error(), "UIDPLUS") {
		t.Errorf("Delete() without UIDPLUS = %v, want a permanent error naming UIDPLUS", err)
	}
	if got := ts.snapshot(t, "INBOX"); len(got) != 1 || len(got[0].Flags) != 0 {
		t.Errorf("INBOX after refused Delete = %v, want the message untouched", got)
	}
}

func TestListSince(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	for i := 1; i <= 3; i++ {
		ts.add(t, "INBOX", msg(fmt.Sprint("m", i)), nil, day)
	}
	src := newSource(t, ts, Options{})
	listAll(t, src)
	validity, next, ok := src.MailboxStatus("inbox")
	if !ok || validity == 0 || next != 4 {
		t.Fatalf("MailboxStatus(inbox) = %d, %d, %v; want a UIDVALIDITY, 4, true", validity, next, ok)
	}
	ts.add(t, "INBOX", msg("m4"), nil, day)
	ts.add(t, "INBOX", msg("m5"), nil, day)

	since := func(v, after uint32) []string {
		t.Helper()
		src := newSource(t, ts, Options{Since: map[string]HighWater{"INBOX": {UIDValidity: v, UID: after}}})
		var ids []string
		for _, m := range listAll(t, src) {
			ids = append(ids, m.ID)
		}
		return ids
	}
	id := func(uid uint32) string { return FormatID(validity, uid) }
	tests := []struct {
		validity, after uint32
		want            []string
	}{
		{validity, next - 1, []string{id(4), id(5)}},
		{validity, 5, nil},
		{validity, 99, nil},
		{validity + 1, 3, []string{id(1), id(2), id(3), id(4), id(5)}}, // UIDVALIDITY changed
		{validity, 0, []string{id(1), id(2), id(3), id(4), id(5)}},
	}
	for _, tt := range tests {
		if got := since(tt.validity, tt.after); !slices.Equal(got, tt.want) {
			t.Errorf("List(Since %d/%d) = %v, want %v", tt.validity, tt.after, got, tt.want)
		}
	}
	var got []string
	err := src.ListSince(context.Background(), "INBOX", validity, 4, func(m sources.Message) error {
		got = append(got, m.ID)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{id(5)}) {
		t.Errorf("ListSince(INBOX, %d, 4) = %v, %v; want [%s]", validity, got, err, id(5))
	}
}

func TestUIDValidityChanged(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	ts.create(t, "Work")
	ts.add(t, "Work", msg("w1"), nil, day)
	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	ts.recreate(t, "Work")
	ts.add(t, "Work", msg("other"), nil, day)
	// A new session (as after a reconnect) sees the new UIDVALIDITY.
	src = newSource(t, ts, Options{})
	_, err := src.Open(context.Background(), msgs[0])
	var me *sources.MessageError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "UIDVALIDITY") {
		t.Fatalf("Open(%s) after UIDVALIDITY change = %v, want a MessageError about UIDVALIDITY", msgs[0].ID, err)
	}
	err = src.Delete(context.Background(), msgs)
	if err == nil || !strings.Contains(err.Error(), "UIDVALIDITY") {
		t.Errorf("Delete() after UIDVALIDITY change = %v, want an error about UIDVALIDITY", err)
	}
	if got := ts.snapshot(t, "Work"); len(got) != 1 {
		t.Errorf("Work after refused Delete holds %d messages, want 1", len(got))
	}
}

func TestOpenExpunged(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	ts.add(t, "INBOX", msg("m1"), nil, day)
	ts.add(t, "INBOX", msg("m2"), nil, day)
	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	other := newSource(t, ts, Options{})
	if err := other.Delete(context.Background(), msgs[:1]); err != nil {
		t.Fatal(err)
	}
	_, err := src.Open(context.Background(), msgs[0])
	var me *sources.MessageError
	if !errors.As(err, &me) {
		t.Fatalf("Open(expunged %s) = %v, want a *sources.MessageError", msgs[0].ID, err)
	}
	if got := readMessage(t, src, msgs[1]); !bytes.Equal(got, msg("m2")) {
		t.Errorf("Open(%s) after an expunged one = %q, want m2", msgs[1].ID, got)
	}
}

func TestLoginRejected(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	cfg := ts.config()
	cfg.Password = "wrong"
	_, err := New(context.Background(), cfg, Options{})
	if !sources.IsPermanent(err) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("New(wrong password) = %v, want a permanent error without the password", err)
	}
}

func TestQuotaUnsupported(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	src := newSource(t, ts, Options{})
	if _, _, ok, err := src.Quota(context.Background()); ok || err != nil {
		t.Errorf("Quota() without QUOTA = %v, %v; want false, nil", ok, err)
	}
}

func TestFlags(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	ts.add(t, "INBOX", msg("m1"), []string{`\Seen`, "work"}, day)
	ts.add(t, "INBOX", msg("m2"), nil, day)
	ts.add(t, "INBOX", msg("m3"), []string{`\Answered`}, day)
	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	validity, _, _ := src.MailboxStatus("INBOX")
	got, ok, err := src.Flags(context.Background(), "INBOX", validity, []uint32{1, 2, 9})
	if err != nil || !ok {
		t.Fatalf("Flags() = %v, %v", ok, err)
	}
	if len(got) != 2 || !slices.Equal(slices.Sorted(slices.Values(got[1])), []string{`\Seen`, "work"}) || len(got[2]) != 0 {
		t.Errorf("Flags(1, 2, 9) = %v, want 1: [work \\Seen], 2: []", got)
	}
	if _, ok, err := src.Flags(context.Background(), "INBOX", validity+1, []uint32{1}); ok || err != nil {
		t.Errorf("Flags(wrong UIDVALIDITY) = %v, %v; want false, nil", ok, err)
	}
	_ = msgs
}

func TestParseID(t *testing.T) {
	if v, u, err := ParseID(FormatID(7, 42)); v != 7 || u != 42 || err != nil {
		t.Errorf("ParseID(FormatID(7, 42)) = %d, %d, %v; want 7, 42, nil", v, u, err)
	}
	for _, bad := range []string{"", "7", "7/", "/4", "7/0", "-1/4", "x/1", "1/99999999999"} {
		if _, _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) = nil error, want one", bad)
		}
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		cfg  imapconn.Config
		want string
	}{
		{imapconn.Config{Addr: "mail.example.com:993", Username: "bob"}, "imaps://bob@mail.example.com"},
		{imapconn.Config{Addr: "mail.example.com:1993", Username: "bob"}, "imaps://bob@mail.example.com:1993"},
		{imapconn.Config{Addr: "mail.example.com:143", Username: "bob", TLS: imapconn.StartTLS}, "imap://bob@mail.example.com"},
	}
	for _, tt := range tests {
		if got := location(tt.cfg); got != tt.want {
			t.Errorf("location(%s) = %q, want %q", tt.cfg.Addr, got, tt.want)
		}
	}
}
