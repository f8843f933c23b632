package mailhdr

import (
	"reflect"
	"testing"
	"time"
)

func TestHeaderEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"A: b\r\n\r\nbody", 8},
		{"A: b\n\nbody", 6},
		{"\r\nbody", 2},
		{"A: b\r\n", -1},
		{"", -1},
	} {
		if got := HeaderEnd([]byte(tc.in)); got != tc.want {
			t.Errorf("HeaderEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestArrivalDate(t *testing.T) {
	hdr := "Received: from a by b; Tue, 3 Mar 2020 10:00:00 +0100 (CET)\r\n" +
		"Received: from c by d; Mon, 2 Mar 2020 09:00:00 +0000\r\n" +
		"Date: Sun, 1 Mar 2020 08:00:00 +0000\r\n\r\n"
	got, ok := ArrivalDate([]byte(hdr))
	want := time.Date(2020, 3, 3, 9, 0, 0, 0, time.UTC)
	if !ok || !got.Equal(want) {
		t.Errorf("ArrivalDate(topmost received) = %v %v, want %v", got, ok, want)
	}
	got, ok = ArrivalDate([]byte("Received: garbage\r\nDate: 1 Mar 2020 08:00 GMT\r\n\r\n"))
	want = time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	if !ok || !got.Equal(want) {
		t.Errorf("ArrivalDate(date fallback) = %v %v, want %v", got, ok, want)
	}
	if _, ok := ArrivalDate([]byte("Subject: x\r\n\r\n")); ok {
		t.Errorf("ArrivalDate(no date) ok = true, want false")
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{
		"Tue, 3 Mar 2020 10:00:00 +0100",
		"3 Mar 2020 10:00:00 +0100 (CET)",
		"Tue Mar  3 10:00:00 2020",
		"Sat Jan 01 00:00:00 +0000 2022",
		"Tue,  3 Mar 2020 10:00:00 +0100 CET",
		"3 Mar 20 10:00 EST",
	} {
		if _, err := ParseDate(s); err != nil {
			t.Errorf("ParseDate(%q) = %v, want nil error", s, err)
		}
	}
}

func TestFlags(t *testing.T) {
	hdr := "Status: RO\r\nX-Status: AF\r\nX-Mozilla-Status: 1000\r\nX-Keywords: Work, $Label1\r\n\r\n"
	got := Flags([]byte(hdr))
	want := []string{"$Forwarded", "$Label1", "Work", `\Answered`, `\Flagged`, `\Seen`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Flags() = %v, want %v", got, want)
	}
	if got := Flags([]byte("Subject: x\r\n\r\n")); got != nil {
		t.Errorf("Flags(no flags) = %v, want nil", got)
	}
}

func TestIdentity(t *testing.T) {
	a := "Message-ID: <x@y>\r\nSubject: hi\r\n  there\r\nX-Other: 1\r\n\r\n"
	b := "Message-ID: <x@y>\r\nSubject: hi there\r\n"
	if Identity(10, []byte(a)) != Identity(10, []byte(b)) {
		t.Errorf("Identity ignores unfolding and other fields: got different keys")
	}
	if Identity(10, []byte(a)) == Identity(11, []byte(a)) {
		t.Errorf("Identity(size 10) == Identity(size 11), want different")
	}
}

func TestFlagsGmailLabels(t *testing.T) {
	hdr := "X-Gmail-Labels: Inbox,Opened,Starred,Category Updates,Work Projects,Important\r\n\r\n"
	got := Flags([]byte(hdr))
	want := []string{"Work_Projects", `\Flagged`, `\Seen`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Flags(X-Gmail-Labels) = %v, want %v", got, want)
	}
}

func TestParseDateZoneNames(t *testing.T) {
	for in, want := range map[string]time.Time{
		"Wed, 15 Jul 2015 17:30:00 EST":          time.Date(2015, 7, 15, 22, 30, 0, 0, time.UTC),
		"Wed, 15 Jul 2015 17:30:00 PDT":          time.Date(2015, 7, 16, 0, 30, 0, 0, time.UTC),
		"Wed, 15 Jul 2015 17:30:00 UT":           time.Date(2015, 7, 15, 17, 30, 0, 0, time.UTC),
		"Wed, 15 Jul 2015 17:30:00 GMT":          time.Date(2015, 7, 15, 17, 30, 0, 0, time.UTC),
		"Sat Jan  1 10:00:00 CET 2022":           time.Date(2022, 1, 1, 9, 0, 0, 0, time.UTC),
		"Wed, 15 Jul 2015 17:30:00 +0200 (CEST)": time.Date(2015, 7, 15, 15, 30, 0, 0, time.UTC),
		"15 Jul 2015 17:30 XYZ":                  time.Date(2015, 7, 15, 17, 30, 0, 0, time.UTC),
	} {
		got, err := ParseDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got.UTC(), err, want)
		}
	}
}
