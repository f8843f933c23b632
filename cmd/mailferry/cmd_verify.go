package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/dustin/go-humanize"
	"github.com/mailferry/mailferry/backup/verify"
	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/spf13/cobra"
)

// verifyOptions are the flags of "mailferry verify".
type verifyOptions struct {
	report string
}

func newVerifyCmd(g *globals) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify DEST",
		Short: "Re-read a local backup and check every message against the digest recorded when it was written",
		Long: `Re-read every message of a backup or archive made by "mailferry backup" or
"mailferry archive" (maildir:PATH or mbox:PATH) and compare its size and
SHA-256 with those recorded in the backup's manifests when it was written.
The state database is not needed.

Missing, truncated, changed and unreadable messages are listed; the exit
status is then 1. Message files that no manifest records (mail delivered by
other programs) are counted but are not errors.`,
		Example: `  mailferry verify maildir:~/Backup/alice
  mailferry verify --report verify.json mbox:~/Archive/alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), g, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.report, "report", "", "write a JSON report of the check to `FILE`")
	return cmd
}

func runVerify(ctx context.Context, g *globals, o verifyOptions, dest string) error {
	ep, err := endpoint.Parse(dest)
	if err != nil {
		return usageError(fmt.Errorf("backup %q: %w", dest, err))
	}
	if !ep.IsLocal() {
		return usageError(withHint(fmt.Errorf("%s: only local backups can be verified", ep), "use maildir:PATH or mbox:PATH"))
	}
	r, err := verify.Verify(ep.Path)
	if err != nil {
		return failedError(err)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(g.stdout, "%s\n", p)
	}
	status := "ok"
	if !r.OK() {
		status = fmt.Sprintf("%d damaged or missing", len(r.Problems))
	}
	fmt.Fprintf(g.stdout, "verified %d messages (%s) in %d folders: %s\n", r.Messages, humanize.Bytes(uint64(r.Bytes)), r.Folders, status)
	if len(r.Unrecorded) > 0 {
		fmt.Fprintf(g.stdout, "  %d message files not recorded by mailferry (not checked)\n", len(r.Unrecorded))
	}
	if o.report != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(o.report, append(b, '\n'), 0o600); err != nil {
			return failedError(err)
		}
	}
	if !r.OK() {
		return &codeError{code: exitMessages}
	}
	return nil
}
