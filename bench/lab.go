package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/mailferry/mailferry/internal/dovecottest"
)

// targetPassword is the password of every fresh target account.
const targetPassword = "pw"

// maxTargets is how many fresh target accounts the server knows; each
// measured or warm-up run that writes to IMAP takes one.
const maxTargets = 2000

// lab is the private Dovecot all Dovecot cases share: source accounts
// holding the corpora and a supply of empty target accounts.
type lab struct {
	srv      *dovecottest.Server
	doveadm  string // path of the doveadm binary
	uid, gid int    // owner of the mail directories
	next     int    // number of target accounts handed out
	corpora  map[string]*seeded
	scale    float64
}

// startLab starts Dovecot with the source users of every corpus and
// maxTargets target users t1, t2, ...
func startLab(tb *benchTB, scale float64) (*lab, error) {
	opts := []dovecottest.Option{}
	for _, c := range corpusSpecs {
		opts = append(opts, dovecottest.WithUser(c.user, c.password()))
	}
	for i := 1; i <= maxTargets; i++ {
		opts = append(opts, dovecottest.WithUser("t"+strconv.Itoa(i), targetPassword))
	}
	doveadm, err := lookTool("doveadm", "/usr/bin", "/usr/sbin", "/usr/local/bin")
	if err != nil {
		return nil, err
	}
	srv := dovecottest.Start(tb, opts...)
	fi, err := os.Stat(filepath.Join(srv.Dir(), "mail"))
	if err != nil {
		return nil, err
	}
	st := fi.Sys().(*syscall.Stat_t)
	return &lab{srv: srv, doveadm: doveadm, uid: int(st.Uid), gid: int(st.Gid),
		corpora: map[string]*seeded{}, scale: scale}, nil
}

// imapURL is the mailferry endpoint of user's IMAP account.
func (l *lab) imapURL(user string) string {
	return "imap://" + user + "@" + l.srv.IMAPAddr() + "?tls=none"
}

// pop3URL is the mailferry endpoint of user's POP3 account (its INBOX).
func (l *lab) pop3URL(user string) string {
	return "pop3://" + user + "@" + l.srv.POP3Addr() + "?tls=none"
}

// port returns the port of addr "127.0.0.1:port".
func port(addr string) string {
	_, p, _ := strings.Cut(addr, ":")
	return p
}

// freshTarget hands out an empty target account.
func (l *lab) freshTarget() (string, error) {
	if l.next == maxTargets {
		return "", fmt.Errorf("out of target accounts (%d); use fewer -rounds or -cases", maxTargets)
	}
	l.next++
	return "t" + strconv.Itoa(l.next), nil
}

// dropAccount removes user's mail from disk, to keep the disk from
// filling up; the account is never used again.
func (l *lab) dropAccount(user string) {
	os.RemoveAll(filepath.Join(l.srv.Dir(), "mail", user))
}

// countIMAP returns how many messages user's account holds in all its
// mailboxes, as Dovecot sees them.
func (l *lab) countIMAP(user string) (int, error) {
	out, err := l.srv.Doveadm("mailbox", "status", "-u", user, "messages", "*")
	if err != nil {
		return 0, err
	}
	return sumMessages(out)
}

// sumMessages adds the "messages=N" fields of doveadm mailbox status
// output.
func sumMessages(out []byte) (int, error) {
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if v, ok := strings.CutPrefix(f, "messages="); ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					return 0, fmt.Errorf("doveadm mailbox status: %q: %v", sc.Text(), err)
				}
				total += n
			}
		}
	}
	return total, sc.Err()
}

// countMaildir returns how many message files the Maildir++ tree at root
// holds (its cur and new directories and those of its .Folders), or,
// for mbsync's Verbatim layout, of every subdirectory holding cur/new.
func countMaildir(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if b := filepath.Base(filepath.Dir(p)); b == "cur" || b == "new" {
			n++
		}
		return nil
	})
	return n, err
}

// lookTool finds name in PATH or in dirs.
func lookTool(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not installed", name)
}
