package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mailferry/mailferry/internal/jobfile"
)

// clock is the daemon's view of time; tests replace it.
type clock struct {
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

var realClock = clock{now: time.Now, after: time.After}

// runDaemon runs the scheduled jobs of a job file on time until it is
// asked to stop. Jobs run one at a time, so a job never overlaps itself
// (and the per-job lock in the state directory keeps other processes
// out); a run that takes longer than its interval skips the missed
// times. The first SIGINT/SIGTERM lets the message in flight finish and
// the journal commit, then the daemon exits 0.
func runDaemon(ctx context.Context, g *globals, path string, jobs []*jobfile.Job, report string, clk clock, maxRuns int) error {
	var scheduled []*jobfile.Job
	for _, j := range jobs {
		if j.Schedule != nil {
			scheduled = append(scheduled, j)
		}
	}
	if len(scheduled) == 0 {
		return usageError(fmt.Errorf("%s: no job has a schedule; add `schedule: \"0 3 * * *\"` to a job", path))
	}
	next := make([]time.Time, len(scheduled))
	for i, j := range scheduled {
		next[i] = j.Schedule.Next(clk.now())
		fmt.Fprintf(g.stdout, "daemon: job %s (%s) next runs at %s\n", j.Name, j.Schedule, next[i].Format(time.RFC3339))
	}
	runs := 0
	for {
		first := 0
		for i := range next {
			if next[i].Before(next[first]) {
				first = i
			}
		}
		select {
		case <-clk.after(next[first].Sub(clk.now())):
		case <-g.drain:
			fmt.Fprintln(g.stdout, "daemon: stopped")
			return nil
		case <-ctx.Done():
			return nil
		}
		j := scheduled[first]
		fmt.Fprintf(g.stdout, "daemon: %s: starting job %s\n", clk.now().Format(time.RFC3339), j.Name)
		err := runJobs(ctx, g, []*jobfile.Job{j}, report)
		status := "ok"
		if err != nil {
			status = err.Error()
		}
		fmt.Fprintf(g.stdout, "daemon: %s: job %s finished: %s\n", clk.now().Format(time.RFC3339), j.Name, status)
		next[first] = j.Schedule.Next(clk.now())
		if runs++; maxRuns > 0 && runs >= maxRuns {
			return nil
		}
		select {
		case <-g.drain:
			fmt.Fprintln(g.stdout, "daemon: stopped")
			return nil
		default:
		}
	}
}
