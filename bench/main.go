// Command bench measures mailferry's speed and memory: it starts its own
// servers on 127.0.0.1, generates a deterministic corpus, runs the
// mailferry binary as a child process several times per case, and prints
// the median wall time, messages/s, MB/s and peak RSS of each case.
//
//	go run ./bench                 # every case
//	go run ./bench -cases small,large -rounds 3
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
)

func main() {
	cases := flag.String("cases", "small,large", "comma-separated cases: "+strings.Join(caseNames(), ", "))
	rounds := flag.Int("rounds", 3, "measured runs per case (after one warm-up)")
	flag.Parse()

	dir, err := os.MkdirTemp("", "mailferry-bench-*")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "mailferry")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mailferry")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	fmt.Printf("mailferry benchmark, %s, %s/%s, %d CPUs, %s\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("%-34s %-10s %9s %10s %9s %9s %10s\n", "case", "tool", "messages", "median", "msg/s", "MB/s", "peak RSS")
	for _, name := range strings.Split(*cases, ",") {
		c, ok := allCases[strings.TrimSpace(name)]
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: unknown case %q (have %s)\n", name, strings.Join(caseNames(), ", "))
			os.Exit(2)
		}
		for _, r := range c.run(bin, dir, *rounds) {
			fmt.Printf("%-34s %-10s %9d %9.2fs %9.0f %9.1f %8.1f MB\n", c.title, r.tool, r.messages, r.median.Seconds(),
				float64(r.messages)/r.median.Seconds(), float64(r.bytes)/1e6/r.median.Seconds(), float64(r.peakRSS)/1e6)
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
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
