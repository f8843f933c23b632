package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

// benchTB lets the benchmark use internal/dovecottest, which is written
// for tests and takes a testing.TB. The embedded nil interface supplies
// testing.TB's unexported method; the methods dovecottest calls (Helper,
// Fatal, Fatalf, Skipf, Cleanup, Logf, Failed) are implemented here, and
// any other call would panic, which is what we want to learn about.
//
// Fatal and Skipf print, run the cleanups (which stop Dovecot and remove
// its directory) and exit.
type benchTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// newBenchTB returns a benchTB whose cleanups also run on SIGINT and
// SIGTERM, so an interrupted benchmark leaves no server or directory.
func newBenchTB() *benchTB {
	t := &benchTB{}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "bench: %v: cleaning up\n", s)
		t.runCleanups()
		os.Exit(130)
	}()
	return t
}

func (t *benchTB) Helper() {}

func (t *benchTB) Name() string { return "bench" }

func (t *benchTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *benchTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *benchTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func (t *benchTB) Log(args ...any) { fmt.Fprintln(os.Stderr, append([]any{"bench:"}, args...)...) }

func (t *benchTB) Fatal(args ...any) { t.fail(fmt.Sprint(args...)) }

func (t *benchTB) Fatalf(format string, args ...any) { t.fail(fmt.Sprintf(format, args...)) }

func (t *benchTB) Skipf(format string, args ...any) { t.fail(fmt.Sprintf(format, args...)) }

func (t *benchTB) Errorf(format string, args ...any) {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	t.Logf(format, args...)
}

// fail reports msg, cleans up and exits with status 1.
func (t *benchTB) fail(msg string) {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	fmt.Fprintln(os.Stderr, "bench:", msg)
	t.runCleanups()
	os.Exit(1)
}

// runCleanups runs the registered cleanups once, last first.
func (t *benchTB) runCleanups() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
