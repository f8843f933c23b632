package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/lock"
	"github.com/mailferry/mailferry/internal/runner"
	"github.com/mailferry/mailferry/migrate"
	"golang.org/x/term"
)

// runJobs runs jobs, g.parallel at a time (one by default), rendering
// progress and a summary for each and a table at the end when there are
// several, and returns an error carrying the exit code.
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
	if g.stdin != nil && term.IsTerminal(int(g.stdin.Fd())) && g.parallel <= 1 {
		stdin = g.stdin
	}
	parallel := max(g.parallel, 1)
	gj := *g
	if parallel > 1 && len(jobs) > 1 {
		// Bars cannot share a terminal: each job prints plain lines
		// prefixed with its name.
		gj.stdout, gj.stderr = &syncWriter{w: g.stdout}, &syncWriter{w: g.stderr}
		if gj.progress != "none" {
			gj.progress = "plain"
		}
	}
	results := make([]jobResult, len(jobs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, jf := range jobs {
		if ctx.Err() != nil || stopped(g.drain) {
			results[i] = jobResult{name: jf.Name, code: exitSignal, err: migrate.ErrStopped}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = runOne(ctx, &gj, jf, jr, stdin, statePath, parallel > 1 && len(jobs) > 1)
		}()
	}
	wg.Wait()

	code := exitOK
	var reports []report
	for _, r := range results {
		code = max(code, r.code)
		if r.sum != nil {
			reports = append(reports, newReport(r.name, r.key, r.sum, r.err))
		}
	}
	if len(jobs) > 1 {
		printTable(g.stdout, results)
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

// jobResult is one job's outcome, for the table and the exit code.
type jobResult struct {
	name, key string
	sum       *migrate.Summary
	err       error
	code      int
}

// runOne runs one job; a failing job never stops the others.
func runOne(ctx context.Context, g *globals, jf *jobfile.Job, jr *journal.Journal, stdin *os.File, statePath string, prefixed bool) jobResult {
	res := jobResult{name: jf.Name}
	gj := *g
	if prefixed {
		gj.stdout = &prefixWriter{w: g.stdout, prefix: "[" + jf.Name + "] "}
		gj.stderr = &prefixWriter{w: g.stderr, prefix: "[" + jf.Name + "] "}
	}
	g = &gj
	job, err := runner.Build(ctx, jf, runner.Env{
		Journal: jr, Stdin: stdin, IndexDir: filepath.Join(filepath.Dir(statePath), "mbox-index"),
		Warn: func(s string) { fmt.Fprintf(g.stderr, "mailferry: warning: %s\n", s) },
	})
	if err != nil {
		printError(g.stderr, err)
		res.err, res.code = err, exitUsage
		return res
	}
	res.key = job.Name
	lk, err := lock.Acquire(filepath.Join(filepath.Dir(statePath), "locks"), job.Name)
	if err != nil {
		printError(g.stderr, withHint(err, "wait for the other run to finish, or stop it"))
		res.err, res.code = err, exitFailed
		return res
	}
	defer lk.Release()
	ui := newProgress(g, job)
	job.Events = ui.event
	job.Drain = g.drain
	ui.start()
	sum, runErr := migrate.Run(ctx, job)
	ui.stop()
	printSummary(g.stdout, job.Name, sum, runErr)
	res.sum, res.err = sum, runErr
	switch {
	case errors.Is(runErr, migrate.ErrStopped) || (runErr != nil && ctx.Err() != nil):
		fmt.Fprintf(g.stderr, "mailferry: %v\n", runErr)
		res.code = exitSignal
	case runErr != nil:
		printError(g.stderr, runErr)
		res.code = exitFailed
	case !sum.OK():
		res.code = exitMessages
	}
	return res
}

func stopped(drain <-chan struct{}) bool {
	select {
	case <-drain:
		return true
	default:
		return false
	}
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
