package runner

import (
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/migrate"
	"github.com/mailferry/mailferry/sources"
)

func TestMailboxMapper(t *testing.T) {
	dst, _ := endpoint.Parse("imaps://bob@imap.example.com/Imported")
	j := &jobfile.Job{
		FolderMap: map[string]string{"Sent Items": "Sent"},
		Exclude:   []string{"Trash", "Junk*"},
	}
	m := MailboxMapper(j, dst)
	for _, tc := range []struct {
		ref  migrate.MailboxRef
		want string
		skip bool
	}{
		{migrate.MailboxRef{Name: "INBOX"}, "Imported", false},
		{migrate.MailboxRef{Name: "Sent Items", TargetForRole: "Gesendet"}, "Sent", false},
		{migrate.MailboxRef{Name: "[Gmail]/Sent Mail", SpecialUse: []string{`\Sent`}, TargetForRole: "Sent"}, "Sent", false},
		{migrate.MailboxRef{Name: "Work/2024"}, "Work/2024", false},
		{migrate.MailboxRef{Name: "Trash"}, "", true},
		{migrate.MailboxRef{Name: "Junk E-mail"}, "", true},
	} {
		got, skip := m(tc.ref)
		if got != tc.want || skip != tc.skip {
			t.Errorf("MailboxMapper(%+v) = %q, %v; want %q, %v", tc.ref, got, skip, tc.want, tc.skip)
		}
	}
	j.TargetPrefix = "Old/"
	j.Include = []string{"Work/*", "INBOX"}
	m = MailboxMapper(j, dst)
	if got, _ := m(migrate.MailboxRef{Name: "Work/2024", TargetForRole: "X"}); got != "Old/Work/2024" {
		t.Errorf("with a prefix, Work/2024 -> %q, want Old/Work/2024 (no role mapping)", got)
	}
	if _, skip := m(migrate.MailboxRef{Name: "Other"}); !skip {
		t.Errorf("Other is not included but was not skipped")
	}
}

func TestFilter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := &jobfile.Job{OlderThan: 365 * 24 * time.Hour, MaxSize: 1000, SkipDeleted: true}
	f := Filter(j, func() time.Time { return now })
	for _, tc := range []struct {
		m    sources.Message
		want bool
	}{
		{sources.Message{Date: now.AddDate(-2, 0, 0), Size: 10}, true},
		{sources.Message{Date: now.AddDate(0, -1, 0), Size: 10}, false},
		{sources.Message{Date: now.AddDate(-2, 0, 0), Size: 2000}, false},
		{sources.Message{Date: now.AddDate(-2, 0, 0), Size: 10, Flags: []string{`\Deleted`}}, false},
		{sources.Message{Size: 10}, true}, // no date: date filters do not apply
	} {
		if got := f(tc.m); got != tc.want {
			t.Errorf("Filter(%v, %d bytes, %v) = %v, want %v", tc.m.Date, tc.m.Size, tc.m.Flags, got, tc.want)
		}
	}
	if Filter(&jobfile.Job{}, time.Now) != nil {
		t.Errorf("Filter(no options) != nil")
	}
}
