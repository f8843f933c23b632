package maildir_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	store "github.com/mailferry/mailferry/backup/maildir"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/maildir"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

func TestConformance(t *testing.T) {
	// The suite builds the source several times and expects the same IDs
	// each time, as a real Maildir gives; so the fixtures are delivered
	// once and every build reads that one tree.
	root := t.TempDir()
	var delivered int
	build := func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
		if delivered == 0 {
			st, err := store.Open(root)
			if err != nil {
				t.Fatalf("store.Open() = %v", err)
			}
			for _, f := range fixtures {
				if _, _, err := st.Deliver("INBOX", f.Flags, f.Date, bytes.NewReader(f.Raw)); err != nil {
					t.Fatalf("Deliver() = %v", err)
				}
			}
			delivered = len(fixtures)
		} else if delivered != len(fixtures) {
			t.Fatalf("the suite asked for %d fixtures, then %d", delivered, len(fixtures))
		}
		src, err := maildir.New(root, maildir.Options{})
		if err != nil {
			t.Fatalf("New() = %v", err)
		}
		return src
	}
	sourcetest.Run(t, sourcetest.Caps{Flags: true, Dates: true}, build)
}

// TestConformanceLF runs the suite on files with LF line endings, as
// mutt and most delivery agents write them, and no Dovecot size fields.
func TestConformanceLF(t *testing.T) {
	root := t.TempDir()
	var written bool
	build := func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
		if !written {
			for _, sub := range []string{"cur", "new", "tmp"} {
				if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			for i, f := range fixtures {
				var letters []byte
				for _, fl := range f.Flags {
					letters = append(letters, maildir.SystemLetter(fl))
				}
				name := fmt.Sprintf("%d.M%dP1.test:%s", 1600000000+i, i, maildir.Info(letters))
				path := filepath.Join(root, "cur", name)
				lf := bytes.ReplaceAll(f.Raw, []byte("\r\n"), []byte("\n"))
				if err := os.WriteFile(path, lf, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(path, f.Date, f.Date); err != nil {
					t.Fatal(err)
				}
			}
			written = true
		}
		src, err := maildir.New(root, maildir.Options{})
		if err != nil {
			t.Fatalf("New() = %v", err)
		}
		return src
	}
	sourcetest.Run(t, sourcetest.Caps{Flags: true, Dates: true}, build)
}
