package integration

import (
	"slices"
	"testing"
	"time"
)

// dateCase is a POP3 message and the INTERNALDATE and flags it must get.
type dateCase struct {
	name  string
	raw   string
	date  time.Time // zero: the time of transfer
	flags []string  // without --mark-seen
}

func dateCases() []dateCase {
	return []dateCase{
		{
			name: "topmost parseable Received",
			raw: "Received: from relay.example.com by mx.example.com; not a date at all\r\n" +
				"Received: from a.example.com (a.example.com [192.0.2.1])\r\n\tby relay.example.com with ESMTP id 1234;\r\n\tTue, 3 Mar 2020 10:11:12 +0100\r\n" +
				"Received: from c.example.com by a.example.com; Mon, 2 Mar 2020 09:00:00 +0000\r\n" +
				"Date: Sun, 1 Mar 2020 08:00:00 +0000\r\nSubject: received\r\nMessage-ID: <received@example.com>\r\n\r\nbody\r\n",
			date: time.Date(2020, 3, 3, 9, 11, 12, 0, time.UTC),
		},
		{
			name: "Date only",
			raw:  "Date: Wed, 15 Jul 2015 17:30:00 -0400\r\nSubject: dated\r\nMessage-ID: <dated@example.com>\r\n\r\nbody\r\n",
			date: time.Date(2015, 7, 15, 21, 30, 0, 0, time.UTC),
		},
		{
			name: "unparseable Received, Date",
			raw:  "Received: by x.example.com; yesterday\r\nDate: Thu, 01 Jan 2004 00:00:01 +0000\r\nSubject: fallback\r\n\r\nbody\r\n",
			date: time.Date(2004, 1, 1, 0, 0, 1, 0, time.UTC),
		},
		{
			name: "Received with a zone comment",
			raw:  "Received: from x.example.com by y.example.com;\r\n Tue, 3 Mar 2020 10:11:12 -0800 (PST)\r\nSubject: comment\r\n\r\nbody\r\n",
			date: time.Date(2020, 3, 3, 18, 11, 12, 0, time.UTC),
		},
		{
			name: "obsolete Date: no weekday, no seconds, GMT",
			raw:  "Date: 15 Jul 2015 17:30 GMT\r\nSubject: obsolete\r\n\r\nbody\r\n",
			date: time.Date(2015, 7, 15, 17, 30, 0, 0, time.UTC),
		},
		{
			name: "two-digit year",
			raw:  "Date: Fri, 1 Jan 99 00:00:00 GMT\r\nSubject: y2k\r\n\r\nbody\r\n",
			date: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "no date",
			raw:  "Subject: undated\r\nMessage-ID: <undated@example.com>\r\n\r\nbody\r\n",
		},
		{
			name:  "Status: RO",
			raw:   "Date: Fri, 5 May 2017 05:05:05 +0000\r\nStatus: RO\r\nSubject: read\r\n\r\nbody\r\n",
			date:  time.Date(2017, 5, 5, 5, 5, 5, 0, time.UTC),
			flags: []string{`\Seen`},
		},
		{
			name: "Status: O",
			raw:  "Date: Sat, 6 May 2017 06:06:06 +0000\r\nStatus: O\r\nSubject: old, unread\r\n\r\nbody\r\n",
			date: time.Date(2017, 5, 6, 6, 6, 6, 0, time.UTC),
		},
	}
}

// TestPOP3DatesAndFlags checks that POP3 mail gets the date it arrived
// (topmost parseable Received:, else Date:, else now) as INTERNALDATE,
// no flags except \Seen from "Status: R", and \Seen on everything with
// --mark-seen.
func TestPOP3DatesAndFlags(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	cases := dateCases()
	for _, c := range cases {
		srv.Deliver(t, "alice", "INBOX", []byte(c.raw))
	}
	for _, markSeen := range []bool{false, true} {
		mailbox := "INBOX"
		if markSeen {
			mailbox = "Gelesen/\u00dcber mailferry"
		}
		j := newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", mailbox))
		j.MarkSeen = markSeen
		before := time.Now().Truncate(time.Second)
		mustRun(t, j, statePath(t))
		after := time.Now()

		got := fetchMailbox(t, srv, "bob", mailbox)
		if len(got) != len(cases) {
			t.Fatalf("mark-seen=%v: %s holds %d messages, want %d", markSeen, mailbox, len(got), len(cases))
		}
		for i, c := range cases {
			g := got[i]
			if string(g.Body) != c.raw {
				t.Fatalf("mark-seen=%v: message %d of %s = %.80q, want %q (%.80q)", markSeen, i+1, mailbox, g.Body, c.name, c.raw)
			}
			switch {
			case c.date.IsZero():
				if g.Date.Before(before) || g.Date.After(after.Add(time.Second)) {
					t.Errorf("mark-seen=%v: %s: INTERNALDATE = %v, want the time of transfer (%v to %v)", markSeen, c.name, g.Date, before, after)
				}
			case !g.Date.Equal(c.date):
				t.Errorf("mark-seen=%v: %s: INTERNALDATE = %v, want %v", markSeen, c.name, g.Date.UTC(), c.date)
			}
			want := c.flags
			if markSeen {
				want = []string{`\Seen`}
			}
			if !slices.Equal(g.Flags, want) {
				t.Errorf("mark-seen=%v: %s: FLAGS = %v, want %v", markSeen, c.name, g.Flags, want)
			}
		}
	}
}

// TestPOP3DateObsoleteZones checks the zone names RFC 5322 section 4.3
// defines (UT, GMT and the US zones): a Date: written with them must
// give the same INTERNALDATE on every machine, whatever its local time
// zone.
func TestPOP3DateObsoleteZones(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	zones := []struct {
		name   string
		offset int // hours east of UTC
	}{
		{"UT", 0}, {"GMT", 0}, {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
		{"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
	}
	for _, z := range zones {
		srv.Deliver(t, "alice", "INBOX", []byte("Date: Wed, 15 Jul 2015 17:30:00 "+z.name+"\r\nSubject: "+z.name+"\r\n\r\nbody\r\n"))
	}
	mustRun(t, newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", "")), statePath(t))
	got := fetchMailbox(t, srv, "bob", "INBOX")
	if len(got) != len(zones) {
		t.Fatalf("bob's INBOX holds %d messages, want %d", len(got), len(zones))
	}
	for i, z := range zones {
		want := time.Date(2015, 7, 15, 17-z.offset, 30, 0, 0, time.UTC)
		if !got[i].Date.Equal(want) {
			t.Errorf("Date: Wed, 15 Jul 2015 17:30:00 %s: INTERNALDATE = %v, want %v", z.name, got[i].Date.UTC(), want)
		}
	}
}
