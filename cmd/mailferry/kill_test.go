package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// killCorpus is a mix of sizes plus the cases that must arrive intact.
func killCorpus(n int) [][]byte {
	var msgs [][]byte
	for i, size := range corpus.Sizes(7, n) {
		msgs = append(msgs, corpus.Message(7, i, min(size, 1_500_000)))
	}
	twin := []byte("From: a@example.com\r\nSubject: twin\r\n\r\nsame\r\n")
	msgs = append(msgs, twin, twin,
		[]byte("Subject: no message-id, dots\r\n\r\n.\r\n..\r\n.x\r\n"),
		[]byte("Subject: empty body\r\n\r\n"))
	return msgs
}

// mailferryCmd runs this test binary as the mailferry command.
func mailferryCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	// testscript.Main (TestMain) put a "mailferry" link to this test
	// binary on PATH; it dispatches on the program name.
	path, err := exec.LookPath("mailferry")
	if err != nil {
		t.Fatalf("mailferry not on PATH: %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestKillAndRerun SIGKILLs a POP3 -> IMAP migration at random moments
// and reruns it until it finishes: the target must then hold every
// message exactly once, byte for byte. With --delete-source, the source
// must keep every message the target does not have.
func TestKillAndRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test runs child processes")
	}
	for _, deleteSource := range []bool{false, true} {
		t.Run(fmt.Sprintf("delete-source=%v", deleteSource), func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d (set MAILFERRY_KILL_SEED to repeat)", seed)
			if s := os.Getenv("MAILFERRY_KILL_SEED"); s != "" {
				fmt.Sscan(s, &seed)
			}
			rng := rand.New(rand.NewPCG(seed, 1))
			msgs := killCorpus(400)
			pop := pop3test.NewServer(t, pop3test.WithUser("alice", "pw"), pop3test.WithMessages(msgs...))
			imap, _ := imaptest.NewServer(t)
			state := filepath.Join(t.TempDir(), "state.db")
			env := []string{"MAILFERRY_SRC_PASSWORD=pw", "MAILFERRY_DST_PASSWORD=" + imaptest.Password}
			args := []string{"migrate", "--state", state, "--progress", "none",
				"pop3://alice@" + pop.Addr() + "?tls=none", "imap://" + imaptest.Username + "@" + imap + "?tls=none"}
			if deleteSource {
				args = append(args, "--delete-source")
			}
			kills := 0
			for run := 0; ; run++ {
				if run > 60 {
					t.Fatalf("no clean finish after %d runs", run)
				}
				cmd := mailferryCmd(t, env, args...)
				out := &limitedBuffer{}
				cmd.Stdout, cmd.Stderr = out, out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				// The first runs are killed at random moments (process
				// start, login, mid-message, between append and journal,
				// during deletion); later ones may finish.
				delay := time.Duration(5+rng.IntN(60)) * time.Millisecond
				if run >= 8 {
					delay = 2 * time.Minute
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("run %d: %v\n%s", run, err, out)
					}
					t.Logf("finished on run %d after %d kills", run, kills)
					if kills < 2 {
						t.Fatalf("only %d kills landed before the run finished; the test proves nothing", kills)
					}
					goto verify
				case <-time.After(delay):
					cmd.Process.Signal(syscall.SIGKILL)
					<-done
					kills++
				}
			}
		verify:
			got := imaptest.Fetch(t, imap, imaptest.Username, imaptest.Password, "INBOX")
			want := map[string]int{}
			for _, m := range msgs {
				want[string(m)]++
			}
			have := map[string]int{}
			for _, m := range got {
				have[string(m.Body)]++
			}
			for raw, n := range want {
				if have[raw] != n {
					t.Errorf("target holds %d copies of a %d-byte message, want %d", have[raw], len(raw), n)
				}
			}
			if len(got) != len(msgs) {
				t.Errorf("target holds %d messages, want %d", len(got), len(msgs))
			}
			if deleteSource {
				if left := len(pop.Messages()); left != 0 {
					t.Errorf("source keeps %d messages after a clean --delete-source run, want 0", left)
				}
			}
		})
	}
}

// limitedBuffer keeps the last 64 KiB of a child's output.
type limitedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = l.b[len(l.b)-64<<10:]
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// TestSigtermDrains sends SIGTERM mid-run: mailferry finishes the
// message in flight, journals it, exits 130, and a rerun completes.
func TestSigtermDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	msgs := killCorpus(400)
	pop := pop3test.NewServer(t, pop3test.WithUser("alice", "pw"), pop3test.WithMessages(msgs...))
	imap, _ := imaptest.NewServer(t)
	state := filepath.Join(t.TempDir(), "state.db")
	env := []string{"MAILFERRY_SRC_PASSWORD=pw", "MAILFERRY_DST_PASSWORD=" + imaptest.Password}
	args := []string{"migrate", "--state", state, "--progress", "plain", "--progress-interval", "1h",
		"pop3://alice@" + pop.Addr() + "?tls=none", "imap://" + imaptest.Username + "@" + imap + "?tls=none"}
	cmd := mailferryCmd(t, env, args...)
	out := &limitedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signal once the transfer has started (the plan is printed): the
	// handler is installed and most messages are still to come.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "plan:"); {
		if time.Now().After(deadline) {
			t.Fatalf("no plan printed:\n%s", out)
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitSignal {
		t.Fatalf("after SIGTERM: exit %d (%v), want %d\n%s", code, err, exitSignal, out)
	}
	if !strings.Contains(out.String(), "stopping after the messages in flight") {
		t.Errorf("output does not say it is stopping: %s", out)
	}
	rerun := mailferryCmd(t, env, args...)
	if b, err := rerun.CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, b)
	}
	got := imaptest.Fetch(t, imap, imaptest.Username, imaptest.Password, "INBOX")
	if len(got) != len(msgs) {
		t.Errorf("target holds %d messages, want %d", len(got), len(msgs))
	}
}
