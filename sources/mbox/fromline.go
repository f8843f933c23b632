package mbox

import (
	"bytes"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/mailhdr"
)

// fromLine is what a "From " line says.
type fromLine struct {
	sender string
	date   time.Time // zero if the line has no date that parses
	real   bool      // a sender followed by a date: a real separator
}

// parseFromLine reads a "From " line (with or without its line break).
// It is lenient about the date: asctime ("Sat Jan  1 00:00:00 2022"),
// Google Takeout ("Sat Jan 01 00:00:00 +0000 2022"), RFC 5322 dates
// and trailing words such as UUCP's "remote from host" all work. A line
// with no sender, only a date, counts as real too.
func parseFromLine(line []byte) fromLine {
	rest := bytes.TrimPrefix(line, []byte(fromPrefix))
	fields := strings.Fields(string(bytes.TrimRight(rest, "\r\n")))
	if len(fields) == 0 {
		return fromLine{}
	}
	if t, ok := dateOf(fields); ok {
		return fromLine{date: t, real: true}
	}
	if t, ok := dateOf(fields[1:]); ok {
		return fromLine{sender: fields[0], date: t, real: true}
	}
	return fromLine{sender: fields[0]}
}

// dateOf parses the longest leading run of fields that forms a date.
// Dates need at least four fields ("Jan 1 00:00:00 2022").
func dateOf(fields []string) (time.Time, bool) {
	for n := min(len(fields), 8); n >= 4; n-- {
		if !strings.Contains(strings.Join(fields[:n], " "), ":") {
			continue
		}
		if t, err := mailhdr.ParseDate(strings.Join(fields[:n], " ")); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// asctime formats t as a "From " line date, in UTC.
func asctime(t time.Time) string {
	return t.UTC().Format("Mon Jan _2 15:04:05 2006")
}
