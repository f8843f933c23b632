package mailhdr

import (
	"strings"
	"time"
)

// dateLayouts are the forms dates take in Date:, Received: and mbox
// "From " lines, most common first. Day names are stripped before
// parsing, and a trailing "(UTC)"-style comment is ignored.
var dateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04 MST",
	"2 Jan 06 15:04:05 MST",
	"2 Jan 06 15:04 MST",
	"2 Jan 2006 15:04:05",
	"Jan 2 15:04:05 2006",           // asctime, mbox From lines
	"Jan 2 15:04:05 -0700 2006",     // Google Takeout From lines
	"Jan 2 15:04:05 MST 2006",       // date(1)
	"Jan 2 15:04 2006",              // old mbox
	"2006-01-02T15:04:05Z07:00",     // RFC 3339, seen in some tools
	"2006-01-02 15:04:05 -0700",     //
	"2 Jan 2006 15:04:05 -0700 MST", // rare
}

// ParseDate parses a date as written in mail headers and mbox "From "
// lines, leniently: day names, comments and extra spaces are ignored.
func ParseDate(s string) (time.Time, error) {
	s = cleanDate(s)
	var firstErr error
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

func cleanDate(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, ",", " ")
	f := strings.Fields(s)
	if len(f) > 0 && len(f[0]) >= 3 && isDayName(f[0]) {
		f = f[1:]
	}
	// "+0000 GMT" pairs are folded to the numeric zone.
	if n := len(f); n >= 2 && isNumericZone(f[n-2]) && !isNumericZone(f[n-1]) && !strings.ContainsAny(f[n-1], ":") && len(f[n-1]) <= 5 && !isYear(f[n-1]) {
		f = f[:n-1]
	}
	// Zone names become offsets, so the result never depends on the
	// machine's own time zone (Go's time.Parse would give an unknown
	// name the local offset, or zero).
	for i, w := range f {
		if i > 0 && strings.Contains(f[i-1], ":") && isZoneName(w) {
			f[i] = zoneOffset(w)
		}
	}
	return strings.Join(f, " ")
}

// zoneNames are RFC 5322's obsolete zones (section 4.3) and a few that
// mbox "From " lines written by date(1) carry.
var zoneNames = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200",
	"BST": "+0100", "WET": "+0000", "WEST": "+0100", "EET": "+0200", "EEST": "+0300",
	"MSK": "+0300", "JST": "+0900", "KST": "+0900", "HKT": "+0800", "AEST": "+1000", "AEDT": "+1100",
	"NZST": "+1200", "NZDT": "+1300", "IST": "+0530",
}

func isZoneName(w string) bool {
	if len(w) == 0 || len(w) > 5 {
		return false
	}
	for _, c := range w {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// zoneOffset gives a zone name's offset; unknown names (and RFC 5322's
// military letters, whose meaning was never agreed) count as UTC.
func zoneOffset(w string) string {
	if off, ok := zoneNames[strings.ToUpper(w)]; ok {
		return off
	}
	return "+0000"
}

func isDayName(s string) bool {
	switch strings.ToLower(s[:3]) {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

func isNumericZone(s string) bool {
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isYear(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ArrivalDate returns the date a message arrived, as its header tells
// it: the date of the topmost parseable Received: field (the text after
// its last ';'), else the Date: field. ok is false if neither parses.
func ArrivalDate(header []byte) (t time.Time, ok bool) {
	fields := Fields(header)
	for _, f := range fields {
		if !strings.EqualFold(f.Name, "Received") {
			continue
		}
		i := strings.LastIndexByte(f.Value, ';')
		if i < 0 {
			continue
		}
		if t, err := ParseDate(f.Value[i+1:]); err == nil {
			return t, true
		}
	}
	if v, found := Get(fields, "Date"); found {
		if t, err := ParseDate(v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
