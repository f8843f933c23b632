package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// result is one tool's figures for one case.
type result struct {
	tool     string
	messages int
	bytes    int64
	median   time.Duration
	peakRSS  int64  // bytes
	note     string // what is odd about the figures, if anything
	missing  bool   // no figures: tool not installed or failed
}

// command is one run of a tool.
type command struct {
	args []string // program and arguments
	env  []string // added to the environment
	dir  string   // working directory, "" for the current one
}

// roundFunc prepares round r (0 is the warm-up) and returns the command
// to time and a check to run after it, which verifies what the tool did
// and cleans up. Either may be nil.
type roundFunc func(r int) (*command, func() error, error)

// timeRounds runs a tool once to warm up and then rounds times and
// returns the median wall time and the highest peak RSS of the measured
// runs. A failing run or check ends the tool's rounds with a note.
func timeRounds(tool string, rounds, messages int, bytes int64, round roundFunc) result {
	res := result{tool: tool, messages: messages, bytes: bytes}
	var times []time.Duration
	for r := 0; r <= rounds; r++ {
		cmd, check, err := round(r)
		if err == nil && cmd != nil {
			var elapsed time.Duration
			var rss int64
			elapsed, rss, err = measure(cmd)
			if r > 0 && err == nil {
				times = append(times, elapsed)
				res.peakRSS = max(res.peakRSS, rss)
			}
		}
		if check != nil {
			if cerr := check(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s, round %d: %v\n", tool, r, err)
			res.note = "failed: " + firstLine(err.Error())
			break
		}
	}
	if len(times) == 0 {
		res.missing = true
		return res
	}
	res.median = median(times)
	if len(times) < rounds {
		res.note += fmt.Sprintf(" (%d of %d rounds)", len(times), rounds)
	}
	return res
}

// notInstalled is the row of a tool that is missing.
func notInstalled(tool string) result {
	return result{tool: tool, missing: true, note: "not installed"}
}

// measure runs a command under /usr/bin/time and returns its wall time
// and peak RSS. (The rusage of a child this process starts directly
// would include this process's own memory, which the child inherits
// until exec; /usr/bin/time is small, so its child's figure is honest.)
func measure(c *command) (time.Duration, int64, error) {
	tf, err := os.CreateTemp("", "mailferry-bench-time-*")
	if err != nil {
		return 0, 0, err
	}
	tf.Close()
	defer os.Remove(tf.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", tf.Name()}, c.args...)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v: %s", filepath.Base(c.args[0]), err, lastLines(out.String(), 5))
	}
	b, err := os.ReadFile(tf.Name())
	if err != nil {
		return 0, 0, err
	}
	var kb int64
	// /usr/bin/time may write notes before the figure: take the last line.
	if _, err := fmt.Sscan(lastLines(string(b), 1), &kb); err != nil {
		return 0, 0, fmt.Errorf("read peak RSS from /usr/bin/time: %q: %v", b, err)
	}
	return elapsed, kb * 1024, nil
}

// runQuiet runs an untimed command (setup work) and returns its error
// with the end of its output.
func runQuiet(c *command) error {
	cmd := exec.Command(c.args[0], c.args[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(c.args[0]), err, lastLines(string(out), 5))
	}
	return nil
}

// wantCount is a check that count() equals want.
func wantCount(what string, want int, count func() (int, error)) error {
	got, err := count()
	if err != nil {
		return fmt.Errorf("count %s: %v", what, err)
	}
	if got != want {
		return fmt.Errorf("%s holds %d messages, want %d", what, got, want)
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
