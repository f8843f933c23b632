package dovecottest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// RequireEnv is the environment variable that turns a missing or
// unsupported Dovecot from a skipped test into a failed one when set to
// "1".
const RequireEnv = "MAILFERRY_REQUIRE_DOVECOT"

// binaries holds the result of looking for the Dovecot programs, once per
// test binary.
type binaries struct {
	dovecot string // path of the dovecot master binary
	doveadm string // path of doveadm
	version string // output of "dovecot --version", e.g. "2.3.19.1 (9b53102964)"
	err     error  // why Dovecot cannot be used, or nil
}

var (
	findOnce sync.Once
	found    binaries
)

// lookBinaries finds dovecot and doveadm in PATH or in the usual sbin/bin
// directories (a normal user's PATH often lacks /usr/sbin) and checks the
// version, which decides the configuration syntax.
func lookBinaries() binaries {
	findOnce.Do(func() {
		found.dovecot, found.err = lookPath("dovecot", "/usr/sbin", "/usr/local/sbin", "/sbin")
		if found.err != nil {
			return
		}
		found.doveadm, found.err = lookPath("doveadm", "/usr/bin", "/usr/local/bin", "/usr/sbin")
		if found.err != nil {
			return
		}
		out, err := exec.Command(found.dovecot, "--version").Output()
		if err != nil {
			found.err = fmt.Errorf("dovecottest: %s --version failed: %v", found.dovecot, err)
			return
		}
		found.version = strings.TrimSpace(string(out))
		if !strings.HasPrefix(found.version, "2.3.") {
			found.err = fmt.Errorf("dovecottest: dovecot %s is not supported: the private config uses Dovecot 2.3 syntax", found.version)
		}
	})
	return found
}

// lookPath finds name in PATH, then in dirs.
func lookPath(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := d + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("dovecottest: %s not found in PATH or %s; install dovecot-imapd and dovecot-pop3d (apt-get install dovecot-imapd dovecot-pop3d)",
		name, strings.Join(dirs, ", "))
}

// Available reports whether a supported Dovecot (2.3) is installed.
func Available() bool {
	return lookBinaries().err == nil
}

// Version returns the installed Dovecot's version string, or "" if
// Dovecot is not available.
func Version() string {
	return lookBinaries().version
}

// Require skips the test when no supported Dovecot is installed, or fails
// it when the environment variable MAILFERRY_REQUIRE_DOVECOT is "1".
func Require(t testing.TB) {
	t.Helper()
	b := lookBinaries()
	if b.err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%v (%s=1 forbids skipping)", b.err, RequireEnv)
	}
	t.Skipf("%v (set %s=1 to fail instead of skipping)", b.err, RequireEnv)
}
