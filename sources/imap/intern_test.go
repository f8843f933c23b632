package imap

import (
	"slices"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
)

func TestInternFlags(t *testing.T) {
	var in interner
	a := in.flagList([]goimap.Flag{goimap.FlagSeen, `\Recent`, "$Forwarded"})
	b := in.flagList([]goimap.Flag{goimap.FlagSeen, "$Forwarded"})
	if !slices.Equal(a, []string{`\Seen`, "$Forwarded"}) || &a[0] != &b[0] {
		t.Errorf("flagList() = %q then %q, want one shared [\\Seen $Forwarded]", a, b)
	}
	if c := append(a, "x"); &c[0] == &a[0] {
		t.Errorf("append(flagList(), ...) wrote into the shared list")
	}
	if e := in.flagList(nil); e == nil || len(e) != 0 {
		t.Errorf("flagList(nil) = %#v, want an empty, non-nil list (the server said: no flags)", e)
	}
	if d := in.flagList([]goimap.Flag{"$Forwarded", goimap.FlagSeen}); !slices.Equal(d, []string{"$Forwarded", `\Seen`}) {
		t.Errorf("flagList($Forwarded \\Seen) = %q, want that order", d)
	}
}

func TestInternDate(t *testing.T) {
	var in interner
	layout := "02-Jan-2006 15:04:05 -0700"
	t1, _ := time.Parse(layout, "01-Feb-2024 10:00:00 +0530")
	t2, _ := time.Parse(layout, "02-Feb-2024 11:30:00 +0530")
	a, b := in.date(t1), in.date(t2)
	if !a.Equal(t1) || !b.Equal(t2) || a.Format(layout) != t1.Format(layout) || b.Format(layout) != t2.Format(layout) {
		t.Errorf("date() = %v, %v, want %v, %v", a, b, t1, t2)
	}
	if a.Location() != b.Location() {
		t.Errorf("date() of two +0530 times gave two zones, want one shared")
	}
	if u := in.date(t1.UTC()); u.Location() != time.UTC {
		t.Errorf("date(UTC time) is in %v, want UTC", u.Location())
	}
}
