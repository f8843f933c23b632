package integration

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/internal/corpus"
)

// killSeed returns the seed for the random kill moments: from
// MAILFERRY_KILL_SEED if set (to repeat a failure), else the clock. It
// logs the seed.
func killSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MAILFERRY_KILL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MAILFERRY_KILL_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("kill seed %d (MAILFERRY_KILL_SEED=%d repeats it)", seed, seed)
	return seed
}

// TestKillAndRerunBinary runs the mailferry binary from POP3 to IMAP,
// SIGKILLs it at random moments and reruns it until it exits 0: the
// target must then hold every message exactly once. With
// --delete-source, no kill may ever lose a message (each is on the
// source or on the target) and the final run empties the source.
func TestKillAndRerunBinary(t *testing.T) {
	for _, deleteSource := range []bool{false, true} {
		t.Run(fmt.Sprintf("delete-source=%v", deleteSource), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(killSeed(t), 2))
			srv := startDovecot(t)
			want := deliverAll(t, srv, "alice", corpus.Mixed(13, 400, 400_000)) // several batches: room for kills
			args := []string{"migrate", "--state", statePath(t), "--progress", "none",
				popURL(srv, "alice"), imapURL(srv, "bob", "")}
			if deleteSource {
				args = append(args, "--delete-source")
			}
			watch := dialIMAP(t, srv, "bob")
			defer watch.Close()
			killAndRerun(t, rng, args, len(want), func() int { return messageCount(t, watch, "INBOX") }, func(kills int) {
				if deleteSource {
					checkNothingLost(t, fmt.Sprintf("after kill %d", kills),
						popMessages(t, srv, "alice"), fetchMailbox(t, srv, "bob", "INBOX"), want)
				}
			})
			checkExactlyOnce(t, "bob's INBOX after kills and reruns", fetchMailbox(t, srv, "bob", "INBOX"), want)
			if deleteSource {
				if left := popMessages(t, srv, "alice"); len(left) != 0 {
					t.Errorf("alice's POP3 maildrop after a clean --delete-source run holds %d messages, want 0", len(left))
				}
			}
		})
	}
}

// killAndRerun runs mailferry with args, SIGKILLs the first runs at
// random moments and reruns it until it exits 0. total is the number of
// messages the target must end up with; onTarget counts what it holds;
// afterKill runs after each kill.
func killAndRerun(t *testing.T, rng *rand.Rand, args []string, total int, onTarget func() int, afterKill func(kills int)) {
	t.Helper()
	kills := 0
	for run := 0; ; run++ {
		if run > 30 {
			t.Fatalf("no clean finish after %d runs", run)
		}
		// The first runs die at a random moment: early (start-up, login,
		// listing) or once the target holds a few more messages, plus a
		// little (mid-message, between APPEND and journal); runs 6 and 7
		// once the target is complete (deletion, QUIT). Some get SIGINT,
		// as from Ctrl-C, and must exit 130. Later runs may finish.
		last := onTarget()
		var kill killAt
		switch {
		case run >= 8:
			kill = killAt{delay: 2 * time.Minute}
		case run >= 6:
			kill = killAt{count: total, delay: time.Duration(rng.IntN(40)) * time.Millisecond}
		case rng.IntN(4) == 0:
			kill = killAt{delay: time.Duration(rng.IntN(150)) * time.Millisecond}
		default:
			step := 1 + rng.IntN(max(1, (total-last)/3))
			kill = killAt{count: min(last+step, total), delay: time.Duration(rng.IntN(40)) * time.Millisecond}
		}
		kill.interrupt = run < 8 && rng.IntN(4) == 0
		start := time.Now()
		code, out := runKilled(t, args, kill, onTarget)
		if code == 0 {
			t.Logf("clean finish on run %d after %d kills (%v)", run, kills, time.Since(start))
			break
		}
		if code != -1 && !(kill.interrupt && code == 130) {
			t.Fatalf("run %d: exit code %d, want 0 or a kill (130 after SIGINT)\n%s", run, code, out)
		}
		kills++
		t.Logf("run %d killed (%+v, after %v, exit %d): target holds %d", run, kill, time.Since(start), code, onTarget())
		afterKill(kills)
	}
	if kills < 4 {
		t.Errorf("only %d kills landed; the test proves little", kills)
	}
}

// killAt says when to kill a run: once the target holds count messages
// (if count > 0), delay later.
type killAt struct {
	count     int
	delay     time.Duration
	interrupt bool // send SIGINT (Ctrl-C) instead of SIGKILL
}

// runKilled runs mailferry with args and SIGKILLs (or interrupts) it at
// the moment kill names, using onTarget to count the target's messages,
// unless it ends before. It returns the exit code (-1 when killed) and
// the tail of its output.
func runKilled(t *testing.T, args []string, kill killAt, onTarget func() int) (int, string) {
	t.Helper()
	cmd := mailferry(t, nil, args...)
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	ended := func(d time.Duration) bool {
		select {
		case <-done:
			return true
		case <-time.After(d):
			return false
		}
	}
	for kill.count > 0 && onTarget() < kill.count {
		if ended(5 * time.Millisecond) {
			break
		}
	}
	if !ended(kill.delay) {
		if kill.interrupt {
			cmd.Process.Signal(syscall.SIGINT)
			if !ended(time.Minute) {
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				t.Fatalf("mailferry %v still ran a minute after SIGINT\n%s", args, out)
			}
			return cmd.ProcessState.ExitCode(), out.String()
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return -1, out.String()
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// messageCount returns the number of messages in mailbox (STATUS), 0 if
// it does not exist yet.
func messageCount(t *testing.T, c *imapclient.Client, mailbox string) int {
	t.Helper()
	st, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil {
		return 0
	}
	return int(*st.NumMessages)
}

// checkNothingLost fails the test unless every message of want is on the
// source or the target, as often as want holds it.
func checkNothingLost(t *testing.T, when string, source, target, want []stored) {
	t.Helper()
	onSource, onTarget, need := counts(source), counts(target), counts(want)
	for _, w := range want {
		if n := onSource[w.Sum] + onTarget[w.Sum]; n < need[w.Sum] {
			t.Errorf("%s: message %s is %d times on the source and %d times on the target, want at least %d in all",
				when, w, onSource[w.Sum], onTarget[w.Sum], need[w.Sum])
			need[w.Sum] = 0
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// TestKillAndRerunMaildirParallel SIGKILLs and reruns a Maildir -> IMAP
// migration that appends over four connections at once (a Maildir can
// be read in parallel), with identical messages inside one folder and
// across folders, and LF files whose exact size is known only after
// reading: each folder must end up with each of its messages once.
func TestKillAndRerunMaildirParallel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(killSeed(t), 3))
	srv := startDovecot(t)
	root := t.TempDir()
	folders := map[string]string{"INBOX": "", "Sent": ".Sent", "Archive/2023": ".Archive.2023"}
	want := map[string][]stored{}
	twin := []byte("From: twin@example.com\r\nSubject: twin in two folders\r\n\r\nsame\r\n")
	total := 0
	for mailbox, dir := range folders {
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(root, dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		n := map[string]int{"INBOX": 300, "Sent": 80, "Archive/2023": 80}[mailbox]
		msgs := append(corpus.Mixed(uint64(len(mailbox)), n, 300_000), twin)
		for i, raw := range msgs {
			file := raw
			if i%2 == 1 {
				file = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
			}
			name := filepath.Join(root, dir, "cur", fmt.Sprintf("17000%05d.M%dP1.host:2,", i, i))
			if err := os.WriteFile(name, file, 0o600); err != nil {
				t.Fatal(err)
			}
			want[mailbox] = append(want[mailbox], stored{Sum: digest(raw), Size: int64(len(raw))})
		}
		total += len(msgs)
	}
	args := []string{"migrate", "--state", statePath(t), "--progress", "none", "--connections", "4",
		"maildir:" + root, imapURL(srv, "bob", "")}
	watch := dialIMAP(t, srv, "bob")
	defer watch.Close()
	onTarget := func() int {
		n := 0
		for mailbox := range folders {
			n += messageCount(t, watch, mailbox)
		}
		return n
	}
	killAndRerun(t, rng, args, total, onTarget, func(int) {})
	for mailbox := range folders {
		checkExactlyOnce(t, "bob's "+mailbox+" after kills and reruns", fetchMailbox(t, srv, "bob", mailbox), want[mailbox])
	}
}
