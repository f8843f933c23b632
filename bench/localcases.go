package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// pop3 reads a corpus's INBOX over POP3: mailferry into IMAP and into a
// Maildir, getmail6 into a Maildir, fetchmail through procmail into a Maildir.
func (e *env) pop3(corpusName string) (string, []result) {
	c, missing := e.source(corpusName)
	if c == nil {
		return "POP3, " + corpusName, missing
	}
	src := srcAccount(c)
	n, size := c.inboxMsgs, c.inboxBytes
	rows := []result{
		e.toIMAP("mailferry", n, size, func(target, scratch string) (*command, error) {
			return &command{
				args: e.mailferryArgs("migrate", filepath.Join(scratch, "state.db"), e.lab.pop3URL(src.user), e.lab.imapURL(target)),
				env:  mailferryEnv(src.password, targetPassword),
			}, nil
		}),
		e.toMaildir("mailferry backup", n, size, countMaildir, func(out, scratch string) (*command, error) {
			return &command{
				args: e.mailferryArgs("backup", filepath.Join(scratch, "state.db"), e.lab.pop3URL(src.user), "maildir:"+out),
				env:  mailferryEnv(src.password, ""),
			}, nil
		}),
	}
	rows[0].note = joinNote("into IMAP", rows[0].note)
	rows[1].note = joinNote("into Maildir, fsync + read-back", rows[1].note)
	if e.tools.getmail == "" {
		rows = append(rows, notInstalled("getmail6"))
	} else {
		r := e.toMaildir("getmail6", n, size, countMaildir, func(out, scratch string) (*command, error) {
			return e.lab.getmailToMaildir(e.tools.getmail, scratch, out, src)
		})
		r.note = joinNote("into Maildir", r.note)
		rows = append(rows, r)
	}
	switch {
	case e.tools.fetchmail == "":
		rows = append(rows, notInstalled("fetchmail"))
	case e.tools.procmail == "":
		rows = append(rows, result{tool: "fetchmail", missing: true, note: "procmail (its MDA here) not installed"})
	default:
		r := e.toMaildir("fetchmail", n, size, countMaildir, func(out, scratch string) (*command, error) {
			return e.lab.fetchmailToProcmail(e.tools.fetchmail, e.tools.procmail, scratch, out, src)
		})
		r.note = joinNote("procmail per message into Maildir", r.note)
		rows = append(rows, r)
	}
	return title("POP3->local", c, n), rows
}

// backup copies a corpus from IMAP into a local Maildir: mailferry
// backup against mbsync.
func (e *env) backup(corpusName string) (string, []result) {
	c, missing := e.source(corpusName)
	if c == nil {
		return "IMAP->Maildir, " + corpusName, missing
	}
	src := srcAccount(c)
	rows := []result{
		e.toMaildir("mailferry backup", c.messages, c.bytes, countMaildir, func(out, scratch string) (*command, error) {
			return &command{
				args: e.mailferryArgs("backup", filepath.Join(scratch, "state.db"), e.lab.imapURL(src.user), "maildir:"+out),
				env:  mailferryEnv(src.password, ""),
			}, nil
		}),
	}
	rows[0].note = joinNote("fsync + read-back + manifest", rows[0].note)
	if e.tools.mbsync == "" {
		rows = append(rows, notInstalled("mbsync"))
	} else {
		rows = append(rows, e.toMaildir("mbsync", c.messages, c.bytes, countMaildir, func(out, scratch string) (*command, error) {
			if err := mkdir(out); err != nil {
				return nil, err
			}
			return e.lab.mbsyncToMaildir(e.tools.mbsync, scratch, out, src)
		}))
	}
	return title("IMAP->Maildir", c, c.messages), rows
}

// inMemory migrates n messages of about size bytes from an in-process
// POP3 server into an in-process IMAP server that checks and discards
// what it receives: mailferry's own cost with the fastest servers
// possible. The servers live in this process; only the mailferry child
// is measured.
func (e *env) inMemory(n, size int) (string, []result) {
	n = max(1, int(float64(n)*e.scale))
	var msgs [][]byte
	var total int64
	for i := 0; i < n; i++ {
		m := corpus.Message(42, i, size)
		msgs = append(msgs, m)
		total += int64(len(m))
	}
	pop, err := pop3test.New(pop3test.WithUser("alice", "pw"), pop3test.WithMessages(msgs...))
	if err == nil {
		err = pop.Start("127.0.0.1:0")
	}
	if err != nil {
		e.tb.Fatal(err)
	}
	defer pop.Close()
	imap, err := imaptest.StartOptions("127.0.0.1:0", imaptest.Options{Username: "bob", Password: "pw", DiscardAppends: true})
	if err != nil {
		e.tb.Fatal(err)
	}
	defer imap.Close()
	r := timeRounds("mailferry", e.rounds, n, total, func(r int) (*command, func() error, error) {
		state := filepath.Join(e.dir, fmt.Sprintf("mem-state-%d-%d-%d.db", n, size, r))
		return &command{
			args: e.mailferryArgs("migrate", state, "pop3://alice@"+pop.Addr()+"?tls=none", "imap://bob@"+imap.Addr+"?tls=none"),
			env:  mailferryEnv("pw", "pw"),
		}, nil, nil
	})
	r.note = joinNote("in-process servers, target discards", r.note)
	what := fmt.Sprintf("%s x %d KB", thousands(n), size/1000)
	if size >= 1_000_000 {
		what = fmt.Sprintf("%d x %d MB", n, size/1_000_000)
	}
	return "POP3->IMAP in-memory: " + what, []result{r}
}

func mkdir(dir string) error { return os.MkdirAll(dir, 0o700) }
