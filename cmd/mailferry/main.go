// Command mailferry moves and backs up email without losing a byte:
// POP3, IMAP, mbox and Maildir sources into IMAP accounts, resumable and
// exactly once. Run "mailferry --help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0 // every source message is on the target
	exitMessages = 1 // the run finished, but some messages failed (listed)
	exitUsage    = 2 // bad command line, job file or endpoint
	exitFailed   = 3 // the job could not finish (login, connection, state)
	exitSignal   = 130
)

func main() {
	// The first SIGINT or SIGTERM lets the messages in flight finish and
	// be journaled; a second one stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drain := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "mailferry: stopping after the messages in flight (signal again to stop at once)")
		close(drain)
		<-sigs
		cancel()
	}()
	os.Exit(runDrain(ctx, drain, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code; tests call it
// directly.
func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	return runDrain(ctx, nil, args, stdin, stdout, stderr)
}

// runDrain is run with a channel that, once closed, asks running jobs to
// stop gracefully.
func runDrain(ctx context.Context, drain <-chan struct{}, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr, drain)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) && ce.err == nil {
		return ce.code
	}
	printError(stderr, err)
	if errors.As(err, &ce) {
		return ce.code
	}
	if ctx.Err() != nil {
		return exitSignal
	}
	// cobra's own errors: unknown flags, wrong argument counts
	return exitUsage
}

// codeError carries an exit code; a nil err means "already reported".
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *codeError) Unwrap() error { return e.err }

func usageError(err error) error  { return &codeError{exitUsage, err} }
func failedError(err error) error { return &codeError{exitFailed, err} }

// hinted is an error with advice for a person.
type hinted struct {
	err  error
	hint []string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func withHint(err error, hint ...string) error { return &hinted{err, hint} }

func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "mailferry: error: %s\n", err)
	var h *hinted
	if errors.As(err, &h) {
		for _, line := range h.hint {
			fmt.Fprintf(w, "hint: %s\n", line)
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "login rejected") || strings.Contains(msg, "AUTHENTICATIONFAILED"):
		fmt.Fprintln(w, "hint: check the user name and the password (MAILFERRY_SRC_PASSWORD / MAILFERRY_DST_PASSWORD or the --*-password-file flags)")
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "certificate"):
		fmt.Fprintln(w, "hint: for a private or self-signed certificate add ?ca=FILE to the URL (or ?insecure=true, not recommended)")
	case strings.Contains(msg, "connection refused"):
		fmt.Fprintln(w, "hint: is the host and port right? pop3s/imaps use 995/993, pop3/imap 110/143")
	}
}
