package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// result is one tool's figures for one case.
type result struct {
	tool     string
	messages int
	bytes    int64
	median   time.Duration
	peakRSS  int64 // bytes
}

// benchCase is one measured scenario.
type benchCase struct {
	title string
	run   func(bin, dir string, rounds int) []result
}

var allCases = map[string]benchCase{
	"small": {"POP3->IMAP 20,000 x 4 KB", func(bin, dir string, rounds int) []result {
		return pop3ToIMAP(bin, dir, rounds, 20000, 4096)
	}},
	"small2k": {"POP3->IMAP 2,000 x 4 KB", func(bin, dir string, rounds int) []result {
		return pop3ToIMAP(bin, dir, rounds, 2000, 4096)
	}},
	"large": {"POP3->IMAP 10 x 50 MB", func(bin, dir string, rounds int) []result {
		return pop3ToIMAP(bin, dir, rounds, 10, 50_000_000)
	}},
	"large1": {"POP3->IMAP 1 x 50 MB", func(bin, dir string, rounds int) []result {
		return pop3ToIMAP(bin, dir, rounds, 1, 50_000_000)
	}},
}

func caseNames() []string {
	var out []string
	for k := range allCases {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pop3ToIMAP migrates n messages of about size bytes from an in-process
// POP3 server into an in-process IMAP server that checks and discards
// what it receives (so the benchmark process itself stays small). The
// servers live in this process; only the mailferry child is measured.
func pop3ToIMAP(bin, dir string, rounds, n, size int) []result {
	var msgs [][]byte
	var total int64
	for i := 0; i < n; i++ {
		m := corpus.Message(42, i, size)
		msgs = append(msgs, m)
		total += int64(len(m))
	}
	pop, err := pop3test.New(pop3test.WithUser("alice", "pw"), pop3test.WithMessages(msgs...))
	check(err)
	check(pop.Start("127.0.0.1:0"))
	defer pop.Close()
	imap, err := imaptest.StartOptions("127.0.0.1:0", imaptest.Options{Username: "bob", Password: "pw", DiscardAppends: true})
	check(err)
	defer imap.Close()

	var times []time.Duration
	var peak int64
	for r := 0; r <= rounds; r++ {
		state := filepath.Join(dir, fmt.Sprintf("state-%d-%d-%d.db", n, size, r))
		elapsed, rss := measure([]string{"MAILFERRY_SRC_PASSWORD=pw", "MAILFERRY_DST_PASSWORD=pw"},
			bin, "migrate", "--state", state, "--progress", "none",
			"pop3://alice@"+pop.Addr()+"?tls=none", "imap://bob@"+imap.Addr+"?tls=none")
		if r == 0 {
			continue // warm-up
		}
		times = append(times, elapsed)
		peak = max(peak, rss)
	}
	return []result{{tool: "mailferry", messages: n, bytes: total, median: median(times), peakRSS: peak}}
}

// measure runs a command under /usr/bin/time and returns its wall time
// and peak RSS. (The rusage of a child this process starts directly
// would include this process's own memory, which the child inherits
// until exec; /usr/bin/time is small, so its child's figure is honest.)
func measure(env []string, args ...string) (time.Duration, int64) {
	timeFile := filepath.Join(os.TempDir(), fmt.Sprintf("mailferry-bench-time-%d", os.Getpid()))
	defer os.Remove(timeFile)
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", timeFile}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s failed: %v\n%s", args[0], err, out)
		os.Exit(1)
	}
	b, err := os.ReadFile(timeFile)
	check(err)
	var kb int64
	fmt.Sscan(string(b), &kb)
	return elapsed, kb * 1024
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}
