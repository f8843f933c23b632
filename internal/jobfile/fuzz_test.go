package jobfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailferry/mailferry/internal/endpoint"
)

// FuzzLoad checks that Load never panics and that every job it accepts
// has endpoints that parse. Seeds live in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("../../jobs.example.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("defaults: &d\n  connections: 2\njobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    <<: *d\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "jobs.yaml")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := Load(p)
		if err != nil {
			return
		}
		for _, j := range file.Jobs {
			for _, s := range []string{j.Source, j.Target} {
				if _, err := endpoint.Parse(s); err != nil {
					t.Fatalf("Load accepted job %q with endpoint %q: Parse: %v", j.Name, s, err)
				}
			}
		}
	})
}
