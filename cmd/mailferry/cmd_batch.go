package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/spf13/cobra"
)

// batchOptions are the flags of "mailferry batch".
type batchOptions struct {
	migrateOptions
	shard string
}

func newBatchCmd(g *globals) *cobra.Command {
	var o batchOptions
	cmd := &cobra.Command{
		Use:   "batch FILE.csv SRC DST",
		Short: "Migrate many accounts listed in a CSV file (imapsync style)",
		Long: `Migrate every account listed in a CSV file, one line per account in the form
imapsync users keep:

  user1,password1,user2,password2

SRC and DST are endpoint URLs without a user (imaps://old.example.com,
imaps://new.example.com/Imported); each line's users are put in. Lines
starting with # and empty lines are skipped. The file holds passwords: keep it
mode 0600 (mailferry warns otherwise); they are never printed.

Accounts run --parallel at a time; one account's failure does not stop the
others; a table of all accounts follows, and --report writes it as JSON.
--shard I/N runs the I-th of N disjoint slices of the lines, for spreading a
large batch over several machines.`,
		Example: `  mailferry batch accounts.csv imaps://old.example.com imaps://new.example.com --parallel 8 --report report.json
  mailferry batch accounts.csv imaps://old.example.com imaps://new.example.com --shard $JOB_COMPLETION_INDEX/20`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBatch(cmd.Context(), g, o, args[0], args[1], args[2])
		},
	}
	addMigrateFlags(cmd, &o.migrateOptions)
	cmd.Flags().IntVar(&g.parallel, "parallel", 4, "migrate `N` accounts at once")
	cmd.Flags().StringVar(&o.shard, "shard", "", "run only the I-th of N disjoint slices of the accounts, `I/N`")
	return cmd
}

func runBatch(ctx context.Context, g *globals, o batchOptions, path, src, dst string) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(g.stderr, "mailferry: warning: %s holds passwords and is readable by others (mode %04o); chmod 600 %s\n", path, fi.Mode().Perm(), path)
	}
	jobs, err := o.batchJobs(f, path, src, dst)
	if err != nil {
		return usageError(err)
	}
	if o.shard != "" {
		if jobs, err = shard(jobs, o.shard); err != nil {
			return usageError(err)
		}
	}
	return runJobs(ctx, g, jobs, o.report)
}

// batchJobs reads the CSV lines into jobs.
func (o batchOptions) batchJobs(r io.Reader, path, src, dst string) ([]*jobfile.Job, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var jobs []*jobfile.Job
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err) // csv errors name the line, never the content
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 4 || rec[0] == "" || rec[2] == "" {
			return nil, fmt.Errorf("%s:%d: want user1,password1,user2,password2 (4 fields), got %d", path, line, len(rec))
		}
		s, err := withUser(src, rec[0])
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		d, err := withUser(dst, rec[2])
		if err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
		j, err := o.job(s, d)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		j.Name = rec[0]
		j.SourceSecret.Value, j.TargetSecret.Value = rec[1], rec[3]
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("%s: no accounts", path)
	}
	return jobs, nil
}

// withUser puts user into an endpoint URL given without one.
func withUser(u, user string) (string, error) {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "", fmt.Errorf("%q: batch endpoints are server URLs such as imaps://host", u)
	}
	if strings.Contains(strings.SplitN(rest, "/", 2)[0], "@") {
		return "", fmt.Errorf("%q: leave the user out; the CSV file gives it", u)
	}
	s := scheme + "://" + strings.ReplaceAll(user, "@", "%40") + "@" + rest
	if _, err := endpoint.Parse(s); err != nil {
		return "", err
	}
	return s, nil
}
