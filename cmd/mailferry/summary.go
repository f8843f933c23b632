package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/mailferry/mailferry/migrate"
)

// printSummary writes the end-of-run summary of one job.
func printSummary(w io.Writer, name string, s *migrate.Summary, err error) {
	status := "done"
	switch {
	case err != nil:
		status = "stopped"
	case s.DryRun:
		status = "dry run, nothing written"
	case !s.OK():
		status = "done with failures"
	}
	fmt.Fprintf(w, "\nsummary: %s (%s)\n", name, status)
	if s.DryRun {
		fmt.Fprintf(w, "  would copy     %d messages (%s)\n", s.Planned, humanize.Bytes(uint64(s.PlannedBytes)))
		if s.WouldFree > 0 {
			fmt.Fprintf(w, "  would free     %s on the source\n", humanize.Bytes(uint64(s.WouldFree)))
		}
		if s.QuotaKnown {
			fmt.Fprintf(w, "  quota          %s used of %s\n", humanize.Bytes(uint64(s.QuotaBefore)), humanize.Bytes(uint64(s.QuotaLimit)))
		}
		fmt.Fprintf(w, "  already there  %d\n", s.AlreadyThere)
		return
	}
	fmt.Fprintf(w, "  copied         %d messages (%s)\n", s.Copied, humanize.Bytes(uint64(max(s.Bytes, 0))))
	fmt.Fprintf(w, "  already there  %d\n", s.AlreadyThere)
	if s.Incremental {
		fmt.Fprintf(w, "  listed         only mail that arrived since the last complete run\n")
	}
	fmt.Fprintf(w, "  failed         %d\n", len(s.Failed))
	if s.FlagsSynced > 0 {
		fmt.Fprintf(w, "  flags synced   %d\n", s.FlagsSynced)
	}
	if s.Deleted > 0 || s.DeleteSkipped != "" {
		fmt.Fprintf(w, "  deleted        %d from the source (%s freed)", s.Deleted, humanize.Bytes(uint64(s.FreedBytes)))
		if s.DeleteSkipped != "" {
			fmt.Fprintf(w, " (%s)", s.DeleteSkipped)
		}
		fmt.Fprintln(w)
	}
	if s.QuotaKnown {
		fmt.Fprintf(w, "  quota          %s used of %s before, %s after\n", humanize.Bytes(uint64(s.QuotaBefore)),
			humanize.Bytes(uint64(s.QuotaLimit)), humanize.Bytes(uint64(s.QuotaAfter)))
	}
	rate := ""
	if secs := s.Elapsed.Seconds(); secs > 0 && s.Bytes > 0 {
		rate = fmt.Sprintf(", %s/s", humanize.Bytes(uint64(float64(s.Bytes)/secs)))
	}
	fmt.Fprintf(w, "  time           %s%s\n", s.Elapsed.Round(10*time.Millisecond), rate)
	if len(s.DroppedFlags) > 0 {
		fmt.Fprintf(w, "  not stored     flags the target does not accept: %s\n", strings.Join(s.DroppedFlags, " "))
	}
	for _, f := range s.Failed {
		fmt.Fprintf(w, "  failed: %s: %s: %v\n", f.Mailbox, f.Location, f.Err)
	}
}
