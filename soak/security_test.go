package soak

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/chaos"
	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

const (
	knownPassword = "S3cr3t-pa55-xyzzy"
	wrongPassword = "S3cr3t-pa55-WR0NG"
)

// secretForms are the ways a password could leak: as is, and inside a
// base64 AUTHENTICATE PLAIN response.
func secretForms(user string) []string {
	var forms []string
	for _, pw := range []string{knownPassword, wrongPassword} {
		forms = append(forms, pw, base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pw)))
	}
	return forms
}

// checkNoSecret fails the test if b holds a password in any form.
func checkNoSecret(t *testing.T, what string, b []byte, forms []string) {
	t.Helper()
	for _, f := range forms {
		if bytes.Contains(b, []byte(f)) {
			t.Errorf("%s contains the password (%q)", what, f)
		}
	}
}

// TestNoPasswordLeaks runs migrations whose passwords are known, with a
// report, plain progress, a wrong password, a refused message, a kill
// (which leaves the database's WAL behind) and an mbox source (which
// leaves a scan index beside the state): the password must appear in
// no output, report or state file, and the state must be private.
func TestNoPasswordLeaks(t *testing.T) {
	t.Parallel()
	for _, source := range []string{"pop3", "imap"} {
		t.Run(source, func(t *testing.T) {
			t.Parallel()
			msgs := corpus.Mixed(41, 30, 20_000)
			msgs = append(msgs, append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("x"), 40_000)...)) // refused: over APPENDLIMIT
			dst := imaptest.NewServerOptions(t, imaptest.Options{Password: knownPassword, Username: "bob", AppendLimit: 30_000,
				AppendHook: func(string) error { time.Sleep(5 * time.Millisecond); return nil }})
			var srcURL, user string
			if source == "pop3" {
				pop := pop3test.NewServer(t, pop3test.WithUser("alice", knownPassword), pop3test.WithMessages(msgs...))
				srcURL, user = "pop3://alice@"+pop.Addr()+"?tls=none", "alice"
			} else {
				src := imaptest.NewServerOptions(t, imaptest.Options{Username: "carol", Password: knownPassword})
				for _, m := range msgs {
					storeIMAP(t, src.User, "INBOX", m, []string{`\Seen`}, time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC))
				}
				srcURL, user = "imap://carol@"+src.Addr+"?tls=none", "carol"
			}
			dstURL := "imap://bob@" + dst.Addr + "?tls=none"
			dir := t.TempDir()
			stateDir := filepath.Join(dir, "state")
			state := filepath.Join(stateDir, "state.db")
			report := filepath.Join(dir, "r.json")
			pwFile := filepath.Join(dir, "src.pass")
			if err := os.WriteFile(pwFile, []byte(knownPassword+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			forms := append(secretForms(user), secretForms("bob")...)
			var outputs []result
			common := []string{"migrate", "--state", state, "--report", report, "--progress", "plain", "--progress-interval", "10ms"}

			// A wrong target password: exit 3, nothing copied.
			r := run(t, []string{"MAILFERRY_SRC_PASSWORD=" + knownPassword, "MAILFERRY_DST_PASSWORD=" + wrongPassword},
				append(common, srcURL, dstURL)...)
			if r.code != 3 {
				t.Errorf("mailferry migrate with a wrong target password: %s\nwant exit 3", r)
			}
			outputs = append(outputs, r)

			// Killed once something was copied: the WAL stays behind.
			env := []string{"MAILFERRY_DST_PASSWORD=" + knownPassword}
			args := append(append(common, "--src-password-file", pwFile), srcURL, dstURL)
			k := start(t, env, args...)
			for countIMAP(dst.User, "INBOX") < 3 && !k.ended(2*time.Millisecond) {
			}
			k.kill()
			outputs = append(outputs, k.result())
			t.Logf("killed run: exit %d, target holds %d", k.result().code, countIMAP(dst.User, "INBOX"))
			scanState(t, stateDir, forms) // with the WAL of the killed run

			// The rest, with a refused message and an open password file.
			r = run(t, env, args...)
			if r.code != 1 {
				t.Errorf("mailferry migrate with a message over APPENDLIMIT: %s\nwant exit 1", r)
			}
			if !hasAll(r.stderr, "readable by others") {
				t.Errorf("mailferry migrate --src-password-file with a 0644 file: stderr = %q, want a warning that it is readable by others", r.stderr)
			}
			outputs = append(outputs, r)

			// An mbox source leaves its scan index beside the state.
			mbox := filepath.Join(dir, "in.mbox")
			os.WriteFile(mbox, []byte("From a@b Sat Jan  3 01:05:34 2004\nSubject: m\n\nbody\n"), 0o600)
			r = run(t, env, "migrate", "--state", state, "--progress", "plain", "mbox:"+mbox, dstURL)
			if r.code != 0 {
				t.Errorf("mailferry migrate mbox: %s", r)
			}
			outputs = append(outputs, r)

			for i, o := range outputs {
				checkNoSecret(t, fmt.Sprintf("stdout of run %d", i), []byte(o.stdout), forms)
				checkNoSecret(t, fmt.Sprintf("stderr of run %d", i), []byte(o.stderr), forms)
			}
			if b, err := os.ReadFile(report); err != nil {
				t.Errorf("--report %s: %v", report, err)
			} else {
				checkNoSecret(t, "the JSON report", b, forms)
			}
			if files := scanState(t, stateDir, forms); files < 2 {
				t.Errorf("the state directory holds %d files, want the database and more (WAL, index)", files)
			}
		})
	}
}

// TestNoSTARTTLSNoLogin points mailferry at servers that do not offer
// STARTTLS (STLS) with URLs that ask for it (the default): it must
// refuse to log in, exit 3 and say why, and never send the password.
func TestNoSTARTTLSNoLogin(t *testing.T) {
	t.Parallel()
	pop := pop3test.NewServer(t, pop3test.WithUser("alice", knownPassword), pop3test.NoSTLS(),
		pop3test.WithMessages([]byte("Subject: x\r\n\r\ny\r\n")))
	plainIMAP := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: knownPassword})
	for _, c := range []struct {
		name, env, src, dst string
		tapped              string // the server whose proxy watches the wire
		says                []string
	}{
		{"imap target", "MAILFERRY_DST_PASSWORD", "pop3://alice@" + pop.Addr() + "?tls=none", "imap://bob@%s", plainIMAP.Addr, []string{"STARTTLS"}},
		{"imap source", "MAILFERRY_SRC_PASSWORD", "imap://bob@%s", "imap://bob@" + plainIMAP.Addr + "?tls=none", plainIMAP.Addr, []string{"STARTTLS"}},
		{"pop3 source", "MAILFERRY_SRC_PASSWORD", "pop3://alice@%s", "imap://bob@" + plainIMAP.Addr + "?tls=none", pop.Addr(), []string{"STLS"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			proxy := chaos.New(t, c.tapped)
			var mu sync.Mutex
			var wire bytes.Buffer
			proxy.Tap(func(dir chaos.Direction, b []byte) {
				if dir == chaos.ToServer {
					mu.Lock()
					wire.Write(b)
					mu.Unlock()
				}
			})
			src, dst := strings.Replace(c.src, "%s", proxy.Addr(), 1), strings.Replace(c.dst, "%s", proxy.Addr(), 1)
			r := run(t, []string{"MAILFERRY_SRC_PASSWORD=" + knownPassword, "MAILFERRY_DST_PASSWORD=" + knownPassword},
				"migrate", "--state", filepath.Join(t.TempDir(), "state.db"), "--progress", "none", src, dst)
			if r.code != 3 || !hasAll(r.stderr, c.says...) {
				t.Errorf("mailferry migrate %s %s against a server without %v: %s\nwant exit 3 and an error naming %v", src, dst, c.says, r, c.says)
			}
			mu.Lock()
			defer mu.Unlock()
			checkNoSecret(t, "what mailferry sent to the server without STARTTLS", wire.Bytes(), secretForms("bob"))
			checkNoSecret(t, "what mailferry sent to the server without STLS", wire.Bytes(), secretForms("alice"))
			for _, verb := range []string{"LOGIN", "AUTHENTICATE", "PASS ", "AUTH "} {
				if bytes.Contains(bytes.ToUpper(wire.Bytes()), []byte(verb)) {
					t.Errorf("mailferry sent %q to a server that offered no STARTTLS:\n%s", verb, wire.Bytes())
				}
			}
		})
	}
}

// scanState checks every file and directory below dir: private modes
// and no password inside. It returns the number of files.
func scanState(t *testing.T, dir string, forms []string) int {
	t.Helper()
	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", path, err)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %04o, want no access for group and others", path, perm)
		}
		if d.IsDir() {
			return nil
		}
		files++
		t.Logf("state file %s (%d bytes)", path, info.Size())
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
		}
		checkNoSecret(t, path, b, forms)
		return nil
	})
	return files
}
