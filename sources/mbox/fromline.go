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
	if t, ok := parseAsctime(fields); ok {
		return fromLine{date: t, real: true}
	}
	if t, ok := parseAsctime(fields[1:]); ok {
		return fromLine{sender: fields[0], date: t, real: true}
	}
	if t, ok := dateOf(fields); ok {
		return fromLine{date: t, real: true}
	}
	if t, ok := dateOf(fields[1:]); ok {
		return fromLine{sender: fields[0], date: t, real: true}
	}
	return fromLine{sender: fields[0]}
}

// parseAsctime parses the common "From " line dates quickly, without
// trying every layout: [weekday] month day hh:mm[:ss] year, with a
// numeric zone before or after the year (Takeout) or none (UTC). All
// fields must be used.
func parseAsctime(f []string) (time.Time, bool) {
	if len(f) > 0 && len(f[0]) == 3 && weekday(f[0]) {
		f = f[1:]
	}
	if len(f) != 4 && len(f) != 5 {
		return time.Time{}, false
	}
	mon := month(f[0])
	day, okDay := number(f[1], 1, 2)
	hh, mm, ss, okClock := clock(f[2])
	var year, zone int
	okYear, okZone := false, true
	if len(f) == 4 {
		year, okYear = number(f[3], 4, 4)
	} else if zone, okZone = numericZone(f[3]); okZone {
		year, okYear = number(f[4], 4, 4)
	} else {
		year, okYear = number(f[3], 4, 4)
		zone, okZone = numericZone(f[4])
	}
	if mon == 0 || !okDay || !okClock || !okYear || !okZone || day < 1 || day > 31 {
		return time.Time{}, false
	}
	loc := time.UTC
	if zone != 0 {
		loc = time.FixedZone("", zone)
	}
	t := time.Date(year, mon, day, hh, mm, ss, 0, loc)
	if t.Day() != day {
		return time.Time{}, false // February 30th
	}
	return t, true
}

func weekday(s string) bool {
	switch strings.ToLower(s) {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

func month(s string) time.Month {
	if len(s) != 3 {
		return 0
	}
	for m := time.January; m <= time.December; m++ {
		if strings.EqualFold(m.String()[:3], s) {
			return m
		}
	}
	return 0
}

// number parses a decimal of minLen to maxLen digits.
func number(s string, minLen, maxLen int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// clock parses hh:mm or hh:mm:ss.
func clock(s string) (hh, mm, ss int, ok bool) {
	parts := strings.SplitN(s, ":", 4)
	if len(parts) != 2 && len(parts) != 3 {
		return 0, 0, 0, false
	}
	hh, ok1 := number(parts[0], 1, 2)
	mm, ok2 := number(parts[1], 2, 2)
	ok3 := true
	if len(parts) == 3 {
		ss, ok3 = number(parts[2], 2, 2)
	}
	return hh, mm, ss, ok1 && ok2 && ok3 && hh < 24 && mm < 60 && ss < 61
}

// numericZone parses +hhmm or -hhmm into seconds east of UTC.
func numericZone(s string) (int, bool) {
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	hh, ok1 := number(s[1:3], 2, 2)
	mm, ok2 := number(s[3:], 2, 2)
	if !ok1 || !ok2 || mm >= 60 {
		return 0, false
	}
	sec := hh*3600 + mm*60
	if s[0] == '-' {
		sec = -sec
	}
	return sec, true
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
