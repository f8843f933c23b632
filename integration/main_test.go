package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mailferry/mailferry/internal/dovecottest"
)

// Every test server knows alice (the POP3 source) and bob (the IMAP
// target) with these passwords; the environment carries them the way a
// person running mailferry would set them.
var (
	srcPassword = dovecottest.DefaultUsers["alice"]
	dstPassword = dovecottest.DefaultUsers["bob"]
)

// mailferryBin is the mailferry binary built by TestMain, or "" when
// Dovecot is missing (the tests then skip before needing it).
var mailferryBin string

// buildErr says why the binary could not be built.
var buildErr error

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// In-process runs (runner.Build) read the passwords from the
	// environment. Setting them once here keeps the tests parallel
	// (t.Setenv forbids t.Parallel).
	os.Setenv("MAILFERRY_SRC_PASSWORD", srcPassword)
	os.Setenv("MAILFERRY_DST_PASSWORD", dstPassword)
	if dovecottest.Available() || os.Getenv(dovecottest.RequireEnv) == "1" {
		dir, err := os.MkdirTemp("", "mailferry-integration-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		mailferryBin = filepath.Join(dir, "mailferry")
		cmd := exec.Command("go", "build", "-o", mailferryBin, "./cmd/mailferry")
		cmd.Dir = ".."
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/mailferry: %v\n%s", err, out.Bytes())
		}
	}
	return m.Run()
}

// mailferry returns a command running the built binary with args and
// extra environment variables (on top of this process's).
func mailferry(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if mailferryBin == "" {
		t.Fatal("the mailferry binary was not built (Dovecot missing?)")
	}
	cmd := exec.Command(mailferryBin, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// runBinary runs mailferry to its end and returns its exit code,
// standard output and standard error.
func runBinary(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := mailferry(t, env, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run %s: %v", mailferryBin, err)
		}
	}
	return cmd.ProcessState.ExitCode(), o.String(), e.String()
}

// tailBuffer keeps the last 64 KiB written to it (a child's output).
type tailBuffer struct{ b []byte }

func (l *tailBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = l.b[len(l.b)-64<<10:]
	}
	return len(p), nil
}

func (l *tailBuffer) String() string { return string(l.b) }
