package migrate

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/memsource"
)

// maxListedBytes bounds the heap a run holds per listed message once it
// has planned. The engine keeps two int32 per message (its plan slots);
// the listing itself is encoded in blocks, spilled to a temporary file
// beyond a few thousand messages. What remains (about 90 bytes) is the
// test source's own. A listing held as sources.Message values again
// (112 bytes each plus strings) fails.
const maxListedBytes = 150

// TestListingMemory plans a run over many messages, half of them
// journaled, and checks the live heap per listed message.
func TestListingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 20,000 messages")
	}
	const n = 20_000
	raw := []byte("Subject: small\r\n\r\nbody\r\n")
	msgs := make([]memsource.Message, n)
	for i := range msgs {
		msgs[i] = memsource.Message{Raw: raw}
	}
	box := memsource.NewBox(msgs...)
	j, err := journal.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	var done []journal.Entry
	for i := 0; i < n; i += 2 {
		done = append(done, journal.Entry{Job: "mem", SrcMailbox: "INBOX", SrcID: fmt.Sprintf("m%d", i), DstMailbox: "INBOX",
			Identity: fmt.Sprint(i), Size: int64(len(raw)), How: "appended"})
	}
	if err := j.Record(ctx, done...); err != nil {
		t.Fatal(err)
	}
	done = nil

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	job := &Job{
		Name:       "mem",
		OpenSource: func(context.Context) (sources.Source, error) { return box.Source(), nil },
		Journal:    j,
		Options:    Options{DryRun: true},
		Events: func(ev Event) {
			if ev.Kind == EventPlanned {
				runtime.GC()
				runtime.ReadMemStats(&after)
			}
		},
	}
	sum, err := Run(ctx, job)
	if err != nil || sum.Planned != n/2 || sum.AlreadyThere != n/2 {
		t.Fatalf("Run(dry run) = %d planned, %d journaled, %v, want %d, %d, nil", sum.Planned, sum.AlreadyThere, err, n/2, n/2)
	}
	perMsg := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d bytes of heap per listed message", perMsg)
	if perMsg > maxListedBytes {
		t.Errorf("heap per listed message after planning = %d bytes, want at most %d", perMsg, maxListedBytes)
	}
}
