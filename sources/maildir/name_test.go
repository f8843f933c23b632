package maildir

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name, unique, info string
		fields             map[string]string
	}{
		{"1700000000.M1P2.host", "1700000000.M1P2.host", "", nil},
		{"1700000000.M1P2.host:2,FS", "1700000000.M1P2.host", "2,FS", nil},
		{"1700000000.M1P2.host,S=123,W=130:2,Sa", "1700000000.M1P2.host", "2,Sa", map[string]string{"S": "123", "W": "130"}},
		{"1700000000.M1P2.host,S=5", "1700000000.M1P2.host", "", map[string]string{"S": "5"}},
		{"x,odd,,K=:2,", "x", "2,", map[string]string{"odd": "", "K": ""}},
		{"a:b:c", "a", "b:c", nil},
		{"", "", "", nil},
		{":2,S", "", "2,S", nil},
	}
	for _, tt := range tests {
		u, info, fields := ParseName(tt.name)
		if u != tt.unique || info != tt.info || !maps.Equal(fields, tt.fields) {
			t.Errorf("ParseName(%q) = %q, %q, %v, want %q, %q, %v", tt.name, u, info, fields, tt.unique, tt.info, tt.fields)
		}
	}
}

func FuzzParseName(f *testing.F) {
	f.Add("1700000000.M1P2.host,S=123,W=130:2,FSab")
	f.Fuzz(func(t *testing.T, name string) {
		u, info, fields := ParseName(name)
		if !strings.HasPrefix(name, u) || strings.ContainsAny(u, ":,") {
			t.Fatalf("ParseName(%q) unique = %q, want a prefix without ':' or ','", name, u)
		}
		if !strings.HasSuffix(name, info) || (info != "" && !strings.Contains(name, ":")) {
			t.Fatalf("ParseName(%q) info = %q, want the text after ':'", name, info)
		}
		for k := range fields {
			if strings.ContainsAny(k, ":,=") {
				t.Fatalf("ParseName(%q) field key %q contains a separator", name, k)
			}
		}
		InfoFlags(info, []string{"a", "b"})
	})
}

func TestInfoFlags(t *testing.T) {
	kw := []string{"Work", "", "$Junk"}
	tests := []struct {
		info string
		want []string
	}{
		{"", []string{}},
		{"1,S", []string{}},
		{"2,", []string{}},
		{"2,DFPRST", []string{`\Draft`, `\Flagged`, `$Forwarded`, `\Answered`, `\Seen`, `\Deleted`}},
		{"2,Sacbz", []string{`\Seen`, "Work", "$Junk"}},
		{"2,SSX", []string{`\Seen`}},
	}
	for _, tt := range tests {
		if got := InfoFlags(tt.info, kw); !slices.Equal(got, tt.want) {
			t.Errorf("InfoFlags(%q) = %q, want %q", tt.info, got, tt.want)
		}
	}
}

func TestSystemLetterAndInfo(t *testing.T) {
	for _, tt := range []struct {
		flag string
		want byte
	}{{`\Seen`, 'S'}, {`\seen`, 'S'}, {`$Forwarded`, 'P'}, {`\Deleted`, 'T'}, {`\Recent`, 0}, {"Work", 0}} {
		if got := SystemLetter(tt.flag); got != tt.want {
			t.Errorf("SystemLetter(%q) = %q, want %q", tt.flag, got, tt.want)
		}
	}
	if got, want := Info([]byte("cSaFSa")), "2,FSac"; got != want {
		t.Errorf("Info(cSaFSa) = %q, want %q", got, want)
	}
}
