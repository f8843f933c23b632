package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// migrateOptions are the flags of "mailferry migrate".
type migrateOptions struct {
	srcPasswordFile, dstPasswordFile string
	srcPasswordCmd, dstPasswordCmd   string
	dryRun, deleteSource, markSeen   bool
	skipDeleted, syncFlags           bool
	connections                      int
	folderMap                        []string
	include, exclude                 []string
	targetPrefix                     string
	olderThan, newerThan, maxSize    string
	report                           string
}

func newMigrateCmd(g *globals) *cobra.Command {
	var o migrateOptions
	cmd := &cobra.Command{
		Use:   "migrate SRC DST",
		Short: "Copy every message of SRC into the IMAP account DST, exactly once",
		Long: `Copy every message of SRC into the IMAP account DST, with its flags and
original date, byte for byte. Run it again at any time: messages already
copied (by the state database, or recognised on the target) are skipped, so an
interrupted run simply resumes.

POP3 has no arrival date: the target's INTERNALDATE is the date of the topmost
Received: header, else the Date: header, else the time of transfer. POP3 mail
arrives unread unless it carries "Status: R" or --mark-seen is given.`,
		Example: `  MAILFERRY_SRC_PASSWORD=... MAILFERRY_DST_PASSWORD=... \
    mailferry migrate pop3s://alice@pop.example.com imaps://alice@imap.example.com
  mailferry migrate --dry-run pop3s://alice@pop.example.com imaps://alice@imap.example.com/Imported
  mailferry migrate --delete-source --dst-password-file ~/.dst.pass pop3s://alice@old imaps://alice@new
  mailferry migrate mbox:~/export.mbox imaps://alice@imap.example.com/Archive`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMigrate(cmd.Context(), g, o, args[0], args[1])
		},
	}
	addMigrateFlags(cmd, &o)
	return cmd
}

// addMigrateFlags registers the flags shared by migrate and batch.
func addMigrateFlags(cmd *cobra.Command, o *migrateOptions) {
	f := cmd.Flags()
	f.StringVar(&o.srcPasswordFile, "src-password-file", "", "read the source password from `FILE`")
	f.StringVar(&o.dstPasswordFile, "dst-password-file", "", "read the target password from `FILE`")
	f.StringVar(&o.srcPasswordCmd, "src-password-cmd", "", "run `COMMAND` (sh -c) to print the source password, e.g. \"pass show mail/old\"")
	f.StringVar(&o.dstPasswordCmd, "dst-password-cmd", "", "run `COMMAND` (sh -c) to print the target password")
	f.BoolVar(&o.deleteSource, "delete-source", false, "delete each message from the source once the target has confirmed its copy")
	f.BoolVar(&o.markSeen, "mark-seen", false, `mark every copied message \Seen (read)`)
	f.BoolVar(&o.syncFlags, "sync-flags", false, "bring flag changes on the source across to messages copied by earlier runs")
	addSelectionFlags(f, o, "on the target")
}

func runMigrate(ctx context.Context, g *globals, o migrateOptions, src, dst string) error {
	j, err := o.job(src, dst)
	if err != nil {
		return usageError(err)
	}
	return runJobs(ctx, g, []*jobfile.Job{j}, o.report)
}

// job turns the command line into the same job value a job file gives.
func (o migrateOptions) job(src, dst string) (*jobfile.Job, error) {
	s, err := endpoint.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	d, err := endpoint.Parse(dst)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	j := &jobfile.Job{
		Name: "migrate", Source: s.String(), Target: d.String(), Mode: "migrate",
		DryRun: o.dryRun, DeleteSource: o.deleteSource, MarkSeen: o.markSeen, SkipDeleted: o.skipDeleted, SyncFlags: o.syncFlags,
		Connections: o.connections, Include: o.include, Exclude: o.exclude, TargetPrefix: o.targetPrefix,
	}
	j.SourceSecret.File, j.SourceSecret.Cmd = o.srcPasswordFile, o.srcPasswordCmd
	j.TargetSecret.File, j.TargetSecret.Cmd = o.dstPasswordFile, o.dstPasswordCmd
	for _, m := range o.folderMap {
		from, to, ok := strings.Cut(m, "=")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("--folder-map %q: want \"SOURCE=TARGET\"", m)
		}
		if j.FolderMap == nil {
			j.FolderMap = map[string]string{}
		}
		j.FolderMap[from] = to
	}
	if o.olderThan != "" {
		if j.OlderThan, err = jobfile.ParseDuration(o.olderThan); err != nil {
			return nil, fmt.Errorf("--older-than: %w", err)
		}
	}
	if o.newerThan != "" {
		if j.NewerThan, err = jobfile.ParseDuration(o.newerThan); err != nil {
			return nil, fmt.Errorf("--newer-than: %w", err)
		}
	}
	if o.maxSize != "" {
		if j.MaxSize, err = jobfile.ParseSize(o.maxSize); err != nil {
			return nil, fmt.Errorf("--max-size: %w", err)
		}
	}
	return j, nil
}

// addSelectionFlags registers the flags that choose what a run copies
// and how, shared by migrate, batch, backup and archive; where says
// where the copies go ("on the target", "in the backup").
func addSelectionFlags(f *pflag.FlagSet, o *migrateOptions, where string) {
	f.BoolVar(&o.dryRun, "dry-run", false, "only count what would be copied; write nothing")
	f.BoolVar(&o.skipDeleted, "skip-deleted", false, `leave out source messages flagged \Deleted`)
	f.IntVar(&o.connections, "connections", 4, "folders copied side by side, one connection each (for sources that can be read in parallel)")
	f.StringArrayVar(&o.folderMap, "folder-map", nil, "put a source folder under another name "+where+", `\"SRC=DST\"` (repeatable)")
	f.StringArrayVar(&o.include, "include", nil, "copy only source folders matching `PATTERN` (glob, repeatable)")
	f.StringArrayVar(&o.exclude, "exclude", nil, "skip source folders matching `PATTERN` (glob, repeatable)")
	f.StringVar(&o.targetPrefix, "target-prefix", "", "put every folder under `PREFIX` "+where+", e.g. Imported/")
	f.StringVar(&o.olderThan, "older-than", "", "only messages older than `AGE` (e.g. 365d, 12w, 2y; 0 means all)")
	f.StringVar(&o.newerThan, "newer-than", "", "only messages newer than `AGE`")
	f.StringVar(&o.maxSize, "max-size", "", "skip messages larger than `SIZE` (e.g. 35MB)")
	f.StringVar(&o.report, "report", "", "write a JSON report of the run to `FILE`")
}
