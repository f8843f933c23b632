package maildir

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

var t0 = time.Date(2023, 5, 1, 12, 0, 0, 0, time.UTC)

// put writes a file (and its directories) with the given mtime offset.
func put(t *testing.T, path, content string, minutes int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	d := t0.Add(time.Duration(minutes) * time.Minute)
	if err := os.Chtimes(path, d, d); err != nil {
		t.Fatal(err)
	}
}

func mkMaildir(t *testing.T, dir string) {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot records every path under root with its size, mode and mtime.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.Mode().String() + " " + fi.ModTime().String() + " " + strconv.FormatInt(fi.Size(), 10)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func listAll(t *testing.T, src sources.Source) []sources.Message {
	t.Helper()
	var msgs []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error {
		msgs = append(msgs, m)
		return nil
	}); err != nil {
		t.Fatalf("List() = %v", err)
	}
	return msgs
}

func readAll(t *testing.T, src sources.Source, m sources.Message) string {
	t.Helper()
	rc, err := src.Open(context.Background(), m)
	if err != nil {
		t.Fatalf("Open(%s) = %v", m.ID, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", m.ID, err)
	}
	return string(b)
}

func TestMaildirPlusPlus(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)
	put(t, filepath.Join(root, "dovecot-keywords"), "0 Work\n2 $Junk\nbogus line\n", 0)
	put(t, filepath.Join(root, "cur", "200.M1P1.h,S=6,W=7:2,RSac"), "a\nb\r\nc", 2)
	put(t, filepath.Join(root, "new", "100.M1P1.h"), "new\n", 1)
	put(t, filepath.Join(root, "new", "300.M1P1.h:2,F"), "x", 2)
	put(t, filepath.Join(root, "tmp", "50.M1P1.h"), "being delivered", 0)
	put(t, filepath.Join(root, "cur", ".hidden"), "not mail", 0)
	mkMaildir(t, filepath.Join(root, ".Sent"))
	put(t, filepath.Join(root, ".Sent", "cur", "1.M1.h:2,S"), "sent", 0)
	mkMaildir(t, filepath.Join(root, ".Archive.2023"))
	mkMaildir(t, filepath.Join(root, ".Entw&APw-rfe"))
	put(t, filepath.Join(root, ".Entw&APw-rfe", "new", "9.M9.h"), "draft", 0)
	mkMaildir(t, filepath.Join(root, ".Caf\u00e9")) // raw UTF-8, as mbsync writes
	if err := os.Mkdir(filepath.Join(root, ".notafolder"), 0o700); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)

	src, err := New(root, Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if src.Layout() != LayoutMaildirPP {
		t.Errorf("Layout() = %q, want %q", src.Layout(), LayoutMaildirPP)
	}
	msgs := listAll(t, src)
	type got struct {
		mailbox, id string
		flags       []string
		minutes     int
		size        int64
		exact       bool
		body        string
	}
	want := []got{
		{"INBOX", "100.M1P1.h", []string{}, 1, 4, false, "new\r\n"},
		{"INBOX", "200.M1P1.h", []string{`\Answered`, `\Seen`, "Work", "$Junk"}, 2, 7, true, "a\r\nb\r\nc"},
		{"INBOX", "300.M1P1.h", []string{`\Flagged`}, 2, 1, false, "x"},
		{"Entwürfe", "9.M9.h", []string{}, 0, 5, false, "draft"},
		{"Sent", "1.M1.h", []string{`\Seen`}, 0, 4, false, "sent"},
	}
	if len(msgs) != len(want) {
		t.Fatalf("List() gave %d messages %v, want %d", len(msgs), msgs, len(want))
	}
	for i, m := range msgs {
		w := want[i]
		g := got{m.Mailbox, m.ID, m.Flags, int(m.Date.Sub(t0) / time.Minute), m.Size, m.SizeExact, readAll(t, src, m)}
		if g.mailbox != w.mailbox || g.id != w.id || !slices.Equal(g.flags, w.flags) || g.minutes != w.minutes ||
			g.size != w.size || g.exact != w.exact || g.body != w.body {
			t.Errorf("message %d = %+v, want %+v", i, g, w)
		}
	}
	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatalf("Mailboxes() = %v", err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
	}
	if want := []string{"INBOX", "Archive/2023", "Café", "Entwürfe", "Sent"}; !slices.Equal(names, want) {
		t.Errorf("Mailboxes() = %q, want %q", names, want)
	}
	if err := src.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if after := snapshot(t, root); !mapsEqual(before, after) {
		t.Errorf("the source tree changed while reading:\nbefore %v\nafter  %v", before, after)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFSLayout(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)
	put(t, filepath.Join(root, "cur", "1.M1.h:2,S"), "inbox", 0)
	mkMaildir(t, filepath.Join(root, "Sent"))
	put(t, filepath.Join(root, "Sent", "cur", "2.M2.h:2,S"), "sent", 0)
	mkMaildir(t, filepath.Join(root, "Archive", "2023"))
	put(t, filepath.Join(root, "Archive", "2023", "cur", "3.M3.h:2,a"), "old", 0)
	put(t, filepath.Join(root, "Archive", "2023", "dovecot-keywords"), "0 Old\n", 0)
	mkMaildir(t, filepath.Join(root, "Entw&APw-rfe"))
	mkMaildir(t, filepath.Join(root, "Gelöscht"))

	src, err := New(root, Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if src.Layout() != LayoutFS {
		t.Errorf("Layout() = %q, want %q", src.Layout(), LayoutFS)
	}
	var got []string
	for _, m := range listAll(t, src) {
		got = append(got, m.Mailbox+":"+m.ID+":"+readAll(t, src, m)+":"+join(m.Flags))
	}
	want := []string{"INBOX:1.M1.h:inbox:\\Seen", "Archive/2023:3.M3.h:old:Old", "Sent:2.M2.h:sent:\\Seen"}
	if !slices.Equal(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
	boxes, _ := src.Mailboxes(context.Background())
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
	}
	if want := []string{"INBOX", "Archive/2023", "Entwürfe", "Gelöscht", "Sent"}; !slices.Equal(names, want) {
		t.Errorf("Mailboxes() = %q, want %q", names, want)
	}

	// Forcing Maildir++ on an fs tree sees only INBOX.
	pp, err := New(root, Options{Layout: LayoutMaildirPP})
	if err != nil {
		t.Fatalf("New(Layout: maildir++) = %v", err)
	}
	if n := len(listAll(t, pp)); n != 1 {
		t.Errorf("List() with forced Maildir++ = %d messages, want 1", n)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func TestFSInboxFolder(t *testing.T) {
	// mbsync's usual setup: no mail in the root, an INBOX/ folder.
	root := t.TempDir()
	mkMaildir(t, filepath.Join(root, "INBOX"))
	put(t, filepath.Join(root, "INBOX", "cur", "1.M1.h:2,"), "hi", 0)
	src, err := New(root, Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	msgs := listAll(t, src)
	if len(msgs) != 1 || msgs[0].Mailbox != "INBOX" {
		t.Errorf("List() = %+v, want one message in INBOX", msgs)
	}
}

func TestOpenAfterFlagRename(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)
	old := filepath.Join(root, "new", "1.M1.h,S=3")
	put(t, old, "a\nb", 0)
	src, err := New(root, Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	msgs := listAll(t, src)
	// A mail program reads the message meanwhile.
	if err := os.Rename(old, filepath.Join(root, "cur", "1.M1.h,S=3:2,S")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, src, msgs[0]); got != "a\r\nb" {
		t.Errorf("Open() after rename = %q, want %q", got, "a\r\nb")
	}
	if again := listAll(t, src); again[0].ID != msgs[0].ID {
		t.Errorf("ID after rename = %q, want %q", again[0].ID, msgs[0].ID)
	}
	os.Remove(filepath.Join(root, "cur", "1.M1.h,S=3:2,S"))
	_, err = src.Open(context.Background(), msgs[0])
	var me *sources.MessageError
	if !errors.As(err, &me) {
		t.Errorf("Open() of a deleted message = %v, want a *sources.MessageError", err)
	}
}

func TestDuplicateUniqueNames(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)
	put(t, filepath.Join(root, "new", "1.M1.h"), "one", 0)
	put(t, filepath.Join(root, "cur", "1.M1.h:2,S"), "two", 1)
	src, _ := New(root, Options{})
	msgs := listAll(t, src)
	if len(msgs) != 2 || msgs[0].ID == msgs[1].ID {
		t.Fatalf("List() = %+v, want two messages with distinct IDs", msgs)
	}
}

func TestNewErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "file")
	put(t, file, "x", 0)
	for _, tt := range []struct {
		root string
		opts Options
	}{
		{filepath.Join(empty, "missing"), Options{}},
		{file, Options{}},
		{empty, Options{}},
		{empty, Options{Layout: "mh"}},
	} {
		if _, err := New(tt.root, tt.opts); err == nil || !sources.IsPermanent(err) {
			t.Errorf("New(%q, %+v) = %v, want a permanent error", tt.root, tt.opts, err)
		}
	}
}

func TestSubscriptions(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)
	mkMaildir(t, filepath.Join(root, ".Sent"))
	mkMaildir(t, filepath.Join(root, ".Old"))
	mkMaildir(t, filepath.Join(root, ".a.Entw&APw-rfe"))
	put(t, filepath.Join(root, "subscriptions"), "V\t2\n\nSent\na\tEntwürfe\n", 0)
	src, _ := New(root, Options{})
	boxes, err := src.Mailboxes(context.Background())
	if err != nil {
		t.Fatalf("Mailboxes() = %v", err)
	}
	var subscribed []string
	for _, b := range boxes {
		if b.Subscribed {
			subscribed = append(subscribed, b.Name)
		}
	}
	if want := []string{"INBOX", "Sent", "a/Entwürfe"}; !slices.Equal(slices.Sorted(slices.Values(subscribed)), want) {
		t.Errorf("subscribed folders = %q, want %q", subscribed, want)
	}
}

func TestFolderDir(t *testing.T) {
	for _, tt := range []struct {
		layout       Layout
		mailbox, dir string
		ok           bool
	}{
		{LayoutMaildirPP, "INBOX", "/m", true},
		{LayoutMaildirPP, "", "/m", true},
		{LayoutMaildirPP, "Archive/2023", "/m/.Archive.2023", true},
		{LayoutMaildirPP, "Entwürfe", "/m/.Entw&APw-rfe", true},
		{LayoutMaildirPP, "v1.2", "", false},
		{LayoutMaildirPP, "a//b", "", false},
		{LayoutFS, "Archive/2023", "/m/Archive/2023", true},
		{LayoutFS, "v1.2", "/m/v1.2", true},
		{LayoutFS, "a/cur", "", false},
		{LayoutFS, "..", "", false},
		{LayoutFS, ".hidden", "", false},
		{LayoutFS, "bad\xff", "", false},
	} {
		dir, err := FolderDir("/m", tt.layout, tt.mailbox)
		if (err == nil) != tt.ok || dir != filepath.FromSlash(tt.dir) {
			t.Errorf("FolderDir(%q, %q) = %q, %v, want %q (ok %v)", tt.layout, tt.mailbox, dir, err, tt.dir, tt.ok)
		}
	}
}
