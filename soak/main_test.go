package soak

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// mailferryBin is the mailferry binary built by TestMain.
var mailferryBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mailferry-soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	mailferryBin = filepath.Join(dir, "mailferry")
	cmd := exec.Command("go", "build", "-o", mailferryBin, "../cmd/mailferry")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ../cmd/mailferry: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// seed returns the seed of a test's random choices: MAILFERRY_SOAK_SEED
// if set (to repeat a failure), else the clock. It logs the seed.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("MAILFERRY_SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("MAILFERRY_SOAK_SEED=%q: %v", v, err)
		}
		s = n
	}
	t.Logf("seed %d (MAILFERRY_SOAK_SEED=%d repeats it)", s, s)
	return s
}

// long reports whether the long soak was asked for.
func long() bool { return os.Getenv("MAILFERRY_SOAK") == "long" }

// result is how a mailferry run ended.
type result struct {
	code           int // exit code, -1 when killed by a signal
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// command returns the mailferry binary with args, this process's
// environment plus env.
func command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(mailferryBin, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// run runs mailferry to its end.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := command(env, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run %s: %v", mailferryBin, err)
		}
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: o.String(), stderr: e.String()}
}

// running is a mailferry process started in the background.
type running struct {
	cmd      *exec.Cmd
	out, err *tailBuffer
	done     chan struct{}
}

func start(t *testing.T, env []string, args ...string) *running {
	t.Helper()
	r := &running{cmd: command(env, args...), out: &tailBuffer{}, err: &tailBuffer{}, done: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.err
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", mailferryBin, err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() { r.kill() })
	return r
}

// ended waits up to d for the process to end and reports whether it did.
func (r *running) ended(d time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(d):
		return false
	}
}

// kill SIGKILLs the process (if it still runs) and waits for it.
func (r *running) kill() {
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// result returns how the ended process ended.
func (r *running) result() result {
	<-r.done
	code := r.cmd.ProcessState.ExitCode()
	if ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = -1
	}
	return result{code: code, stdout: r.out.String(), stderr: r.err.String()}
}

// tailBuffer keeps the last 64 KiB written to it.
type tailBuffer struct{ b []byte }

func (l *tailBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = l.b[len(l.b)-64<<10:]
	}
	return len(p), nil
}

func (l *tailBuffer) String() string { return string(l.b) }
