package endpoint

import (
	"strings"
	"testing"
)

func TestProviderAddressForm(t *testing.T) {
	tests := []struct {
		in, user, host string
		scheme         string
		port           int
		str            string
	}{
		{"imaps://alice@gmail.com?provider=gmail", "alice@gmail.com", "imap.gmail.com", IMAPS, 993,
			"imaps://alice@gmail.com@imap.gmail.com?provider=gmail"},
		{"imap://bob@example.com?provider=microsoft365", "bob@example.com", "outlook.office365.com", IMAPS, 993,
			"imaps://bob@example.com@outlook.office365.com?provider=microsoft365"},
		{"pop3://carol@yahoo.com?provider=yahoo", "carol@yahoo.com", "pop.mail.yahoo.com", POP3S, 995,
			"pop3s://carol@yahoo.com@pop.mail.yahoo.com?provider=yahoo"},
		{"imaps://dave@hotmail.com?provider=Outlook", "dave@hotmail.com", "outlook.office365.com", IMAPS, 993,
			"imaps://dave@hotmail.com@outlook.office365.com?provider=outlook.com"},
		// Already complete, or explicit: left alone.
		{"imaps://alice@gmail.com@imap.gmail.com?provider=gmail", "alice@gmail.com", "imap.gmail.com", IMAPS, 993,
			"imaps://alice@gmail.com@imap.gmail.com?provider=gmail"},
		{"imaps://alice@proxy.example:1993?provider=gmail", "alice", "proxy.example", IMAPS, 1993,
			"imaps://alice@proxy.example:1993?provider=gmail"},
		{"imaps://a@h?provider=gmail", "a", "h", IMAPS, 993, "imaps://a@h?provider=gmail"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.in, err)
			continue
		}
		if e.User != tt.user || e.Host != tt.host || e.Scheme != tt.scheme || e.Port != tt.port {
			t.Errorf("Parse(%q) = %s %s@%s:%d, want %s %s@%s:%d", tt.in, e.Scheme, e.User, e.Host, e.Port, tt.scheme, tt.user, tt.host, tt.port)
		}
		if got := e.String(); got != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
		again, err := Parse(e.String())
		if err != nil || again.String() != e.String() {
			t.Errorf("Parse(%q) = %v, %v; want it to round-trip", e.String(), again, err)
		}
	}
}

func TestProviderErrors(t *testing.T) {
	for in, want := range map[string]string{
		"imaps://a@b.example?provider=hotmale": "want one of",
		"pop3s://a@icloud.com?provider=icloud": "no pop3 server",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
