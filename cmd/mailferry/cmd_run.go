package main

import (
	"context"
	"fmt"

	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/spf13/cobra"
)

type runOptions struct {
	job    string
	report string
	dryRun bool
	daemon bool
	shard  string
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run the jobs of a YAML job file",
		Long: `Run the jobs of a YAML job file (jobs.example.yaml documents every key), one
after the other, or only the one named with --job. A job file builds exactly
the same job as the equivalent "mailferry migrate" command line, and shares its
state: either can resume the other.

With --daemon, mailferry stays running and starts every job that has a
"schedule:" (five-field cron syntax, local time) on time. A job never overlaps
itself: jobs run one at a time, and a lock in the state directory keeps a
second process from running the same job. SIGINT/SIGTERM let the message in
flight finish and the journal commit before the daemon exits.

Unknown keys and bad values are errors that name file:line.`,
		Example: `  mailferry run jobs.yaml
  mailferry run jobs.yaml --job alice-pop3-to-imap --dry-run
  mailferry run jobs.yaml --daemon`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFile(cmd.Context(), g, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.job, "job", "", "run only the job called `NAME`")
	cmd.Flags().StringVar(&o.report, "report", "", "write a JSON report of the run to `FILE`")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "only count what would be copied; write nothing")
	cmd.Flags().IntVar(&g.parallel, "parallel", 1, "run `N` jobs (accounts) at once; one failing job does not stop the others")
	cmd.Flags().StringVar(&o.shard, "shard", "", "run only the I-th of N disjoint slices of the jobs, `I/N` (0 <= I < N), e.g. $JOB_COMPLETION_INDEX/10")
	cmd.Flags().BoolVar(&o.daemon, "daemon", false, "stay running and start each job with a schedule: on time (cron syntax)")
	return cmd
}

func runFile(ctx context.Context, g *globals, o runOptions, path string) error {
	f, err := jobfile.Load(path)
	if err != nil {
		return usageError(err)
	}
	var jobs []*jobfile.Job
	if o.job != "" {
		j, err := f.Job(o.job)
		if err != nil {
			return usageError(err)
		}
		jobs = append(jobs, j)
	} else {
		for i := range f.Jobs {
			jobs = append(jobs, &f.Jobs[i])
		}
	}
	if o.shard != "" {
		if jobs, err = shard(jobs, o.shard); err != nil {
			return usageError(err)
		}
	}
	for _, j := range jobs {
		if o.dryRun {
			j.DryRun = true
		}
	}
	if g.state == "" && f.State != "" {
		g.state = f.State
	}
	if o.daemon {
		return runDaemon(ctx, g, path, jobs, o.report, realClock, 0)
	}
	return runJobs(ctx, g, jobs, o.report)
}

// shard keeps the jobs whose position in the file is I modulo N: the
// same file gives every machine a disjoint, deterministic slice, and
// together the slices cover every job.
func shard(jobs []*jobfile.Job, spec string) ([]*jobfile.Job, error) {
	var i, n int
	if _, err := fmt.Sscanf(spec, "%d/%d", &i, &n); err != nil || n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("--shard %q: want I/N with 0 <= I < N, e.g. 0/4", spec)
	}
	var out []*jobfile.Job
	for k, j := range jobs {
		if k%n == i {
			out = append(out, j)
		}
	}
	return out, nil
}
