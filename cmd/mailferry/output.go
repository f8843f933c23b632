package main

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
)

// syncWriter serialises writes from jobs running in parallel.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// prefixWriter puts a prefix before every line (one Write per line or
// more: callers write whole lines).
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		out.WriteString(p.prefix)
		out.Write(line)
	}
	if _, err := p.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// printTable writes the per-job table after several jobs.
func printTable(w io.Writer, results []jobResult) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "job\tcopied\talready there\tfailed\tbytes\ttime\tstatus")
	for _, r := range results {
		status := "ok"
		switch {
		case r.err != nil:
			status = r.err.Error() // last column: never cut
		case r.sum != nil && !r.sum.OK():
			status = "some messages failed"
		}
		if r.sum == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\n", r.name, status)
			continue
		}
		s := r.sum
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", r.name, s.Copied, s.AlreadyThere, len(s.Failed),
			humanize.Bytes(uint64(max(s.Bytes, 0))), s.Elapsed.Round(10*time.Millisecond), status)
	}
	tw.Flush()
}
