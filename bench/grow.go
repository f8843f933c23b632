package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// imapGrow copies the small corpus and the same corpus grown tenfold
// from IMAP to IMAP with mailferry and mbsync, to show whether peak RSS
// stays flat as the mailbox grows.
func (e *env) imapGrow() (string, []result) {
	small, missing := e.source("small")
	if small == nil {
		return "IMAP->IMAP peak RSS growth", missing
	}
	big, _ := e.source("small-10x")
	var rows []result
	for _, c := range []*seeded{small, big} {
		rows = append(rows, e.toIMAP("mailferry "+thousands(c.messages), c.messages, c.bytes,
			e.mailferryToIMAP(e.lab.srv.IMAPAddr(), srcAccount(c))))
	}
	for _, c := range []*seeded{small, big} {
		tool := "mbsync " + thousands(c.messages)
		if e.tools.mbsync == "" {
			rows = append(rows, notInstalled(tool))
			continue
		}
		src := srcAccount(c)
		rows = append(rows, e.toIMAP(tool, c.messages, c.bytes, func(target, scratch string) (*command, error) {
			return mbsyncToIMAP(e.tools.mbsync, scratch, e.lab.srv.IMAPAddr(), src, account{target, targetPassword})
		}))
	}
	return fmt.Sprintf("IMAP->IMAP peak RSS growth, small: %s and %s x ~4 KB",
		thousands(small.messages), thousands(big.messages)), rows
}

// growSummary compares each tool's peak RSS on the grown corpus with
// that on the small one (rows come in pairs: small, grown).
func growSummary(rows []result) []summaryLine {
	var out []summaryLine
	for i := 0; i+1 < len(rows); i += 2 {
		a, b := rows[i], rows[i+1]
		if a.missing || b.missing || a.peakRSS == 0 {
			continue
		}
		tool, _, _ := strings.Cut(a.tool, " ")
		line := summaryLine{text: fmt.Sprintf("%s peak RSS x%.0f corpus: %.0f -> %.0f MB, %.2fx", tool,
			float64(b.messages)/float64(a.messages), float64(a.peakRSS)/1e6, float64(b.peakRSS)/1e6,
			float64(b.peakRSS)/float64(a.peakRSS))}
		if tool == "mailferry" {
			line.note = "target: flat"
		}
		out = append(out, line)
	}
	return out
}

// mailferryToIMAP returns the toIMAP command builder of a mailferry
// migration from src's account to the target account, both reached at
// the IMAP address addr, run after the prefix arguments (e.g. "ip netns
// exec NAME") if any.
func (e *env) mailferryToIMAP(addr string, src account, prefix ...string) func(target, scratch string) (*command, error) {
	url := func(user string) string { return "imap://" + user + "@" + addr + "?tls=none" }
	return func(target, scratch string) (*command, error) {
		args := e.mailferryArgs("migrate", filepath.Join(scratch, "state.db"), url(src.user), url(target))
		return &command{args: append(append([]string{}, prefix...), args...), env: mailferryEnv(src.password, targetPassword)}, nil
	}
}
