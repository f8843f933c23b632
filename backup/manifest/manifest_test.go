package manifest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestAppendAfterTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	d := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Append(path, Entry{File: "1.M1", Size: 10, SHA256: "ab", Date: d}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"file":"2.M2","si`) // a crash in the middle of a line
	f.Close()
	if err := Append(path, Entry{File: "3.M3", Size: 30, Flags: []string{`\Seen`}}); err != nil {
		t.Fatal(err)
	}
	entries, bad, err := Read(path)
	if err != nil || bad != 1 || len(entries) != 2 || entries[0].File != "1.M1" || !entries[0].Date.Equal(d) || entries[1].File != "3.M3" || entries[1].Flags[0] != `\Seen` {
		t.Errorf("Read() = %+v, %d bad, %v; want 1.M1 and 3.M3, 1 bad line", entries, bad, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode = %v, want 0600", fi.Mode().Perm())
	}
	if entries, bad, err := Read(filepath.Join(t.TempDir(), "none")); err != nil || bad != 0 || len(entries) != 0 {
		t.Errorf("Read(missing) = %v, %d, %v; want nothing", entries, bad, err)
	}
}

func TestMboxPaths(t *testing.T) {
	p := MboxPath("/b/Work.sbd/Projects.zst")
	if want := "/b/Work.sbd/.Projects.zst.mailferry-manifest.jsonl"; p != want {
		t.Errorf("MboxPath() = %q, want %q", p, want)
	}
	if got := MboxFile(p); got != "/b/Work.sbd/Projects.zst" {
		t.Errorf("MboxFile(%q) = %q, want /b/Work.sbd/Projects.zst", p, got)
	}
	if got := MboxFile("/b/" + FileName); got != "" {
		t.Errorf("MboxFile(maildir manifest) = %q, want \"\"", got)
	}
}
