package main

import (
	"fmt"
	"strings"
)

// summaryLine is a line printed below a case's rows: a ratio the
// issue's targets are read from, and whether the target is met.
type summaryLine struct {
	text, note string
}

// metric is what a ratio compares.
type metric int

const (
	msgRate  metric = iota // messages per second, higher is better
	byteRate               // MB per second, higher is better
	wallTime               // median wall time, lower is better
)

// of returns r's figure for m.
func (m metric) of(r result) float64 {
	s := r.median.Seconds()
	switch m {
	case byteRate:
		return float64(r.bytes) / 1e6 / s
	case wallTime:
		return s
	}
	return float64(r.messages) / s
}

func (m metric) String() string {
	return [...]string{"msg/s", "MB/s", "the wall time"}[m]
}

// target is an issue target: mailferry's figure divided by tool's
// figure must reach ratio (or, for wallTime, stay at or below it).
type target struct {
	tool  string
	ratio float64
}

// versus returns a summary comparing the case's first row (mailferry's)
// with every other tool's row (rows whose tool does not start with
// "mailferry") by m, and checks the targets given.
func versus(m metric, targets ...target) func([]result) []summaryLine {
	return func(rows []result) []summaryLine {
		if len(rows) == 0 || rows[0].missing || !strings.HasPrefix(rows[0].tool, "mailferry") {
			return nil
		}
		mf := rows[0]
		var out []summaryLine
		for _, r := range rows[1:] {
			if r.missing || strings.HasPrefix(r.tool, "mailferry") {
				continue
			}
			x := m.of(mf) / m.of(r)
			line := summaryLine{text: fmt.Sprintf("%s / %s: %.2fx %s", mf.tool, r.tool, x, m)}
			for _, t := range targets {
				if t.tool == r.tool {
					line.note = check(x, t.ratio, m == wallTime)
				}
			}
			out = append(out, line)
		}
		return out
	}
}

// check says whether ratio x meets the target want.
func check(x, want float64, atMost bool) string {
	if atMost {
		return fmt.Sprintf("target <= %gx: %s", want, metOrNot(x <= want))
	}
	return fmt.Sprintf("target >= %gx: %s", want, metOrNot(x >= want))
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// printSummary prints summary lines as table rows whose first column
// holds the ratio, so the Markdown table stays whole.
func printSummary(lines []summaryLine) {
	for _, l := range lines {
		fmt.Printf("| %-50s | %-16s | %8s | %8s | %7s | %6s | %8s | %s |\n", "  "+l.text, "", "", "", "", "", "", l.note)
	}
}
