// Command bench measures mailferry's speed and memory against the tools
// people use for the same jobs. It starts a private Dovecot on 127.0.0.1
// (internal/dovecottest), stores deterministic corpora (internal/corpus)
// in source accounts, and for each case runs every tool side by side:
// once to warm up and then -rounds times, each run into a fresh target,
// checking afterwards that every message arrived. It prints the median
// wall time, messages/s, MB/s and the peak RSS (from /usr/bin/time) of
// each tool as a Markdown table, and below each case's rows the ratio of
// mailferry's figure to each other tool's (msg/s; MB/s for the large
// corpus; wall time for the no-op rerun), marking the targets as
// met or not.
//
//	bench/run                          # installs mbsync, getmail6, fetchmail, procmail; then go run ./bench
//	go run ./bench                     # the default cases, corpora at scale 0.25
//	go run ./bench -scale 1 -rounds 5  # the full corpora (20,000 small messages)
//	go run ./bench -cases imap-small,imap-noop
//	go run ./bench -cases imap-grow,imap-netem -rounds 1
//	go run ./bench -pprof cpu.out      # profile mailferry in-process instead
//
// Two cases are not in the default list because they take many minutes
// at the default scale:
//
//   - imap-grow copies the small corpus and the same corpus grown tenfold
//     (5,000 and 50,000 messages at scale 0.25) with mailferry and
//     mbsync and prints both peak RSS figures and their ratio.
//   - imap-netem copies the small corpus with mailferry and mbsync next
//     to the server and 20 ms away in each direction, and prints the
//     throughput ratio. As root with ip and tc it runs the clients in a
//     network namespace joined by a veth pair with tc netem on both ends
//     (and a forwarder in bench from the host end's address to Dovecot on
//     127.0.0.1); where netem or namespaces are missing it says why and
//     delays the data in that forwarder instead.
//
// The tools compared are mbsync (isync), doveadm backup (dsync inside the
// server: the ceiling), getmail6 and fetchmail (delivering through
// procmail into a Maildir); missing ones are reported as "not
// installed". bench/run installs them on Debian.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/dovecottest"
)

func main() {
	cases := flag.String("cases", defaultCases, "comma-separated cases, or \"all\": "+strings.Join(caseNames(), ", "))
	rounds := flag.Int("rounds", 3, "measured runs per tool and case (after one warm-up)")
	scale := flag.Float64("scale", 0.25, "multiply every corpus's message count by this: 1 is the full corpora (small 20,000 messages, mixed 2,000, large 50 x 10 MB)")
	conns := flag.Int("connections", 0, "pass --connections `N` to mailferry (0: its default)")
	cpuProfile := flag.String("pprof", "", "instead of the table: run mailferry in-process on the imap-small case and write a CPU profile to `FILE`")
	memProfile := flag.String("memprofile", "", "with -pprof: also write an allocation profile to `FILE`")
	flag.Parse()
	if *rounds < 1 || *scale <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -rounds must be at least 1 and -scale above 0")
		os.Exit(2)
	}
	selected, err := pickCases(*cases)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: /usr/bin/time is missing (it measures peak RSS); install it: apt-get install time")
		os.Exit(1)
	}

	tb := newBenchTB()
	defer tb.runCleanups()
	dir, err := os.MkdirTemp("", "mailferry-bench-*")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	e := &env{dir: dir, rounds: *rounds, scale: *scale, conns: *conns, tools: findTools(), tb: tb}

	if *cpuProfile != "" {
		if err := profile(e, *cpuProfile, *memProfile); err != nil {
			tb.Fatal(err)
		}
		return
	}

	e.bin = filepath.Join(dir, "mailferry")
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/mailferry")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		tb.Fatalf("build mailferry: %v", err)
	}

	fmt.Printf("mailferry benchmark, %s, %s/%s, %d CPUs, %s\n", time.Now().UTC().Format("2006-01-02"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("%s; scale %g, 1 warm-up + %d measured runs per tool, medians\n\n", versions(e.tools), *scale, *rounds)
	fmt.Printf("| %-50s | %-16s | %8s | %8s | %7s | %6s | %8s | %s\n", "case", "tool", "messages", "median", "msg/s", "MB/s", "peak RSS", "note |")
	fmt.Printf("|%s|%s|%s:|%s:|%s:|%s:|%s:|---|\n", strings.Repeat("-", 52), strings.Repeat("-", 18),
		strings.Repeat("-", 9), strings.Repeat("-", 9), strings.Repeat("-", 8), strings.Repeat("-", 7), strings.Repeat("-", 9))
	for _, c := range selected {
		title, rows := c.run(e)
		for i, r := range rows {
			if i > 0 {
				title = ""
			}
			printRow(title, r)
		}
		if c.summary != nil {
			printSummary(c.summary(rows))
		}
	}
}

// printRow prints one Markdown table row.
func printRow(title string, r result) {
	if r.missing {
		fmt.Printf("| %-50s | %-16s | %8s | %8s | %7s | %6s | %8s | %s |\n", title, r.tool, "-", "-", "-", "-", "-", r.note)
		return
	}
	s := r.median.Seconds()
	fmt.Printf("| %-50s | %-16s | %8d | %7.2fs | %7.0f | %6.1f | %5.0f MB | %s |\n", title, r.tool, r.messages, s,
		float64(r.messages)/s, float64(r.bytes)/1e6/s, float64(r.peakRSS)/1e6, r.note)
}

// pickCases resolves the -cases flag.
func pickCases(list string) ([]benchCase, error) {
	if list == "all" {
		return allCases, nil
	}
	var out []benchCase
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, c := range allCases {
			if c.name == name {
				out, found = append(out, c), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown case %q (have %s)", name, strings.Join(caseNames(), ", "))
		}
	}
	return out, nil
}

// versions names the server and the tools compared.
func versions(t tools) string {
	parts := []string{"Dovecot " + firstField(dovecottest.Version(), "not installed")}
	for _, v := range []struct{ name, path, flag string }{
		{"isync", t.mbsync, "--version"}, {"getmail", t.getmail, "--version"}, {"fetchmail", t.fetchmail, "--version"},
		{"procmail", t.procmail, "-v"},
	} {
		ver := "not installed"
		if v.path != "" {
			out, _ := exec.Command(v.path, v.flag).CombinedOutput()
			for _, line := range strings.Split(string(out), "\n") {
				f := strings.Fields(line)
				switch {
				case len(f) >= 2 && (f[0] == "isync" || f[0] == "getmail"):
					ver = f[1]
				case len(f) >= 2 && f[0] == "procmail":
					ver = strings.TrimPrefix(f[1], "v")
				case len(f) >= 5 && f[0] == "This" && f[2] == "fetchmail":
					ver, _, _ = strings.Cut(f[4], "+")
				}
			}
		}
		parts = append(parts, v.name+" "+ver)
	}
	return strings.Join(parts, ", ")
}

func firstField(s, empty string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return empty
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}
