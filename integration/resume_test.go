package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/migrate"
)

// deliverAll puts msgs into user's INBOX and returns what POP3 serves.
func deliverAll(t *testing.T, srv *dovecottest.Server, user string, msgs [][]byte) []stored {
	t.Helper()
	for _, m := range msgs {
		srv.Deliver(t, user, "INBOX", m)
	}
	served := popMessages(t, srv, user)
	if len(served) != len(msgs) {
		t.Fatalf("POP3 LIST as %s = %d messages, want %d", user, len(served), len(msgs))
	}
	return served
}

// checkExactlyOnce fails the test unless got holds every message of want
// exactly as often as want does, and nothing else.
func checkExactlyOnce(t *testing.T, where string, got, want []stored) {
	t.Helper()
	have, need := counts(got), counts(want)
	for _, w := range want {
		if have[w.Sum] != need[w.Sum] {
			t.Errorf("%s holds %d copies of message %s, want %d", where, have[w.Sum], w, need[w.Sum])
			need[w.Sum] = have[w.Sum] // report each message once
		}
	}
	for _, g := range got {
		if need[g.Sum] == 0 {
			t.Errorf("%s holds a message the source never had: %s %.120q", where, g, g.Body)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s holds %d messages, want %d", where, len(got), len(want))
	}
}

// removeState deletes a state database with its WAL files, as a person
// who "starts over" would.
func removeState(t *testing.T, state string) {
	t.Helper()
	files, _ := filepath.Glob(state + "*")
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeletedStateNoDuplicates interrupts a run, throws the state
// database away and runs again, twice: the target must be recognised,
// each message ending up there exactly once.
func TestDeletedStateNoDuplicates(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	want := deliverAll(t, srv, "alice", corpus.Mixed(3, 100, 200_000)) // more than one batch
	j := newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", ""))
	state := statePath(t)

	ctx, cancel := context.WithCancel(context.Background())
	copied := 0
	_, err := runJob(ctx, t, j, state, func(ev migrate.Event) {
		if ev.Kind == migrate.EventCopied {
			if copied++; copied == 10 {
				cancel()
			}
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("migrate.Run cancelled after 10 copies = %v, want context.Canceled", err)
	}
	partial := len(fetchMailbox(t, srv, "bob", "INBOX"))
	if partial < 10 || partial >= len(want) {
		t.Fatalf("after the interrupted run bob holds %d messages, want 10 to %d", partial, len(want)-1)
	}

	removeState(t, state)
	sum := mustRun(t, j, state)
	if sum.Copied+sum.AlreadyThere != int64(len(want)) || sum.AlreadyThere < 10 {
		t.Errorf("rerun without state: Copied %d + AlreadyThere %d, want %d with at least 10 found on the target", sum.Copied, sum.AlreadyThere, len(want))
	}
	checkExactlyOnce(t, "bob's INBOX after a rerun without state", fetchMailbox(t, srv, "bob", "INBOX"), want)

	removeState(t, state)
	sum = mustRun(t, j, state)
	if sum.Copied != 0 || sum.AlreadyThere != int64(len(want)) {
		t.Errorf("second rerun without state: Copied = %d, AlreadyThere = %d, want 0, %d", sum.Copied, sum.AlreadyThere, len(want))
	}
	checkExactlyOnce(t, "bob's INBOX after a second rerun without state", fetchMailbox(t, srv, "bob", "INBOX"), want)
}

// TestServerCrashMidRun kills Dovecot in the middle of a run (while a
// large message is being appended) and brings it back: the run must
// either retry through the outage or fail, and a rerun must leave every
// message on the target exactly once.
func TestServerCrashMidRun(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	msgs := corpus.Mixed(5, 30, 100_000)
	big := corpus.Message(5, 999, 20<<20)
	msgs = append(msgs[:10], append([][]byte{big}, msgs[10:]...)...)
	want := deliverAll(t, srv, "alice", msgs)
	j := newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", ""))
	state := statePath(t)

	paused, resume := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	copied, retries := 0, 0
	go func() {
		sum, err := runJob(context.Background(), t, j, state, func(ev migrate.Event) {
			if ev.Kind == migrate.EventRetry {
				retries++
				t.Logf("retry %d (wait %v): %v", ev.Attempt, ev.Wait, ev.Err)
			}
			if ev.Kind == migrate.EventCopied {
				if copied++; copied == 10 {
					close(paused)
					<-resume
				}
			}
		})
		if err == nil && !sum.OK() {
			err = errors.New("some messages failed")
		}
		done <- err
	}()
	select {
	case <-paused:
	case err := <-done:
		t.Fatalf("migrate.Run ended before its tenth copy: %v", err)
	}
	close(resume)                     // the 20 MB message is next
	time.Sleep(30 * time.Millisecond) // let its APPEND start
	srv.Stop()
	time.Sleep(1500 * time.Millisecond)
	srv.Restart()
	switch err := <-done; {
	case err != nil:
		t.Logf("the run through the outage failed (allowed): %v", err)
	case retries == 0:
		t.Errorf("migrate.Run through a server outage reported no retry and no error, want one of them")
	default:
		t.Logf("the run retried through the outage (%d retries)", retries)
	}

	mustRun(t, j, state)
	checkExactlyOnce(t, "bob's INBOX after the crash and a rerun", fetchMailbox(t, srv, "bob", "INBOX"), want)
}

// TestDeleteSourceClean checks that a clean --delete-source run empties
// the POP3 maildrop only after the target holds everything.
func TestDeleteSourceClean(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	want := deliverAll(t, srv, "alice", corpus.Mixed(9, 30, 200_000))
	j := newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", ""))
	j.DeleteSource = true
	state := statePath(t)
	sum := mustRun(t, j, state)
	if sum.Deleted != int64(len(want)) {
		t.Errorf("--delete-source run: Deleted = %d, want %d", sum.Deleted, len(want))
	}
	checkExactlyOnce(t, "bob's INBOX after --delete-source", fetchMailbox(t, srv, "bob", "INBOX"), want)
	if left := popMessages(t, srv, "alice"); len(left) != 0 {
		t.Errorf("alice's POP3 maildrop after --delete-source holds %d messages, want 0", len(left))
	}

	// New mail arrives; the next run moves just that.
	late := deliverAll(t, srv, "alice", [][]byte{[]byte("Subject: arrived later\r\n\r\nlate\r\n")})
	if sum := mustRun(t, j, state); sum.Copied != 1 || sum.Deleted != 1 {
		t.Errorf("--delete-source run after new mail: Copied = %d, Deleted = %d, want 1, 1", sum.Copied, sum.Deleted)
	}
	checkExactlyOnce(t, "bob's INBOX after new mail", fetchMailbox(t, srv, "bob", "INBOX"), append(want, late...))
	if left := popMessages(t, srv, "alice"); len(left) != 0 {
		t.Errorf("alice's POP3 maildrop after the second --delete-source run holds %d messages, want 0", len(left))
	}
}
