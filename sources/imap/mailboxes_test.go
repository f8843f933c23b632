package imap

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/sources"
)

// gmailLike builds a tree with nested and non-ASCII names, a \Noselect
// parent and Gmail's \All and \Important views.
func gmailLike(t *testing.T, caps goimap.CapSet) *testServer {
	ts := newTestServer(t, caps)
	ts.create(t, "Work")
	ts.create(t, "Work/2024")
	ts.create(t, "Entwürfe", goimap.MailboxAttrDrafts)
	ts.create(t, "Ölkännchen/Äpfel & Birnen")
	ts.mu.Lock()
	ts.names = append(ts.names, "[Gmail]")
	ts.noSelect["[Gmail]"] = true
	ts.mu.Unlock()
	ts.create(t, "[Gmail]/All Mail", goimap.MailboxAttrAll)
	ts.create(t, "[Gmail]/Important", goimap.MailboxAttrImportant)
	ts.create(t, "[Gmail]/Sent Mail", goimap.MailboxAttrSent)
	ts.mu.Lock()
	ts.subscribed["Work/2024"] = false
	ts.mu.Unlock()

	ts.add(t, "INBOX", msg("in1"), nil, day)
	ts.add(t, "Work", msg("w1"), []string{`\Seen`}, day)
	ts.add(t, "Work/2024", msg("w2"), []string{`\Flagged`, "project"}, day.Add(time.Hour))
	ts.add(t, "Work/2024", msg("w3"), nil, day)
	ts.add(t, "Entwürfe", msg("draft"), []string{`\Draft`}, day)
	ts.add(t, "Ölkännchen/Äpfel & Birnen", msg("obst"), nil, day)
	ts.add(t, "[Gmail]/Sent Mail", msg("sent"), []string{`\Seen`}, day)
	for _, mb := range []string{"[Gmail]/All Mail", "[Gmail]/Important"} {
		ts.add(t, mb, msg("in1"), nil, day)
	}
	return ts
}

func TestFolderTree(t *testing.T) {
	ts := gmailLike(t, fullCaps)
	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	var got []string
	for _, m := range msgs {
		_, body, _ := bytes.Cut(readMessage(t, src, m), []byte("\r\n\r\n"))
		got = append(got, m.Mailbox+": "+string(body))
	}
	want := []string{
		"INBOX: body of in1\r\n",
		"Entwürfe: body of draft\r\n",
		"Work: body of w1\r\n",
		"Work/2024: body of w2\r\n",
		"Work/2024: body of w3\r\n",
		"[Gmail]/Sent Mail: body of sent\r\n",
		"Ölkännchen/Äpfel & Birnen: body of obst\r\n",
	}
	if !slices.Equal(got, want) {
		t.Errorf("List() then Open() =\n%q\nwant\n%q", got, want)
	}
	w2 := msgs[3]
	if f := slices.Sorted(slices.Values(w2.Flags)); !slices.Equal(f, []string{`\Flagged`, "project"}) {
		t.Errorf("message %s Flags = %q, want project and \\Flagged", w2.Location, f)
	}
	if msgs[0].Flags == nil || len(msgs[0].Flags) != 0 {
		t.Errorf("message without flags: Flags = %#v, want empty non-nil", msgs[0].Flags)
	}
	if !w2.Date.Equal(day.Add(time.Hour)) {
		t.Errorf("message %s Date = %v, want %v", w2.Location, w2.Date, day.Add(time.Hour))
	}
	if want := "imap://alice@" + ts.addr + "/Work/2024 uid 1"; w2.Location != want {
		t.Errorf("Location = %q, want %q", w2.Location, want)
	}
	if strings.Contains(w2.Location, testPass) {
		t.Errorf("Location %q holds the password", w2.Location)
	}

	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatalf("Mailboxes() = %v", err)
	}
	var gotBoxes []string
	for _, b := range boxes {
		gotBoxes = append(gotBoxes, fmt.Sprintf("%s %v %v", b.Name, b.SpecialUse, b.Subscribed))
	}
	wantBoxes := []string{
		"INBOX [] true", `Entwürfe [\Drafts] true`, "Work [] true", "Work/2024 [] false",
		`[Gmail]/Sent Mail [\Sent] true`, "Ölkännchen/Äpfel & Birnen [] true",
	}
	if !slices.Equal(gotBoxes, wantBoxes) {
		t.Errorf("Mailboxes() =\n%q\nwant\n%q", gotBoxes, wantBoxes)
	}
}

func TestMailboxOption(t *testing.T) {
	ts := gmailLike(t, fullCaps)
	// Named explicitly, \All is read although it is skipped by default.
	src := newSource(t, ts, Options{Mailbox: "[Gmail]/All Mail"})
	if msgs := listAll(t, src); len(msgs) != 1 || msgs[0].Mailbox != "[Gmail]/All Mail" {
		t.Errorf("List(Mailbox: All Mail) = %v, want its one message", msgs)
	}
	src = newSource(t, ts, Options{Mailbox: "/Work/2024/"})
	if msgs := listAll(t, src); len(msgs) != 2 {
		t.Errorf("List(Mailbox: Work/2024) gave %d messages, want 2", len(msgs))
	}
	// Skip nothing: \All and \Important are read too.
	src = newSource(t, ts, Options{SkipSpecialUse: []string{}})
	if msgs := listAll(t, src); len(msgs) != 9 {
		t.Errorf("List(SkipSpecialUse: none) gave %d messages, want 9", len(msgs))
	}
	src = newSource(t, ts, Options{Mailbox: "Nope"})
	err := src.List(context.Background(), func(sources.Message) error { return nil })
	if !sources.IsPermanent(err) || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("List(Mailbox: Nope) = %v, want a permanent error naming it", err)
	}
}

func TestPlainListServer(t *testing.T) {
	// Without LIST-EXTENDED: special use from plain LIST attributes,
	// subscription unknown (reported as subscribed).
	caps := goimap.CapSet{goimap.CapIMAP4rev1: {}, goimap.CapUIDPlus: {}}
	ts := gmailLike(t, caps)
	src := newSource(t, ts, Options{})
	if msgs := listAll(t, src); len(msgs) != 7 {
		t.Errorf("List() gave %d messages, want 7 (\\All and \\Important skipped)", len(msgs))
	}
	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if !b.Subscribed {
			t.Errorf("Mailboxes(): %s Subscribed = false, want true when the server cannot tell", b.Name)
		}
	}
}

func TestNamespaces(t *testing.T) {
	// A Courier-style server: personal mailboxes below "INBOX/", and a
	// shared namespace that is not the user's to copy.
	ts := newTestServer(t, fullCaps)
	ts.personal = "INBOX/"
	ts.shared = []string{"Shared/"}
	ts.create(t, "INBOX/Sent", goimap.MailboxAttrSent)
	ts.create(t, "INBOX/Work/2024")
	ts.create(t, "Shared/bob/INBOX")
	ts.add(t, "INBOX", msg("in"), nil, day)
	ts.add(t, "INBOX/Work/2024", msg("w"), nil, day)
	ts.add(t, "Shared/bob/INBOX", msg("bob"), nil, day)
	src := newSource(t, ts, Options{})
	var got []string
	for _, m := range listAll(t, src) {
		_, body, _ := bytes.Cut(readMessage(t, src, m), []byte("\r\n\r\n"))
		got = append(got, m.Mailbox+": "+string(body))
	}
	want := []string{"INBOX: body of in\r\n", "Work/2024: body of w\r\n"}
	if !slices.Equal(got, want) {
		t.Errorf("List() then Open() = %q, want %q", got, want)
	}
	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
	}
	if want := []string{"INBOX", "Sent", "Work/2024"}; !slices.Equal(names, want) {
		t.Errorf("Mailboxes() = %q, want %q", names, want)
	}
}
