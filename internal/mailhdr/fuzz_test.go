package mailhdr

import (
	"testing"
)

// FuzzHeader feeds arbitrary bytes to every header reader: none may
// panic, and the header end must lie within the input.
func FuzzHeader(f *testing.F) {
	for _, seed := range []string{
		"Received: from a by b; Tue, 3 Mar 2020 10:00:00 +0100 (CET)\r\nDate: Mon, 2 Mar 2020 09:00:00 EST\r\n\r\nbody",
		"Status: RO\nX-Status: AFTD\nX-Mozilla-Status: 1005\nX-Keywords: a, b\n\n",
		"X-Gmail-Labels: Inbox,Opened,Starred,Work Stuff\r\n\r\n",
		"Subject: folded\r\n  line\r\n\tmore\r\n\r\n",
		"Date: Sat Jan  1 10:00:00 CET 2022\n\n",
		"\r\n",
		"no colon line\r\n: empty name\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := HeaderEnd(b)
		if end > len(b) || end < -1 {
			t.Fatalf("HeaderEnd() = %d for %d bytes", end, len(b))
		}
		ArrivalDate(b)
		Flags(b)
		id := Identity(int64(len(b)), b)
		ParseDate(string(b))
		if again := Identity(int64(len(b)), append([]byte(nil), b...)); again != id {
			t.Fatalf("Identity is not deterministic: %s, then %s", id, again)
		}
	})
}
