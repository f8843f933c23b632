package jobfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed five-field cron schedule: minute, hour, day of month,
// month, day of week. Fields take "*", numbers, ranges ("1-5"), steps
// ("*/15", "0-30/10", "5/15"), lists ("1,15") and month or weekday names
// ("jan", "mon-fri"); day of week 0 and 7 are Sunday. As in Vixie cron,
// when both day fields are restricted a day matching either one fires.
// The macros @hourly, @daily, @weekly, @monthly and @yearly are accepted.
type Cron struct {
	spec                        string
	minute, hour, dom, mon, dow uint64 // bit n set: value n matches
	domStar, dowStar            bool
}

var cronMacros = map[string]string{
	"@hourly":   "0 * * * *",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@weekly":   "0 0 * * 0",
	"@monthly":  "0 0 1 * *",
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
}

type cronField struct {
	name   string
	lo, hi int
	names  []string // names[i] stands for lo+i
}

var cronFields = [5]cronField{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// ParseCron parses a schedule such as "0 3 * * *" or "@daily". It
// rejects schedules that never fire, such as "0 0 30 2 *".
func ParseCron(s string) (*Cron, error) {
	spec := strings.TrimSpace(s)
	expanded := spec
	if m, ok := cronMacros[strings.ToLower(spec)]; ok {
		expanded = m
	} else if strings.HasPrefix(spec, "@") {
		return nil, fmt.Errorf("unknown schedule %q (want @hourly, @daily, @weekly, @monthly, @yearly or five fields)", spec)
	}
	fields := strings.Fields(expanded)
	if len(fields) != 5 {
		return nil, fmt.Errorf("schedule %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", spec, len(fields))
	}
	c := &Cron{spec: spec}
	var bits [5]uint64
	for i, f := range fields {
		b, err := cronFields[i].parse(f)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %s: %v", spec, cronFields[i].name, err)
		}
		bits[i] = b
	}
	c.minute, c.hour, c.dom, c.mon, c.dow = bits[0], bits[1], bits[2], bits[3], bits[4]
	if c.dow&(1<<7) != 0 {
		c.dow |= 1 // 7 is Sunday too
	}
	c.domStar = strings.HasPrefix(fields[2], "*")
	c.dowStar = strings.HasPrefix(fields[4], "*")
	if c.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("schedule %q never fires", spec)
	}
	return c, nil
}

func (f cronField) parse(s string) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > f.hi {
				return 0, fmt.Errorf("bad step %q", stepText)
			}
			step = n
		}
		lo, hi := f.lo, f.hi
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			switch {
			case isRange:
				if hi, err = f.value(b); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("range %q runs backwards", rng)
				}
			case !hasStep:
				hi = lo
			}
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << v
		}
	}
	return bits, nil
}

func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.lo + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.lo || n > f.hi || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("bad value %q (want %d-%d)", s, f.lo, f.hi)
	}
	return n, nil
}

// String returns the schedule as written.
func (c *Cron) String() string { return c.spec }

// Next returns the first time after t, to the minute, at which the
// schedule fires, in t's location. It returns the zero time if there is
// none within nine years.
func (c *Cron) Next(t time.Time) time.Time {
	loc := t.Location()
	// The next whole minute, by absolute time so it is always after t.
	next := t.Add(time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	limit := next.Year() + 9
	// later returns n if it moves forward, else next plus d; it guards
	// against times that a DST change makes repeat or vanish.
	later := func(n time.Time, d time.Duration) time.Time {
		if n.After(next) {
			return n
		}
		return next.Add(d)
	}
	for i := 0; i < 1<<20 && next.Year() <= limit; i++ {
		y, m, d := next.Date()
		h := next.Hour()
		switch {
		case c.mon&(1<<uint(m)) == 0:
			next = later(time.Date(y, m+1, 1, 0, 0, 0, 0, loc), time.Hour)
		case !c.dayMatches(next):
			next = later(time.Date(y, m, d+1, 0, 0, 0, 0, loc), time.Hour)
		case c.hour&(1<<uint(h)) == 0:
			next = later(time.Date(y, m, d, h+1, 0, 0, 0, loc), time.Minute)
		case c.minute&(1<<uint(next.Minute())) == 0:
			next = next.Add(time.Minute)
		default:
			return next
		}
	}
	return time.Time{}
}

func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}
