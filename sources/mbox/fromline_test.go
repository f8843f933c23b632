package mbox

import (
	"testing"
	"time"
)

func TestParseFromLine(t *testing.T) {
	jan1 := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		line   string
		sender string
		date   time.Time
		real   bool
	}{
		{"From alice@example.com Sat Jan  1 00:00:00 2022\n", "alice@example.com", jan1, true},
		{"From 1234567890@xxx Sat Jan 01 00:00:00 +0000 2022\r\n", "1234567890@xxx", jan1, true},
		{"From - Sat Jan 01 00:00:00 2022\n", "-", jan1, true},
		{"From MAILER-DAEMON Sat Jan  1 00:00:00 2022 remote from uucp\n", "MAILER-DAEMON", jan1, true},
		{"From bob Sat, 01 Jan 2022 01:00:00 +0100\n", "bob", jan1, true},
		{"From Sat Jan  1 00:00:00 2022\n", "", jan1, true},
		{"From bob\n", "bob", time.Time{}, false},
		{"From here on we went home on Sat Jan 1 00:00:00 2022\n", "here", time.Time{}, false},
		{"From \n", "", time.Time{}, false},
	}
	for _, tt := range tests {
		fl := parseFromLine([]byte(tt.line))
		if fl.sender != tt.sender || !fl.date.Equal(tt.date) || fl.real != tt.real {
			t.Errorf("parseFromLine(%q) = %q, %v, %v, want %q, %v, %v", tt.line, fl.sender, fl.date, fl.real, tt.sender, tt.date, tt.real)
		}
	}
}

func TestAsctime(t *testing.T) {
	d := time.Date(2022, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	if got, want := asctime(d), "Sun Jan  2 02:04:05 2022"; got != want {
		t.Errorf("asctime(%v) = %q, want %q", d, got, want)
	}
	fl := parseFromLine([]byte("From x " + asctime(d)))
	if !fl.date.Equal(d) {
		t.Errorf("parseFromLine(asctime(%v)).date = %v, want %v", d, fl.date, d)
	}
}
