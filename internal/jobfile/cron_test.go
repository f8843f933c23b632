package jobfile

import (
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCronNext(t *testing.T) {
	tests := []struct{ spec, after, want string }{
		{"0 3 * * *", "2024-05-10 02:59:59", "2024-05-10 03:00:00"},
		{"0 3 * * *", "2024-05-10 03:00:00", "2024-05-11 03:00:00"},
		{"0 3 * * *", "2024-12-31 04:00:00", "2025-01-01 03:00:00"},
		{"0 4 1 * *", "2024-01-31 23:59:00", "2024-02-01 04:00:00"},
		{"0 4 1 * *", "2024-12-01 04:00:00", "2025-01-01 04:00:00"},
		{"0 0 31 * *", "2024-04-15 00:00:00", "2024-05-31 00:00:00"},
		{"0 0 31 * *", "2024-05-31 00:00:00", "2024-07-31 00:00:00"},
		{"30 12 29 2 *", "2025-03-01 00:00:00", "2028-02-29 12:30:00"},
		{"*/15 * * * *", "2024-02-29 23:50:00", "2024-03-01 00:00:00"},
		{"0 9-17/4 * * mon-fri", "2024-06-07 17:00:00", "2024-06-10 09:00:00"}, // Friday -> Monday
		{"0 0 13 * 5", "2024-09-01 00:00:00", "2024-09-06 00:00:00"},           // day 13 OR Friday
		{"0 0 13 * 5", "2024-09-10 00:00:00", "2024-09-13 00:00:00"},
		{"0 0 * * 7", "2024-09-02 00:00:00", "2024-09-08 00:00:00"}, // 7 is Sunday
		{"5,35 1 * jan,jul *", "2024-02-01 00:00:00", "2024-07-01 01:05:00"},
		{"@monthly", "2024-02-15 10:00:00", "2024-03-01 00:00:00"},
		{"0 0 1 1 *", "2024-01-01 00:00:30", "2025-01-01 00:00:00"},
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.spec)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tt.spec, err)
			continue
		}
		if got := c.Next(date(tt.after)); !got.Equal(date(tt.want)) {
			t.Errorf("ParseCron(%q).Next(%s) = %s, want %s", tt.spec, tt.after, got, tt.want)
		}
	}
}

func TestCronNextDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	// 2024-03-10 02:30 does not exist in New York; a 02:30 job runs the
	// next day it does, and a daily 03:00 job still runs at 03:00.
	c, _ := ParseCron("30 2 * * *")
	got := c.Next(time.Date(2024, 3, 10, 0, 0, 0, 0, ny))
	if want := time.Date(2024, 3, 11, 2, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("Next over spring-forward = %s, want %s", got, want)
	}
	c, _ = ParseCron("0 3 * * *")
	got = c.Next(time.Date(2024, 3, 10, 0, 0, 0, 0, ny))
	if want := time.Date(2024, 3, 10, 3, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("Next on spring-forward day = %s, want %s", got, want)
	}
	c, _ = ParseCron("0 * * * *")
	after := time.Date(2024, 11, 3, 0, 30, 0, 0, ny)
	for i := 0; i < 4; i++ {
		next := c.Next(after)
		if !next.After(after) || next.Sub(after) > time.Hour {
			t.Fatalf("hourly Next(%s) = %s, want within the next hour", after, next)
		}
		after = next
	}
}

func TestParseCronErrors(t *testing.T) {
	for _, spec := range []string{
		"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
		"* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "0 0 30 2 *", "@fortnightly", "-1 * * * *",
	} {
		if c, err := ParseCron(spec); err == nil {
			t.Errorf("ParseCron(%q) = %v, want an error", spec, c)
		}
	}
}
