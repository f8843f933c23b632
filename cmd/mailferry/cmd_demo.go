package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
	"github.com/spf13/cobra"
)

const demoPassword = "demo-password"

func newDemoCmd(g *globals) *cobra.Command {
	var messages int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Migrate sample mail between built-in POP3 and IMAP servers",
		Long: `Start a POP3 server and an IMAP server inside this process, on 127.0.0.1,
holding sample mail, and run the same migration "mailferry migrate" runs,
with the same output, twice: the first run copies every message, the second
finds them all already there. Nothing outside a temporary directory is
touched; no mail server is needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), g, messages)
		},
	}
	cmd.Flags().IntVar(&messages, "messages", 60, "how many sample messages the POP3 server holds")
	return cmd
}

func runDemo(ctx context.Context, g *globals, n int) error {
	var msgs [][]byte
	for i, size := range corpus.Sizes(1, n) {
		msgs = append(msgs, corpus.Message(1, i, min(size, 300_000)))
	}
	pop, err := pop3test.New(pop3test.WithUser("alice", demoPassword), pop3test.WithMessages(msgs...))
	if err != nil {
		return failedError(err)
	}
	if err := pop.Start("127.0.0.1:0"); err != nil {
		return failedError(err)
	}
	defer pop.Close()
	imap, err := imaptest.Start("127.0.0.1:0", "alice", demoPassword)
	if err != nil {
		return failedError(err)
	}
	defer imap.Close()

	dir, err := os.MkdirTemp("", "mailferry-demo-*")
	if err != nil {
		return failedError(err)
	}
	defer os.RemoveAll(dir)
	if g.state == "" {
		g.state = filepath.Join(dir, "state.db")
	}
	os.Setenv("MAILFERRY_SRC_PASSWORD", demoPassword)
	os.Setenv("MAILFERRY_DST_PASSWORD", demoPassword)

	src := fmt.Sprintf("pop3://alice@%s?tls=none", pop.Addr())
	dst := fmt.Sprintf("imap://alice@%s/INBOX?tls=none", imap.Addr)
	fmt.Fprintf(g.stdout, "demo: POP3 server %s holds %d sample messages; IMAP server %s is empty\n", pop.Addr(), n, imap.Addr)
	fmt.Fprintf(g.stdout, "demo: mailferry migrate %s %s\n", src, dst)
	j := &jobfile.Job{Name: "demo", Source: src, Target: dst, Mode: jobfile.ModeMigrate}
	if err := runJobs(ctx, g, []*jobfile.Job{j}, ""); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\ndemo: running the same command again: everything is already there\n")
	return runJobs(ctx, g, []*jobfile.Job{j}, "")
}
