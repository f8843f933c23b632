package mbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

// TestConformance writes the fixtures with Writer, as LF files, and
// runs the shared suite on them. mbox carries dates in "From " lines;
// flags only in headers, which the fixtures do not have.
func TestConformance(t *testing.T) {
	for _, lf := range []bool{true, false} {
		name := "CRLF"
		if lf {
			name = "LF"
		}
		t.Run(name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Caps{Dates: true}, func(t *testing.T, fixtures []sourcetest.Fixture) sources.Source {
				path := filepath.Join(t.TempDir(), "fixtures.mbox")
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				w, _ := NewWriter(f, "")
				for _, fx := range fixtures {
					raw := fx.Raw
					if lf {
						raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
					}
					if err := w.WriteMessage("fixture@example.com", fx.Date, bytes.NewReader(raw)); err != nil {
						t.Fatal(err)
					}
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				src, err := New(path, Options{})
				if err != nil {
					t.Fatalf("New(%s) = %v", path, err)
				}
				return src
			})
		})
	}
}
