package mbox

import "testing"

func TestLineFilter(t *testing.T) {
	in := "From a\n>From b\n>>From c\n>>>From d\nFrom\n>Fro\n>>x\nx From y\n\r\n>From e\r\n>"
	tests := []struct {
		mode quoteMode
		crlf bool
		want string
	}{
		{quoteNone, false, in},
		{quoteNone, true, "From a\r\n>From b\r\n>>From c\r\n>>>From d\r\nFrom\r\n>Fro\r\n>>x\r\nx From y\r\n\r\n>From e\r\n>"},
		{quoteAdd, false, ">From a\n>>From b\n>>>From c\n>>>>From d\nFrom\n>Fro\n>>x\nx From y\n\r\n>>From e\r\n>"},
		{unquoteRD, false, "From a\nFrom b\n>From c\n>>From d\nFrom\n>Fro\n>>x\nx From y\n\r\nFrom e\r\n>"},
		{unquoteO, false, "From a\nFrom b\n>>From c\n>>>From d\nFrom\n>Fro\n>>x\nx From y\n\r\nFrom e\r\n>"},
	}
	for _, tt := range tests {
		f := lineFilter{mode: tt.mode, crlf: tt.crlf}
		if out := string(f.flush(f.feed(nil, []byte(in)))); out != tt.want {
			t.Errorf("filter(mode %d, crlf %v) = %q, want %q", tt.mode, tt.crlf, out, tt.want)
		}
		// Fed one byte at a time, the result is the same.
		f = lineFilter{mode: tt.mode, crlf: tt.crlf}
		var out []byte
		for i := 0; i < len(in); i++ {
			out = f.feed(out, []byte{in[i]})
		}
		if out := string(f.flush(out)); out != tt.want {
			t.Errorf("filter(mode %d, crlf %v) byte by byte = %q, want %q", tt.mode, tt.crlf, out, tt.want)
		}
	}
}

func TestQuoteLevel(t *testing.T) {
	tests := []struct {
		line  string
		level int
	}{
		{"From x\n", 0}, {">From x\n", 1}, {">>From x\n", 2}, {">>>>From \n", 2},
		{">From\n", 0}, {">>x\n", 0}, {"\n", 0}, {">Fr", 0},
	}
	for _, tt := range tests {
		var q quoteLevel
		for i := 0; i < len(tt.line); i++ {
			q.feed([]byte{tt.line[i]})
		}
		if q.level != tt.level {
			t.Errorf("quoteLevel(%q) = %d, want %d", tt.line, q.level, tt.level)
		}
	}
}
