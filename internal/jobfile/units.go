package jobfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// day is 24 hours; calendar effects (DST, leap years) are ignored.
const day = 24 * time.Hour

// ParseDuration parses an age such as "365d", "8w", "2y" (365 days each)
// or a Go duration such as "36h" or "90m". "" and "0" mean 0 (no limit).
// Negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	bad := fmt.Errorf("bad duration %q: want a number with d (days), w (weeks), y (365 days), h or m, e.g. 365d", s)
	if unit, ok := map[byte]time.Duration{'d': day, 'w': 7 * day, 'y': 365 * day}[s[len(s)-1]]; ok {
		n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
		if err != nil || n < 0 || strings.HasPrefix(s, "+") {
			return 0, bad
		}
		if n > int64(math.MaxInt64/unit) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// sizeUnits are the multipliers ParseSize accepts, lower-cased.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a byte count: plain bytes ("35000000") or a number
// with a unit, 1000-based KB, MB, GB, TB or 1024-based KiB, MiB, GiB,
// TiB ("35MB", "1.5 GiB"). Units are case-insensitive. "" means 0.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult, ok := sizeUnits[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("bad size %q: want bytes or a number with KB, MB, GB (1000-based) or KiB, MiB, GiB (1024-based), e.g. 35MB", s)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err == nil && n <= math.MaxInt64/int64(mult) {
			return n * int64(mult), nil
		}
		return 0, fmt.Errorf("size %q is too large", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q: bad number %q", s, num)
	}
	v := math.Round(f * mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}
