package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
)

func TestBatchCSV(t *testing.T) {
	type account struct{ src, dst *imaptest.Server }
	var accounts []account
	var csv strings.Builder
	csv.WriteString("# user1,password1,user2,password2\n")
	for i, name := range []string{"ann", "ben", "cid"} {
		src := imaptest.NewServerOptions(t, imaptest.Options{Username: name, Password: "old-pw-" + name})
		dst := imaptest.NewServerOptions(t, imaptest.Options{Username: name + "@new", Password: "new-pw-" + name})
		for k := 0; k <= i; k++ {
			imaptest.Append(t, src.Addr, name, "old-pw-"+name, "INBOX", []byte("Subject: "+name+strings.Repeat("!", k)+"\r\n\r\nhi\r\n"), nil, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
		}
		accounts = append(accounts, account{src, dst})
		csv.WriteString(name + ",old-pw-" + name + "," + name + "@new,new-pw-" + name + "\n")
	}
	// One CSV per account pair, since the test servers differ per account:
	// run each line through the same code path with its own hosts.
	dir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")[1:]
	for i, a := range accounts {
		path := filepath.Join(dir, "accounts.csv")
		os.WriteFile(path, []byte(lines[i]+"\n"), 0o644)
		code, stdout, stderr := runCLI(t, "batch", "--state", filepath.Join(dir, "s.db"), "--progress", "none",
			path, "imap://"+a.src.Addr+"?tls=none", "imap://"+a.dst.Addr+"?tls=none")
		if code != exitOK {
			t.Fatalf("batch line %d = exit %d\n%s%s", i, code, stdout, stderr)
		}
		if !strings.Contains(stderr, "readable by others") {
			t.Errorf("no warning about a world-readable CSV: %q", stderr)
		}
		if strings.Contains(stdout+stderr, "old-pw-") || strings.Contains(stdout+stderr, "new-pw-") {
			t.Errorf("output shows a password: %s%s", stdout, stderr)
		}
		if got := imaptest.Fetch(t, a.dst.Addr, strings.Split(lines[i], ",")[2], "new-pw-"+strings.Split(lines[i], ",")[0], "INBOX"); len(got) != i+1 {
			t.Errorf("account %d: target holds %d messages, want %d", i, len(got), i+1)
		}
	}
	// Bad lines name file:line.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("a,b,c,d\nonly,three,fields\n"), 0o600)
	code, _, stderr := runCLI(t, "batch", "--state", filepath.Join(dir, "s.db"), bad, "imaps://old.example.com", "imaps://new.example.com")
	if code != exitUsage || !strings.Contains(stderr, "bad.csv:2") {
		t.Errorf("batch with a bad line = exit %d, %q; want %d naming bad.csv:2", code, stderr, exitUsage)
	}
}

func TestRunParallelTableAndShards(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.mbox"), []byte(testMbox), 0o600)
	var yaml strings.Builder
	yaml.WriteString("jobs:\n")
	var servers []*imaptest.Server
	for i := 0; i < 4; i++ {
		srv := imaptest.NewServerOptions(t, imaptest.Options{Username: "bob", Password: "pw"})
		servers = append(servers, srv)
		tmpl := "  - name: job%d\n    source: mbox:in.mbox\n    target: imap://bob@%s/INBOX?tls=none\n    target_password_env: TEST_PW\n"
		yaml.WriteString(strings.NewReplacer("%d", string(rune('0'+i)), "%s", srv.Addr).Replace(tmpl))
	}
	// a job that fails (wrong password) must not stop the others
	yaml.WriteString("  - name: broken\n    source: mbox:in.mbox\n    target: imap://nobody@" + servers[0].Addr + "/INBOX?tls=none\n    target_password_env: TEST_PW\n")
	jobs := filepath.Join(dir, "jobs.yaml")
	os.WriteFile(jobs, []byte(yaml.String()), 0o600)
	t.Setenv("TEST_PW", "pw")

	code, stdout, stderr := runCLI(t, "run", "--state", filepath.Join(dir, "s.db"), "--progress", "none", "--shard", "1/2", "--parallel", "3", jobs)
	if code != exitOK || !strings.Contains(stdout, "job1") || !strings.Contains(stdout, "job3") || strings.Contains(stdout, "job0") {
		t.Fatalf("shard 1/2 = exit %d\n%s%s\nwant jobs 1 and 3 only", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "run", "--state", filepath.Join(dir, "s.db"), "--progress", "none", "--parallel", "3", jobs)
	if code != exitFailed {
		t.Errorf("run with one broken job = exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{"job  ", "status", "broken", "login rejected"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary table lacks %q:\n%s", want, stdout)
		}
	}
	for i, srv := range servers {
		if got := imaptest.Fetch(t, srv.Addr, "bob", "pw", "INBOX"); len(got) != 2 {
			t.Errorf("job%d: target holds %d messages, want 2", i, len(got))
		}
	}
}
