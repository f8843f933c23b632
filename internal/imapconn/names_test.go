package imapconn

import "testing"

func TestToServerName(t *testing.T) {
	tests := []struct {
		name   string
		delim  rune
		prefix string
		want   string
	}{
		{"INBOX", '/', "", "INBOX"},
		{"inbox", '.', "INBOX.", "INBOX"},
		{"", '.', "INBOX.", "INBOX"},
		{"Work/2024", '/', "", "Work/2024"},
		{"Work/2024", '.', "", "Work.2024"},
		{"Work/2024", '.', "INBOX.", "INBOX.Work.2024"},
		{"INBOX/Sub", '.', "INBOX.", "INBOX.Sub"},
		{"v1.2/notes", '.', "", "v1_2.notes"},
		{"Entwürfe/Ü", '.', "", "Entwürfe.Ü"},
		{"a/b", 0, "", "a/b"},
	}
	for _, tt := range tests {
		if got := ToServerName(tt.name, tt.delim, tt.prefix); got != tt.want {
			t.Errorf("ToServerName(%q, %q, %q) = %q, want %q", tt.name, tt.delim, tt.prefix, got, tt.want)
		}
	}
}

func TestFromServerName(t *testing.T) {
	tests := []struct {
		name   string
		delim  rune
		prefix string
		want   string
	}{
		{"INBOX", '.', "INBOX.", "INBOX"},
		{"inbox", '/', "", "INBOX"},
		{"INBOX.Sent", '.', "INBOX.", "Sent"},
		{"INBOX.Work.2024", '.', "INBOX.", "Work/2024"},
		{"Work.2024", '.', "", "Work/2024"},
		{"a/b.c", '.', "", "a_b/c"},
		{"Work/2024", '/', "", "Work/2024"},
		{"INBOX.Sub", '.', "", "INBOX/Sub"},
	}
	for _, tt := range tests {
		if got := FromServerName(tt.name, tt.delim, tt.prefix); got != tt.want {
			t.Errorf("FromServerName(%q, %q, %q) = %q, want %q", tt.name, tt.delim, tt.prefix, got, tt.want)
		}
	}
	// Round trip for names without delimiter collisions.
	for _, n := range []string{"Sent", "Work/2024", "Entwürfe/Ü", "INBOX"} {
		for _, p := range []struct {
			delim  rune
			prefix string
		}{{'/', ""}, {'.', ""}, {'.', "INBOX."}} {
			s := ToServerName(n, p.delim, p.prefix)
			if got := FromServerName(s, p.delim, p.prefix); got != n {
				t.Errorf("FromServerName(ToServerName(%q, %q, %q)) = %q, want %q", n, p.delim, p.prefix, got, n)
			}
		}
	}
}
