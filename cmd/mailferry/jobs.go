package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/lock"
	"github.com/mailferry/mailferry/internal/runner"
	"github.com/mailferry/mailferry/migrate"
	"golang.org/x/term"
)

// runJobs runs jobs one after the other, rendering progress and a
// summary for each, and returns an error carrying the exit code.
func runJobs(ctx context.Context, g *globals, jobs []*jobfile.Job, reportPath string) error {
	statePath := g.state
	if statePath == "" {
		p, err := journal.DefaultPath()
		if err != nil {
			return usageError(err)
		}
		statePath = p
	}
	jr, err := journal.Open(statePath)
	if err != nil {
		return failedError(withHint(err, "use --state FILE to put the state database elsewhere"))
	}
	defer jr.Close()

	var stdin *os.File
	if g.stdin != nil && term.IsTerminal(int(g.stdin.Fd())) {
		stdin = g.stdin
	}
	code := exitOK
	var reports []report
	for _, jf := range jobs {
		job, err := runner.Build(ctx, jf, runner.Env{
			Journal: jr, Stdin: stdin,
			Warn: func(s string) { fmt.Fprintf(g.stderr, "mailferry: warning: %s\n", s) },
		})
		if err != nil {
			printError(g.stderr, err)
			code = max(code, exitUsage)
			continue
		}
		lk, err := lock.Acquire(filepath.Join(filepath.Dir(statePath), "locks"), job.Name)
		if err != nil {
			printError(g.stderr, withHint(err, "wait for the other run to finish, or stop it"))
			code = max(code, exitFailed)
			continue
		}
		ui := newProgress(g, job)
		job.Events = ui.event
		job.Drain = g.drain
		ui.start()
		sum, runErr := migrate.Run(ctx, job)
		ui.stop()
		lk.Release()
		printSummary(g.stdout, job.Name, sum, runErr)
		reports = append(reports, newReport(jf.Name, job.Name, sum, runErr))
		switch {
		case errors.Is(runErr, migrate.ErrStopped) || (runErr != nil && ctx.Err() != nil):
			fmt.Fprintf(g.stderr, "mailferry: %v\n", runErr)
			code = max(code, exitSignal)
		case runErr != nil:
			printError(g.stderr, runErr)
			code = max(code, exitFailed)
		case !sum.OK():
			code = max(code, exitMessages)
		}
		if ctx.Err() != nil || code == exitSignal {
			break
		}
	}
	if reportPath != "" {
		if err := writeReport(reportPath, reports); err != nil {
			printError(g.stderr, err)
			code = max(code, exitFailed)
		}
	}
	if code != exitOK {
		return &codeError{code: code}
	}
	return nil
}

// report is the JSON form of one job's outcome (--report).
type report struct {
	Job          string    `json:"job"`
	Journal      string    `json:"journal_key"`
	OK           bool      `json:"ok"`
	Error        string    `json:"error,omitempty"`
	DryRun       bool      `json:"dry_run"`
	SourceTotal  int64     `json:"source_messages"`
	Planned      int64     `json:"planned"`
	PlannedBytes int64     `json:"planned_bytes"`
	Copied       int64     `json:"copied"`
	AlreadyThere int64     `json:"already_there"`
	Deleted      int64     `json:"deleted_from_source"`
	Bytes        int64     `json:"bytes"`
	Seconds      float64   `json:"seconds"`
	Failed       []failure `json:"failed"`
}

type failure struct {
	Mailbox  string `json:"mailbox"`
	Location string `json:"location"`
	Error    string `json:"error"`
}

func newReport(name, key string, s *migrate.Summary, err error) report {
	r := report{Job: name, Journal: key, OK: err == nil && s.OK(), DryRun: s.DryRun, SourceTotal: s.SourceTotal,
		Planned: s.Planned, PlannedBytes: s.PlannedBytes, Copied: s.Copied, AlreadyThere: s.AlreadyThere,
		Deleted: s.Deleted, Bytes: s.Bytes, Seconds: s.Elapsed.Seconds(), Failed: []failure{}}
	if err != nil {
		r.Error = err.Error()
	}
	for _, f := range s.Failed {
		r.Failed = append(r.Failed, failure{f.Mailbox, f.Location, f.Err.Error()})
	}
	return r
}

func writeReport(path string, reports []report) error {
	b, err := json.MarshalIndent(map[string]any{"jobs": reports, "written": time.Now().UTC()}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
