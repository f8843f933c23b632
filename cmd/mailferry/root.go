package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the flags every command has.
type globals struct {
	state    string
	progress string // auto, bar, plain, none
	interval string
	stdin    *os.File
	stdout   io.Writer
	stderr   io.Writer
	drain    <-chan struct{} // closed on the first SIGINT/SIGTERM
	parallel int             // jobs (accounts) run at once
}

func newRootCmd(stdin *os.File, stdout, stderr io.Writer, drain <-chan struct{}) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, drain: drain}
	root := &cobra.Command{
		Use:   "mailferry",
		Short: "Move and back up email without losing a byte",
		Long: `mailferry moves mail from POP3, IMAP, mbox and Maildir sources into IMAP
accounts: every message exactly once, byte for byte, with its flags and
original date. Interrupted runs resume where they stopped.

Endpoints:
  pop3://user@host[:port]           POP3 with STLS (?tls=none for clear text)
  pop3s://user@host[:port]          POP3 over TLS
  imap://user@host[:port][/Mailbox] IMAP with STARTTLS (?tls=none for clear text)
  imaps://user@host[:port][/Mailbox]
  mbox:PATH                         an mbox file or a folder of them
  maildir:PATH                      a Maildir (Maildir++ or fs layout)

URL options: ?ca=FILE trusts an extra CA or self-signed certificate,
?insecure=true skips certificate checks (loudly), ?format=mboxrd|mboxo|mboxcl|mboxcl2.

Passwords never go on the command line: MAILFERRY_SRC_PASSWORD and
MAILFERRY_DST_PASSWORD, --src-password-file / --dst-password-file, or a
prompt when stdin is a terminal.

Exit status: 0 all messages are on the target, 1 some messages failed (listed),
2 usage or configuration error, 3 the job could not finish, 130 interrupted.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.state, "state", "", "state database `FILE` (default $XDG_STATE_HOME/mailferry/state.db)")
	pf.StringVar(&g.progress, "progress", "auto", "progress display: auto (bar on a terminal, lines otherwise), bar, plain or none")
	pf.StringVar(&g.interval, "progress-interval", "10s", "time between plain progress lines")
	root.AddCommand(newMigrateCmd(g), newRunCmd(g), newBatchCmd(g), newDemoCmd(g))
	root.AddCommand(newBackupCmd(g), newArchiveCmd(g), newVerifyCmd(g))
	root.AddCommand(newAuthCmd(g))
	return root
}
