package mbox

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailferry/mailferry/sources"
)

func TestMailboxName(t *testing.T) {
	tests := []struct{ rel, want string }{
		{"Inbox", "INBOX"},
		{"inbox.mbox", "INBOX"},
		{"Sent.mbox.gz", "Sent"},
		{"Archive.sbd/2021", "Archive/2021"},
		{"Archive.sbd/2021.sbd/Q1.bz2", "Archive/2021/Q1"},
		{"Inbox.sbd/Lists", "INBOX/Lists"},
		{"Work.mbox/mbox", "Work"},
		{"dir/All mail Including Spam and Trash.mbox", "dir/All mail Including Spam and Trash"},
		{".mbox", ".mbox"},
	}
	for _, tt := range tests {
		if got := mailboxName(tt.rel); got != tt.want {
			t.Errorf("mailboxName(%q) = %q, want %q", tt.rel, got, tt.want)
		}
	}
}

func TestTree(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"Inbox":                        from1 + "S: inbox\n\n",
		"Inbox.msf":                    "// <!-- <mdb:mork:z v=\"1.4\"/> -->",
		"Inbox.sbd/Lists":              from1 + "S: lists\n\n" + from2 + "S: lists 2\n\n",
		"Inbox.sbd/Lists.msf":          "index",
		"Sent":                         from1 + "S: sent\n\n",
		"Trash":                        "",
		"msgFilterRules.dat":           "version=\"9\"",
		".hidden":                      "x",
		".git/config":                  "x",
		"Archive.sbd/2021.mbox":        from3 + "S: 2021\n\n",
		"Apple.mbox/mbox":              from1 + "S: apple\n\n",
		"Apple.mbox/Info.plist":        "<plist/>",
		"Apple.mbox/table_of_contents": "\x00\x01",
	}
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(path), 0o700)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := NewTree(root, Options{})
	if err != nil {
		t.Fatalf("NewTree(%s) = %v", root, err)
	}
	defer src.Close()
	boxes, _ := src.Mailboxes(context.Background())
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
		if b.Name == "Sent" && !slices.Equal(b.SpecialUse, []string{`\Sent`}) {
			t.Errorf("Mailboxes(): Sent has SpecialUse %q, want \\Sent", b.SpecialUse)
		}
	}
	wantNames := []string{"Apple", "Archive/2021", "INBOX", "INBOX/Lists", "Sent", "Trash"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("Mailboxes() = %q, want %q", names, wantNames)
	}
	var got []string
	for _, m := range readSource(t, src) {
		got = append(got, m.Mailbox+":"+strings.TrimSpace(m.body))
	}
	want := []string{"Apple:S: apple", "Archive/2021:S: 2021", "INBOX:S: inbox", "INBOX/Lists:S: lists", "INBOX/Lists:S: lists 2", "Sent:S: sent"}
	if !slices.Equal(got, want) {
		t.Errorf("read tree = %q, want %q", got, want)
	}
	// New on a directory reads the tree too.
	src2, err := New(root, Options{})
	if err != nil {
		t.Fatalf("New(%s) = %v", root, err)
	}
	src2.Close()
}

func TestTreeSingleFileAndErrors(t *testing.T) {
	path := writeMbox(t, "only.mbox", from1+"S: x\n\n")
	src, err := NewTree(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	boxes, _ := src.Mailboxes(context.Background())
	if len(boxes) != 1 || boxes[0].Name != "INBOX" {
		t.Errorf("NewTree(file).Mailboxes() = %v, want [INBOX]", boxes)
	}
	src.Close()

	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "notes.eml"), []byte("Subject: x\n\nhi\n"), 0o600)
	if _, err := NewTree(root, Options{}); err == nil || !strings.Contains(err.Error(), "not an mbox file") || !sources.IsPermanent(err) {
		t.Errorf("NewTree(dir with an .eml) = %v, want a permanent not-an-mbox error", err)
	}

	root = t.TempDir()
	os.WriteFile(filepath.Join(root, "Sent"), []byte(from1), 0o600)
	os.WriteFile(filepath.Join(root, "Sent.mbox"), []byte(from1), 0o600)
	if _, err := NewTree(root, Options{}); err == nil || !strings.Contains(err.Error(), `both be mailbox "Sent"`) {
		t.Errorf("NewTree(Sent and Sent.mbox) = %v, want a clash error", err)
	}
}
