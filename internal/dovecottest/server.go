package dovecottest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long Start waits for Dovecot to accept
// connections.
const (
	startTimeout = 60 * time.Second
)

// Server is a running private Dovecot. Its methods may be called from any
// goroutine, except those taking a testing.TB, which follow the testing
// package's rules, and Restart, which may call t.Fatal.
type Server struct {
	// Users maps every account's name to its password.
	Users map[string]string

	t      testing.TB
	dir    string
	conf   string
	caFile string
	ports  ports
	bin    binaries

	mu   sync.Mutex
	proc *process // nil while stopped
}

// ports are the TCP ports of the listeners on 127.0.0.1; the TLS ones are
// 0 (disabled) without WithTLS.
type ports struct {
	IMAP, POP3, IMAPS, POP3S int
}

// process is one run of "dovecot -F".
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when dovecot has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// Start runs a private Dovecot for the rest of the test and stops it in
// t.Cleanup. It skips or fails the test as Require does when Dovecot is
// not installed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	Require(t)
	st := &settings{users: map[string]string{}}
	for name, pw := range DefaultUsers {
		st.users[name] = pw
	}
	for _, o := range opts {
		o(st)
	}
	pu, err := resolveUsers()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := makeDir(pu)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	s := &Server{Users: st.users, t: t, dir: dir, bin: lookBinaries()}
	var certFile, keyFile string
	if st.tls {
		if certFile, keyFile, err = writeCert(dir); err != nil {
			t.Fatal(err)
		}
		s.caFile = certFile
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("dovecottest: server log %s:\n%s", s.LogPath(), s.Log())
		}
	})

	// A port picked free may be taken before dovecot binds it: retry
	// with fresh ports.
	for attempt := 1; ; attempt++ {
		if s.ports, err = freePorts(st.tls); err != nil {
			t.Fatal(err)
		}
		if s.conf, err = writeConfig(dir, st, pu, s.ports, certFile, keyFile); err != nil {
			t.Fatal(err)
		}
		err = s.start()
		if err == nil {
			return s
		}
		if !errors.Is(err, errAddrInUse) || attempt == 5 {
			t.Fatal(err) // the cleanup prints the log
		}
	}
}

// makeDir creates the server's directory: short (unix socket paths are
// limited to about 100 bytes), reachable by Dovecot's users, with a mail
// directory owned by the mail user. As root it lives in /tmp, as TMPDIR
// may be private to root.
func makeDir(pu processUsers) (string, error) {
	parent := os.TempDir()
	if pu.Root || len(parent) > 40 {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "dovecottest-")
	if err != nil {
		return "", fmt.Errorf("dovecottest: create server directory: %v", err)
	}
	mail := filepath.Join(dir, "mail")
	err = os.Chmod(dir, 0o755)
	if err == nil {
		err = os.Mkdir(mail, 0o700)
	}
	if err == nil && pu.Root {
		err = os.Chown(mail, pu.Mail.UID, pu.Mail.GID)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("dovecottest: prepare server directory: %v", err)
	}
	return dir, nil
}

// freePorts asks the kernel for distinct free ports on 127.0.0.1.
func freePorts(tls bool) (ports, error) {
	n := 2
	if tls {
		n = 4
	}
	got := make([]int, 4)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("dovecottest: find a free port: %v", err)
		}
		defer l.Close()
		got[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports{IMAP: got[0], POP3: got[1], IMAPS: got[2], POP3S: got[3]}, nil
}

// errAddrInUse marks a start that failed because a port was taken.
var errAddrInUse = errors.New("address already in use")

// start runs dovecot and waits until every listener answers.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	out, err := os.OpenFile(s.outPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("dovecottest: %v", err)
	}
	defer out.Close()
	logMark := s.logSizes()
	p := &process{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Keep this thread alive while dovecot runs: Pdeathsig fires when
		// the starting thread exits. The goroutine ends (and its locked
		// thread with it) only after dovecot has exited.
		runtime.LockOSThread()
		p.cmd = exec.Command(s.bin.dovecot, "-F", "-c", s.conf)
		p.cmd.Stdout, p.cmd.Stderr = out, out
		p.cmd.SysProcAttr = procAttr()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("dovecottest: start %s: %v", s.bin.dovecot, err)
	}
	if err := s.waitReady(p, logMark); err != nil {
		stopProcess(p)
		return err
	}
	s.proc = p
	return nil
}

// waitReady waits until each listener greets, or dovecot exits.
// Only log lines written after mark count.
func (s *Server) waitReady(p *process, mark [2]int64) error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.done:
			if strings.Contains(s.logSince(mark), "Address already in use") {
				return fmt.Errorf("dovecottest: dovecot could not bind its ports: %w", errAddrInUse)
			}
			return fmt.Errorf("dovecottest: dovecot exited during startup (%v); see %s", p.err, s.LogPath())
		default:
		}
		if s.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecottest: dovecot did not accept connections within %v; see %s", startTimeout, s.LogPath())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready reports whether the plaintext listeners send their greeting and
// the TLS listeners accept connections.
func (s *Server) ready() bool {
	for _, l := range []struct {
		port     int
		greeting string
	}{{s.ports.IMAP, "* OK"}, {s.ports.POP3, "+OK"}, {s.ports.IMAPS, ""}, {s.ports.POP3S, ""}} {
		if l.port == 0 {
			continue
		}
		c, err := net.DialTimeout("tcp", addr(l.port), time.Second)
		if err != nil {
			return false
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line := ""
		if l.greeting != "" {
			line, _ = bufio.NewReader(c).ReadString('\n')
		}
		c.Close()
		if !strings.HasPrefix(line, l.greeting) {
			return false
		}
	}
	return true
}

// Stop kills Dovecot abruptly, as a crash or power cut would: open
// connections drop without a BYE and a command in flight gets no answer.
// It returns once the ports refuse connections. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	stopProcess(s.proc)
	s.proc = nil
	// A killed master leaves its pid file; the next start must not take
	// a recycled pid for a running Dovecot.
	os.Remove(filepath.Join(s.dir, "run", "master.pid"))
}

// stopProcess kills dovecot's master and all its children at once, like
// a crash: mail processes would otherwise outlive the master and keep
// serving their clients, and a graceful shutdown can take seconds while
// the master waits for its login processes. It returns once every process
// of the server has exited (or after two seconds), so that the ports are
// free and new connections are refused.
func stopProcess(p *process) {
	pid := p.cmd.Process.Pid
	signalGroup(pid, syscall.SIGKILL)
	<-p.done
	for i := 0; i < 100 && groupAlive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// Restart stops Dovecot if it runs and starts it again on the same ports
// with the same mail. It fails the test given to Start if Dovecot does not
// come back, so call it from that test's goroutine.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		// A port can stay busy for a moment after the old server's
		// processes exit.
		if err = s.start(); !errors.Is(err, errAddrInUse) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("dovecottest: restart: %v", err) // the cleanup prints the log
	}
}

func addr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
