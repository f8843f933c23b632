package endpoint

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that the String of every
// parsed endpoint parses back to the same endpoint. Seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"imaps://alice@example.com@imap.example.com/INBOX",
		"pop3://a@h:110?tls=none",
		"mbox:///a%20b?format=mboxrd",
		"maildir:~/x?layout=maildir++",
		"imap://alice@gmail.com?provider=gmail",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		str := e.String()
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) = %v; it is the String() of Parse(%q)", str, err, s)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("Parse(%q) = %+v, want %+v (from Parse(%q))", str, again, e, s)
		}
	})
}
