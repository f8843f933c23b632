package migrate

import (
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
)

func TestListingRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := newListing(dir)
	defer l.close()
	zone := time.FixedZone("IST", 5*3600+1800)
	var want []sources.Message
	n := (memBlocks+3)*blockLen + 17 // spills to the file, ends with a partial block
	for i := 0; i < n; i++ {
		m := sources.Message{
			ID: fmt.Sprintf("7/%d", i), Mailbox: []string{"INBOX", "Work/2024", "Entwürfe"}[i%3],
			Size: int64(i * 31), SizeExact: i%2 == 0, Location: fmt.Sprintf("imap://a@h/INBOX uid %d", i),
		}
		switch i % 4 {
		case 0:
			m.Flags = []string{`\Seen`, "$Label1"}
			m.Date = time.Date(2020, 1, 2, 3, 4, 5, 6, zone)
		case 1:
			m.Flags = []string{}
			m.Date = time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC)
		case 2:
			m.Date = time.Unix(1e9, 0).Local()
		}
		want = append(want, m)
		if got, err := l.add(m); err != nil || got != i {
			t.Fatalf("add(%d) = %d, %v", i, got, err)
		}
	}
	if err := l.finish(); err != nil {
		t.Fatal(err)
	}
	if l.file == nil {
		t.Fatalf("a listing of %d messages was not spilled to a file", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the spill file is visible in %s: %v (want it unlinked)", dir, entries)
	}
	check := func(i int, got sources.Message) {
		w := want[i]
		if !got.Date.Equal(w.Date) || got.Date.Format(time.RFC1123Z) != w.Date.Format(time.RFC1123Z) {
			t.Fatalf("message %d: date %v, want %v", i, got.Date, w.Date)
		}
		got.Date, w.Date = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("message %d = %+v, want %+v", i, got, w)
		}
	}
	count := 0
	for i, m := range l.all() {
		check(i, m)
		count++
	}
	if count != n {
		t.Errorf("all() yielded %d messages, want %d", count, n)
	}
	for _, i := range []int{n - 1, 0, n / 2, 17, 3 * n / 4, n - 18} { // out of order: through the cache and the file
		m, err := l.get(i)
		if err != nil {
			t.Fatal(err)
		}
		check(i, m)
	}
	if _, err := l.get(n); err == nil {
		t.Errorf("get(%d) of a listing of %d = nil error", n, n)
	}
}
