package main

import (
	"context"
	"fmt"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// backupOptions are the flags of "mailferry backup" and "mailferry
// archive".
type backupOptions struct {
	migrateOptions      // the flags both share with migrate
	archive        bool // archive: move old messages (older-than required)
	olderThanSet   bool
	byYear         bool
}

func newBackupCmd(g *globals) *cobra.Command {
	var o backupOptions
	cmd := &cobra.Command{
		Use:   "backup SRC DEST",
		Short: "Copy what is new on SRC into the local backup DEST (maildir:PATH or mbox:PATH)",
		Long: `Copy every message of SRC that the backup does not hold yet into DEST, a
local Maildir (maildir:PATH) or a directory of mbox files, one per folder
(mbox:PATH), with flags and dates. The source is never changed.

Each message is written, synced to disk, read back and compared before it
counts as backed up, and recorded with its SHA-256 in a manifest inside the
backup, so "mailferry verify DEST" can check the backup later. Run it again at
any time (or from a schedule): only new messages are copied, and a backup
whose state database was lost is recognised message by message.

mbox backups keep every message byte for byte: flags are kept in the manifest
file beside each mbox file (.NAME.mailferry-manifest.jsonl), not written into
the messages.`,
		Example: `  MAILFERRY_SRC_PASSWORD=... mailferry backup imaps://alice@imap.example.com maildir:~/Backup/alice
  mailferry backup --exclude Trash --exclude Junk imaps://alice@imap.example.com mbox:~/Backup/alice-mbox
  mailferry verify maildir:~/Backup/alice`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackup(cmd.Context(), g, o, args[0], args[1])
		},
	}
	o.flags(cmd.Flags())
	return cmd
}

func newArchiveCmd(g *globals) *cobra.Command {
	o := backupOptions{archive: true}
	cmd := &cobra.Command{
		Use:   "archive SRC DEST --older-than AGE",
		Short: "Copy messages older than AGE from SRC into the local archive DEST, and optionally delete them from SRC",
		Long: `Copy every message of SRC older than --older-than into DEST, a local Maildir
(maildir:PATH) or directory of mbox files (mbox:PATH), like "mailferry backup".
With --by-year each message goes into the folder "<year>/<folder>" of its date.

With --delete-source the archived messages are then deleted from SRC: a message
is deleted only once its copy was written, synced to disk, read back, compared
and recorded, so an interrupted or failed run never loses one. A full or
read-only disk stops the run before anything is deleted.

POP3 servers do not tell a message's date before it is downloaded, so for a
POP3 source only --older-than 0 (archive everything) is accepted.`,
		Example: `  mailferry archive --older-than 365d --by-year imaps://alice@imap.example.com maildir:~/Archive/alice
  mailferry archive --older-than 2y --delete-source --dry-run imaps://alice@imap.example.com mbox:~/Archive/alice
  mailferry archive --older-than 0 --delete-source pop3s://alice@pop.example.com maildir:~/Archive/alice`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.olderThanSet = cmd.Flags().Changed("older-than")
			return runBackup(cmd.Context(), g, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	o.flags(f)
	f.BoolVar(&o.deleteSource, "delete-source", false, "delete each archived message from the source once its copy is verified on disk")
	f.BoolVar(&o.byYear, "by-year", false, "file messages under <year>/<folder> by their date")
	return cmd
}

// flags registers the flags backup and archive share.
func (o *backupOptions) flags(f *pflag.FlagSet) {
	f.StringVar(&o.srcPasswordFile, "src-password-file", "", "read the source password from `FILE`")
	f.StringVar(&o.srcPasswordCmd, "src-password-cmd", "", "run `COMMAND` (sh -c) to print the source password")
	addSelectionFlags(f, &o.migrateOptions, "in the backup")
}

func runBackup(ctx context.Context, g *globals, o backupOptions, src, dst string) error {
	j, err := o.job(src, dst)
	if err != nil {
		return usageError(err)
	}
	return runJobs(ctx, g, []*jobfile.Job{j}, o.report)
}

// job turns the command line into the job a job file with mode backup
// or archive gives.
func (o backupOptions) job(src, dst string) (*jobfile.Job, error) {
	d, err := endpoint.Parse(dst)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if !d.IsLocal() {
		return nil, withHint(fmt.Errorf("%s: backups and archives are written to local storage", d),
			"use maildir:PATH or mbox:PATH as DEST; to copy into an IMAP account use \"mailferry migrate\"")
	}
	j, err := o.migrateOptions.job(src, dst)
	if err != nil {
		return nil, err
	}
	j.Name, j.Mode = jobfile.ModeBackup, jobfile.ModeBackup
	if !o.archive {
		return j, nil
	}
	j.Name, j.Mode, j.ByYear = jobfile.ModeArchive, jobfile.ModeArchive, o.byYear
	if !o.olderThanSet {
		return nil, withHint(fmt.Errorf("archive needs --older-than AGE"), "e.g. --older-than 365d; --older-than 0 archives every message")
	}
	s, err := endpoint.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if s.IsPOP3() && j.OlderThan > 0 {
		return nil, withHint(fmt.Errorf("%s: a POP3 server does not tell message dates before download, so --older-than cannot pick old mail", s),
			"use --older-than 0 to archive every message of a POP3 mailbox")
	}
	return j, nil
}
