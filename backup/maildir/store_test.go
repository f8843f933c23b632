package maildir_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	store "github.com/mailferry/mailferry/backup/maildir"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/maildir"
)

var date = time.Date(2022, 11, 3, 8, 15, 42, 0, time.UTC)

type delivery struct {
	mailbox string
	flags   []string
	raw     string
}

func list(t *testing.T, root string) (*maildir.Source, []sources.Message) {
	t.Helper()
	src, err := maildir.New(root, maildir.Options{})
	if err != nil {
		t.Fatalf("maildir.New(%s) = %v", root, err)
	}
	var msgs []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error {
		msgs = append(msgs, m)
		return nil
	}); err != nil {
		t.Fatalf("List() = %v", err)
	}
	return src, msgs
}

func read(t *testing.T, src sources.Source, m sources.Message) string {
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

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func TestRoundTrip(t *testing.T) {
	for _, layout := range []maildir.Layout{maildir.LayoutMaildirPP, maildir.LayoutFS} {
		t.Run(string(layout), func(t *testing.T) { roundTrip(t, layout) })
	}
}

func roundTrip(t *testing.T, layout maildir.Layout) {
	root := filepath.Join(t.TempDir(), "backup")
	st, err := store.OpenLayout(root, layout)
	if err != nil {
		t.Fatalf("OpenLayout(%q) = %v", layout, err)
	}
	in := []delivery{
		{"INBOX", []string{`\Seen`, `\Flagged`}, "Subject: one\r\n\r\nbody\r\n"},
		{"INBOX", nil, "Subject: two\r\n\r\n.\r\n"},
		{"Sent", []string{`\Seen`, `\Answered`, `$Forwarded`, "Work", "$Junk"}, "Subject: sent\r\n\r\nx\r\n"},
		{"Entwürfe", []string{`\Draft`}, "Subject: Gr\xc3\xbc\xc3\x9fe\r\n\r\n\xc3\xa4\r\n"},
		{"Archive/2023", []string{`\Deleted`, "Work"}, "Subject: old\r\n\r\n"},
	}
	names := map[string]string{}
	for i, d := range in {
		name, digest, err := st.Deliver(d.mailbox, d.flags, date.Add(time.Duration(i)*time.Hour), strings.NewReader(d.raw))
		if err != nil {
			t.Fatalf("Deliver(%q) = %v", d.mailbox, err)
		}
		if err := st.Verify(d.mailbox, name, digest); err != nil {
			t.Errorf("Verify(%q, %s) = %v", d.mailbox, name, err)
		}
		names[d.raw] = name
	}

	src, msgs := list(t, root)
	if got := src.Layout(); got != layout {
		t.Errorf("detected layout = %q, want %q", got, layout)
	}
	order := []int{0, 1, 4, 3, 2} // INBOX, then folders by name
	if len(msgs) != len(in) {
		t.Fatalf("List() gave %d messages, want %d", len(msgs), len(in))
	}
	for i, m := range msgs {
		d := in[order[i]]
		wantFlags := slices.DeleteFunc(slices.Clone(d.flags), func(f string) bool { return f == `\Recent` })
		if m.Mailbox != d.mailbox || !slices.Equal(sorted(m.Flags), sorted(wantFlags)) {
			t.Errorf("message %d = %s %q, want %s %q", i, m.Mailbox, m.Flags, d.mailbox, wantFlags)
		}
		if got := read(t, src, m); got != d.raw {
			t.Errorf("Open(%s) = %q, want %q", m.ID, got, d.raw)
		}
		if !m.SizeExact || m.Size != int64(len(d.raw)) {
			t.Errorf("message %s: Size = %d (exact %v), want %d exact", m.ID, m.Size, m.SizeExact, len(d.raw))
		}
		if want := date.Add(time.Duration(order[i]) * time.Hour); !m.Date.Equal(want) {
			t.Errorf("message %s: Date = %v, want %v", m.ID, m.Date, want)
		}
		if !strings.HasPrefix(names[d.raw], m.ID+",") {
			t.Errorf("message ID %q is not the unique part of %q", m.ID, names[d.raw])
		}
	}

	// Folder names on disk, in modified UTF-7, and permissions.
	dirs := map[maildir.Layout][]string{
		maildir.LayoutMaildirPP: {".Sent", ".Entw&APw-rfe", ".Archive.2023"},
		maildir.LayoutFS:        {"Sent", "Entw&APw-rfe", filepath.Join("Archive", "2023")},
	}[layout]
	for _, d := range dirs {
		for _, sub := range []string{"", "cur", "new", "tmp"} {
			fi, err := os.Stat(filepath.Join(root, d, sub))
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("folder %s/%s: %v, %v, want a 0700 directory", d, sub, fi.Mode(), err)
			}
		}
		if layout == maildir.LayoutMaildirPP {
			if _, err := os.Stat(filepath.Join(root, d, "maildirfolder")); err != nil {
				t.Errorf("folder %s has no maildirfolder file: %v", d, err)
			}
		}
	}
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
				t.Errorf("file %s has mode %v, want 0600", p, fi.Mode().Perm())
			}
		}
		return nil
	})
}

func TestKeywordsFile(t *testing.T) {
	root := t.TempDir()
	st, err := store.Open(root)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	// A keyword file Dovecot already wrote is kept, gaps included.
	if err := os.WriteFile(filepath.Join(root, "dovecot-keywords"), []byte("0 Old\n2 $Junk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	name, _, err := st.Deliver("INBOX", []string{"Work", "$junk", `\Recent`, "bad keyword", `\Seen`}, date, strings.NewReader("x"))
	if err != nil {
		t.Fatalf("Deliver() = %v", err)
	}
	if !strings.HasSuffix(name, ":2,Sbc") {
		t.Errorf("Deliver() name = %q, want info 2,Sbc", name)
	}
	kw, _ := os.ReadFile(filepath.Join(root, "dovecot-keywords"))
	if want := "0 Old\n1 Work\n2 $Junk\n"; string(kw) != want {
		t.Errorf("dovecot-keywords = %q, want %q", kw, want)
	}
	var many []string
	for i := range 30 {
		many = append(many, "k"+string(rune('A'+i)))
	}
	name, _, err = st.Deliver("INBOX", many, date, strings.NewReader("y"))
	if err != nil {
		t.Fatalf("Deliver(30 keywords) = %v", err)
	}
	_, info, _ := maildir.ParseName(name)
	if len(info) != 2+23 {
		t.Errorf("Deliver(30 keywords) info = %q, want the 23 letters left", info)
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "dovecot-keywords.") {
			t.Errorf("left over %s after updating keywords", e.Name())
		}
	}
	_, msgs := list(t, root)
	if want := []string{"$Junk", "Work", `\Seen`}; !slices.Equal(sorted(msgs[0].Flags), want) {
		t.Errorf("read back flags = %q, want %q", msgs[0].Flags, want)
	}
}

func TestSetFlags(t *testing.T) {
	root := t.TempDir()
	st, _ := store.Open(root)
	name, digest, err := st.Deliver("Sent", []string{`\Seen`}, date, strings.NewReader("m"))
	if err != nil {
		t.Fatalf("Deliver() = %v", err)
	}
	_, before := list(t, root)
	newName, err := st.SetFlags("Sent", name, []string{`\Seen`, `\Answered`, "Done"})
	if err != nil {
		t.Fatalf("SetFlags() = %v", err)
	}
	if err := st.Verify("Sent", newName, digest); err != nil {
		t.Errorf("Verify(after SetFlags) = %v", err)
	}
	_, after := list(t, root)
	if after[0].ID != before[0].ID || !slices.Equal(sorted(after[0].Flags), []string{"Done", `\Answered`, `\Seen`}) {
		t.Errorf("after SetFlags: %s %q, want %s [Done \\Answered \\Seen]", after[0].ID, after[0].Flags, before[0].ID)
	}
	if !after[0].Date.Equal(date) {
		t.Errorf("after SetFlags: Date = %v, want %v", after[0].Date, date)
	}
	if _, err := st.SetFlags("Sent", name, nil); err == nil {
		t.Errorf("SetFlags(old name) = nil, want an error")
	}
}

func TestVerifyDamaged(t *testing.T) {
	root := t.TempDir()
	st, _ := store.Open(root)
	name, digest, _ := st.Deliver("INBOX", nil, date, strings.NewReader("hello"))
	if err := os.WriteFile(filepath.Join(root, "cur", name), []byte("hellO"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.Verify("INBOX", name, digest); err == nil {
		t.Errorf("Verify(damaged) = nil, want an error")
	}
	if err := st.Verify("INBOX", "../x", digest); err == nil {
		t.Errorf("Verify(../x) = nil, want an error")
	}
}

// failingReader delivers some bytes, then fails.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestDeliverFailureLeavesNothing(t *testing.T) {
	root := t.TempDir()
	st, _ := store.Open(root)
	if _, _, err := st.Deliver("INBOX", nil, date, &failingReader{n: 100000}); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("Deliver(failing reader) = %v, want the read error", err)
	}
	// cur/ replaced by a file: the rename fails.
	if err := st.EnsureMailbox("Broken"); err != nil {
		t.Fatalf("EnsureMailbox() = %v", err)
	}
	cur := filepath.Join(root, ".Broken", "cur")
	os.Remove(cur)
	os.WriteFile(cur, nil, 0o600)
	if _, _, err := st.Deliver("Broken", nil, date, strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), cur) {
		t.Errorf("Deliver(cur is a file) = %v, want an error naming %s", err, cur)
	}
	for _, dir := range []string{"tmp", "cur", filepath.Join(".Broken", "tmp")} {
		if entries, _ := os.ReadDir(filepath.Join(root, dir)); len(entries) != 0 {
			t.Errorf("%s holds %d files after failed deliveries, want none", dir, len(entries))
		}
	}
}

func TestReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	root := t.TempDir()
	st, _ := store.Open(root)
	os.Chmod(filepath.Join(root, "tmp"), 0o500)
	defer os.Chmod(filepath.Join(root, "tmp"), 0o700)
	_, _, err := st.Deliver("INBOX", nil, date, strings.NewReader("x"))
	if err == nil || !sources.IsPermanent(err) || !strings.Contains(err.Error(), root) {
		t.Errorf("Deliver(read-only tmp/) = %v, want a permanent error naming the path", err)
	}
}

func TestBadMailboxNames(t *testing.T) {
	st, _ := store.Open(t.TempDir())
	for _, mb := range []string{"v1.2", "a//b", "..", "bad\xff"} {
		if _, _, err := st.Deliver(mb, nil, date, strings.NewReader("x")); err == nil {
			t.Errorf("Deliver(%q) = nil, want an error", mb)
		}
	}
}

func TestLFInputKeptAsIs(t *testing.T) {
	root := t.TempDir()
	st, _ := store.Open(root)
	raw := "Subject: lf\n\nline\r\nmixed\n"
	name, _, err := st.Deliver("INBOX", nil, date, strings.NewReader(raw))
	if err != nil {
		t.Fatalf("Deliver() = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "cur", name)); !bytes.Equal(b, []byte(raw)) {
		t.Errorf("stored bytes = %q, want %q", b, raw)
	}
	src, msgs := list(t, root)
	want := "Subject: lf\r\n\r\nline\r\nmixed\r\n"
	if got := read(t, src, msgs[0]); got != want || msgs[0].Size != int64(len(want)) || !msgs[0].SizeExact {
		t.Errorf("read back %q (size %d exact %v), want %q (size %d exact)", got, msgs[0].Size, msgs[0].SizeExact, want, len(want))
	}
}

func TestConcurrentKeywords(t *testing.T) {
	// Two Stores on one tree (as parallel transfers use) add keywords at
	// the same time: every keyword gets one letter, none is lost.
	root := t.TempDir()
	a, _ := store.Open(root)
	b, _ := store.Open(root)
	done := make(chan error)
	for i, st := range []*store.Store{a, b, a, b} {
		go func() {
			var err error
			for j := range 5 {
				kw := []string{"k" + string(rune('a'+i*5+j)), "shared"}
				if _, _, e := st.Deliver("INBOX", kw, date, strings.NewReader("m")); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatalf("Deliver() = %v", err)
		}
	}
	_, msgs := list(t, root)
	seen := map[string]int{}
	for _, m := range msgs {
		for _, f := range m.Flags {
			seen[f]++
		}
	}
	if len(msgs) != 20 || len(seen) != 21 || seen["shared"] != 20 {
		t.Errorf("read back %d messages with keywords %v, want 20 messages, 20 own keywords and shared on each", len(msgs), seen)
	}
}
