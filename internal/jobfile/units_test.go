package jobfile

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"365d", 365 * day},
		{"2w", 14 * day},
		{"3y", 3 * 365 * day},
		{"36h", 36 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
	}
	for _, tt := range tests {
		if got, err := ParseDuration(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"d", "-1d", "+1d", "1.5d", "5 days", "-3h", "1000y", "abc", "1mo"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", 0},
		{"0", 0},
		{"35000000", 35000000},
		{"35MB", 35000000},
		{"35 mb", 35000000},
		{"1KB", 1000},
		{"1KiB", 1024},
		{"1.5GiB", 3 << 29},
		{"2GB", 2e9},
		{"1TiB", 1 << 40},
		{"10B", 10},
	}
	for _, tt := range tests {
		if got, err := ParseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"MB", "35M", "-1", "1.2.3MB", "99999999999999999999", "9999999TiB", "1e9", "35 parsecs"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}
