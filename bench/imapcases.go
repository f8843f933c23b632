package main

import (
	"path/filepath"
)

// imapToIMAP copies a corpus from its account into a fresh account with
// mailferry, mbsync and doveadm backup.
func (e *env) imapToIMAP(corpusName string) (string, []result) {
	c, missing := e.source(corpusName)
	if c == nil {
		return "IMAP->IMAP, " + corpusName, missing
	}
	src := srcAccount(c)
	rows := []result{
		e.toIMAP("mailferry", c.messages, c.bytes, func(target, scratch string) (*command, error) {
			return &command{
				args: e.mailferryArgs("migrate", filepath.Join(scratch, "state.db"), e.lab.imapURL(src.user), e.lab.imapURL(target)),
				env:  mailferryEnv(src.password, targetPassword),
			}, nil
		}),
	}
	if e.conns == 0 {
		// Several connections appending to one Maildir mailbox contend
		// for Dovecot's locks: show what a single connection does.
		one := *e
		one.conns = 1
		rows = append(rows, one.toIMAP("mailferry -c 1", c.messages, c.bytes, func(target, scratch string) (*command, error) {
			return &command{
				args: one.mailferryArgs("migrate", filepath.Join(scratch, "state.db"), e.lab.imapURL(src.user), e.lab.imapURL(target)),
				env:  mailferryEnv(src.password, targetPassword),
			}, nil
		}))
		rows[len(rows)-1].note = joinNote("--connections 1", rows[len(rows)-1].note)
	}
	if e.tools.mbsync == "" {
		rows = append(rows, notInstalled("mbsync"))
	} else {
		rows = append(rows, e.toIMAP("mbsync", c.messages, c.bytes, func(target, scratch string) (*command, error) {
			return mbsyncToIMAP(e.tools.mbsync, scratch, e.lab.srv.IMAPAddr(), src, account{target, targetPassword})
		}))
	}
	doveadm := e.toIMAP("doveadm backup", c.messages, c.bytes, func(target, _ string) (*command, error) {
		return e.lab.doveadmBackup(src.user, target)
	})
	doveadm.note = joinNote("dsync inside the server, no IMAP; may hard-link files", doveadm.note)
	rows = append(rows, doveadm)
	return title("IMAP->IMAP", c, c.messages), rows
}

// imapNoop copies a corpus once, untimed, and then times reruns that
// find nothing to copy: mailferry with the same state database, mbsync
// with the same sync state.
func (e *env) imapNoop(corpusName string) (string, []result) {
	c, missing := e.source(corpusName)
	if c == nil {
		return "IMAP->IMAP no-op rerun, " + corpusName, missing
	}
	src := srcAccount(c)
	rows := []result{e.rerun("mailferry", c, func(target, scratch string) (*command, error) {
		return &command{
			args: e.mailferryArgs("migrate", filepath.Join(scratch, "state.db"), e.lab.imapURL(src.user), e.lab.imapURL(target)),
			env:  mailferryEnv(src.password, targetPassword),
		}, nil
	})}
	if e.tools.mbsync == "" {
		rows = append(rows, notInstalled("mbsync"))
	} else {
		rows = append(rows, e.rerun("mbsync", c, func(target, scratch string) (*command, error) {
			return mbsyncToIMAP(e.tools.mbsync, scratch, e.lab.srv.IMAPAddr(), src, account{target, targetPassword})
		}))
	}
	for i := range rows {
		rows[i].note = joinNote("nothing to copy", rows[i].note)
	}
	return "IMAP->IMAP no-op rerun, " + c.spec.name + ": " + c.describe(), rows
}

// rerun times the second and later runs of the same command against the
// same target: the first (untimed) run copies everything.
func (e *env) rerun(tool string, c *seeded, cmdFor func(target, scratch string) (*command, error)) result {
	target, err := e.lab.freshTarget()
	if err != nil {
		return result{tool: tool, missing: true, note: "failed: " + err.Error()}
	}
	scratch := filepath.Join(e.dir, "rerun-"+target)
	var cmd *command
	return timeRounds(tool, e.rounds, c.messages, c.bytes, func(r int) (*command, func() error, error) {
		check := func() error {
			err := wantCount(target, c.messages, func() (int, error) { return e.lab.countIMAP(target) })
			if r == e.rounds || err != nil {
				e.lab.dropAccount(target)
			}
			return err
		}
		if r > 0 {
			return cmd, check, nil
		}
		if err := mkdir(scratch); err != nil {
			return nil, nil, err
		}
		if cmd, err = cmdFor(target, scratch); err != nil {
			return nil, nil, err
		}
		return cmd, check, runQuiet(cmd)
	})
}

// joinNote joins two notes with "; ", skipping empty ones.
func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
