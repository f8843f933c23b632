package maildir

import "testing"

func TestUTF7(t *testing.T) {
	tests := []struct{ utf8, utf7 string }{
		{"INBOX", "INBOX"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"Gelöschte Elemente", "Gel&APY-schte Elemente"},
		{"A&B", "A&-B"},
		{"äöü", "&AOQA9gD8-"},
		{"日本語", "&ZeVnLIqe-"},
		{"😀 x", "&2D3eAA- x"},
		{"~peter/mail/台北", "~peter/mail/&U,BTFw-"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EncodeUTF7(tt.utf8); got != tt.utf7 {
			t.Errorf("EncodeUTF7(%q) = %q, want %q", tt.utf8, got, tt.utf7)
		}
		got, err := DecodeUTF7(tt.utf7)
		if err != nil || got != tt.utf8 {
			t.Errorf("DecodeUTF7(%q) = %q, %v, want %q", tt.utf7, got, err, tt.utf8)
		}
	}
}

func TestDecodeUTF7Invalid(t *testing.T) {
	for _, s := range []string{
		"Entwürfe",  // raw UTF-8
		"a&AOQ",     // unterminated
		"&AOQ=-",    // padding
		"&AGE-",     // encoded printable ASCII ("a")
		"&2D0-",     // lone high surrogate
		"&3gA-",     // lone low surrogate
		"&AO-",      // odd number of bytes
		"&AOR-",     // non-zero trailing bits
		"tab\there", // control character
		"&A/Q-",     // '/' is not modified base64
	} {
		if got, err := DecodeUTF7(s); err == nil {
			t.Errorf("DecodeUTF7(%q) = %q, nil, want an error", s, got)
		}
	}
}

func FuzzUTF7(f *testing.F) {
	f.Add("Entwürfe & Co")
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeUTF7(s)
		dec, err := DecodeUTF7(enc)
		if err != nil {
			t.Fatalf("DecodeUTF7(EncodeUTF7(%q) = %q) = %v", s, enc, err)
		}
		if dec != s && isValidUTF8(s) {
			t.Fatalf("DecodeUTF7(EncodeUTF7(%q)) = %q", s, dec)
		}
		DecodeUTF7(s)
	})
}
