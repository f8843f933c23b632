package imap

import (
	"testing"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

func TestConformance(t *testing.T) {
	// sourcetest builds twice per subtest and expects the same IDs: one
	// server per subtest, filled once.
	servers := map[*testing.T]*testServer{}
	sourcetest.Run(t, sourcetest.Caps{Flags: true, Dates: true}, func(t *testing.T, fx []sourcetest.Fixture) sources.Source {
		ts := servers[t]
		if ts == nil {
			ts = newTestServer(t, fullCaps)
			for _, f := range fx {
				ts.add(t, "INBOX", f.Raw, f.Flags, f.Date)
			}
			servers[t] = ts
		}
		return newSource(t, ts, Options{})
	})
}

func TestStreamerConformance(t *testing.T) {
	sourcetest.RunStreamer(t, func(t *testing.T, fx []sourcetest.Fixture) sources.Source {
		ts := newTestServer(t, fullCaps)
		for _, f := range fx {
			ts.add(t, "INBOX", f.Raw, f.Flags, f.Date)
		}
		return newSource(t, ts, Options{})
	})
}
