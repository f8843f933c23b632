package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// env is what every case needs.
type env struct {
	bin    string // the mailferry binary
	dir    string // scratch directory
	rounds int
	scale  float64
	conns  int // mailferry --connections, 0 for its default
	tools  tools
	tb     *benchTB

	lab    *lab  // started by the first Dovecot case
	labErr error // why there is no lab
}

// benchCase is one measured scenario; run returns its title and one row
// per tool, and summary (if any) the ratios printed below them.
type benchCase struct {
	name    string
	run     func(e *env) (string, []result)
	summary func(rows []result) []summaryLine
}

// allCases run in this order; defaultCases is what a plain "go run
// ./bench" runs.
var allCases = []benchCase{
	{"imap-small", func(e *env) (string, []result) { return e.imapToIMAP("small") }, versus(msgRate, target{"mbsync", 2})},
	{"imap-noop", func(e *env) (string, []result) { return e.imapNoop("small") }, versus(wallTime, target{"mbsync", 2})},
	{"imap-mixed", func(e *env) (string, []result) { return e.imapToIMAP("mixed") }, versus(msgRate)},
	{"imap-large", func(e *env) (string, []result) { return e.imapToIMAP("large") }, versus(byteRate, target{"mbsync", 1})},
	{"imap-grow", func(e *env) (string, []result) { return e.imapGrow() }, growSummary},
	{"imap-netem", func(e *env) (string, []result) { return e.imapNetem() }, netemSummary},
	{"pop3-small", func(e *env) (string, []result) { return e.pop3("small") }, versus(msgRate, target{"fetchmail", 2})},
	{"pop3-large", func(e *env) (string, []result) { return e.pop3("large") }, versus(byteRate)},
	{"backup-small", func(e *env) (string, []result) { return e.backup("small") }, versus(msgRate)},
	{"backup-mixed", func(e *env) (string, []result) { return e.backup("mixed") }, versus(msgRate)},
	{"backup-large", func(e *env) (string, []result) { return e.backup("large") }, versus(byteRate)},
	{"mem-small", func(e *env) (string, []result) { return e.inMemory(20_000, 4096) }, nil},
	{"mem-large", func(e *env) (string, []result) { return e.inMemory(10, 50_000_000) }, nil},
}

var defaultCases = "imap-small,imap-noop,imap-mixed,imap-large,pop3-small,backup-small,backup-large"

func caseNames() []string {
	var out []string
	for _, c := range allCases {
		out = append(out, c.name)
	}
	return out
}

// source returns the lab and the named corpus, or a row saying why not.
func (e *env) source(name string) (*seeded, []result) {
	if e.lab == nil && e.labErr == nil {
		if _, err := lookTool("dovecot", "/usr/sbin", "/usr/local/sbin"); err != nil {
			e.labErr = err
		} else {
			e.lab, e.labErr = startLab(e.tb, e.scale)
		}
	}
	if e.labErr != nil {
		return nil, []result{{tool: "dovecot", missing: true, note: firstLine(e.labErr.Error())}}
	}
	c, err := e.lab.corpus(name)
	if err != nil {
		e.tb.Fatal(err)
	}
	return c, nil
}

// srcAccount is the source account of corpus c.
func srcAccount(c *seeded) account {
	return account{c.spec.user, c.spec.password()}
}

// mailferryArgs is the mailferry command line of a migrate or backup
// run.
func (e *env) mailferryArgs(verb, state, src, dst string) []string {
	args := []string{e.bin, verb, "--state", state, "--progress", "none"}
	if e.conns > 0 {
		args = append(args, "--connections", fmt.Sprint(e.conns))
	}
	return append(args, src, dst)
}

// mailferryEnv passes the passwords the way a user would.
func mailferryEnv(src, dst string) []string {
	return []string{"MAILFERRY_SRC_PASSWORD=" + src, "MAILFERRY_DST_PASSWORD=" + dst}
}

// toIMAP times a tool that copies msgs messages into a fresh IMAP
// account each round; cmdFor builds the command from the target user
// and a scratch directory.
func (e *env) toIMAP(tool string, msgs int, bytes int64, cmdFor func(target, scratch string) (*command, error)) result {
	return timeRounds(tool, e.rounds, msgs, bytes, func(r int) (*command, func() error, error) {
		target, err := e.lab.freshTarget()
		if err != nil {
			return nil, nil, err
		}
		scratch, err := os.MkdirTemp(e.dir, "round-*")
		if err != nil {
			return nil, nil, err
		}
		check := func() error {
			defer os.RemoveAll(scratch)
			defer e.lab.dropAccount(target)
			return wantCount(target, msgs, func() (int, error) { return e.lab.countIMAP(target) })
		}
		cmd, err := cmdFor(target, scratch)
		return cmd, check, err
	})
}

// toMaildir times a tool that copies msgs messages into a new local
// directory each round; cmdFor builds the command from that directory
// (not yet created) and a scratch directory. count counts what arrived.
func (e *env) toMaildir(tool string, msgs int, bytes int64, count func(out string) (int, error),
	cmdFor func(out, scratch string) (*command, error)) result {
	return timeRounds(tool, e.rounds, msgs, bytes, func(r int) (*command, func() error, error) {
		scratch, err := os.MkdirTemp(e.dir, "round-*")
		if err != nil {
			return nil, nil, err
		}
		out := filepath.Join(scratch, "out")
		check := func() error {
			defer os.RemoveAll(scratch)
			return wantCount(out, msgs, func() (int, error) { return count(out) })
		}
		cmd, err := cmdFor(out, scratch)
		return cmd, check, err
	})
}

// title is a case title: what moves, over which corpus.
func title(what string, c *seeded, n int) string {
	if n != c.messages {
		return fmt.Sprintf("%s, %s INBOX (%s msgs)", what, c.spec.name, thousands(n))
	}
	return fmt.Sprintf("%s, %s: %s", what, c.spec.name, c.describe())
}
