package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/runner"
	"github.com/mailferry/mailferry/migrate"
)

// profile runs mailferry's engine inside this process, the way
// "mailferry migrate" does (runner.Build, then migrate.Run), on the
// imap-small case into a fresh account, with the CPU profiler on. Only
// the migration is profiled, not the setup. With memFile it also writes
// the allocation profile. Read them with "go tool pprof -top FILE".
func profile(e *env, cpuFile, memFile string) error {
	c, missing := e.source("small")
	if c == nil {
		return fmt.Errorf("profile needs Dovecot: %s", missing[0].note)
	}
	target, err := e.lab.freshTarget()
	if err != nil {
		return err
	}
	src := srcAccount(c)
	os.Setenv("MAILFERRY_SRC_PASSWORD", src.password)
	os.Setenv("MAILFERRY_DST_PASSWORD", targetPassword)
	srcEP, err := endpoint.Parse(e.lab.imapURL(src.user))
	if err != nil {
		return err
	}
	dstEP, err := endpoint.Parse(e.lab.imapURL(target))
	if err != nil {
		return err
	}
	jr, err := journal.Open(filepath.Join(e.dir, "profile-state.db"))
	if err != nil {
		return err
	}
	defer jr.Close()
	ctx := context.Background()
	job, err := runner.Build(ctx, &jobfile.Job{
		Name: "bench", Source: srcEP.String(), Target: dstEP.String(), Mode: jobfile.ModeMigrate, Connections: 4,
	}, runner.Env{Journal: jr, IndexDir: filepath.Join(e.dir, "mbox-index")})
	if err != nil {
		return err
	}

	f, err := os.Create(cpuFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	sum, err := migrate.Run(ctx, job)
	elapsed := time.Since(start)
	pprof.StopCPUProfile()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("profiled: %d messages copied (%d already there) in %.2fs, %.0f msg/s; CPU profile in %s\n",
		sum.Copied, sum.AlreadyThere, elapsed.Seconds(), float64(sum.Copied)/elapsed.Seconds(), cpuFile)
	if err := wantCount(target, c.messages, func() (int, error) { return e.lab.countIMAP(target) }); err != nil {
		return err
	}
	if memFile != "" {
		runtime.GC()
		mf, err := os.Create(memFile)
		if err != nil {
			return err
		}
		defer mf.Close()
		if err := pprof.Lookup("allocs").WriteTo(mf, 0); err != nil {
			return err
		}
		fmt.Printf("allocation profile in %s (go tool pprof -sample_index=alloc_space -top %s)\n", memFile, memFile)
	}
	return nil
}
