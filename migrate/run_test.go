package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/target/memtarget"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/memsource"
	"github.com/mailferry/mailferry/sources/sourcetest"
)

func corpus() []memsource.Message {
	var msgs []memsource.Message
	for _, f := range sourcetest.Fixtures() {
		msgs = append(msgs, memsource.Message{Raw: f.Raw})
	}
	return msgs
}

type rig struct {
	t      *testing.T
	box    *memsource.Box
	store  *memtarget.Store
	state  string
	stream bool // the source is a sources.Streamer
}

func newRig(t *testing.T, msgs ...memsource.Message) *rig {
	return &rig{t: t, box: memsource.NewBox(msgs...), store: &memtarget.Store{}, state: filepath.Join(t.TempDir(), "state.db")}
}

func (r *rig) run(opts Options) (*Summary, error) {
	r.t.Helper()
	j, err := journal.Open(r.state)
	if err != nil {
		r.t.Fatal(err)
	}
	defer j.Close()
	opts.Backoff = time.Millisecond
	if opts.Settle == 0 {
		opts.Settle = time.Millisecond
	}
	job := &Job{
		Name: "test",
		OpenSource: func(context.Context) (sources.Source, error) {
			if r.stream {
				return r.box.StreamingSource(), nil
			}
			return r.box.Source(), nil
		},
		Target:  r.store.Dialer(),
		Journal: j,
		Options: opts,
	}
	return Run(context.Background(), job)
}

// exactlyOnce checks that the target INBOX holds every source message
// exactly as often as the source has it.
func (r *rig) exactlyOnce(msgs []memsource.Message) {
	r.t.Helper()
	got := r.store.Mailbox("INBOX")
	want := map[string]int{}
	for _, m := range msgs {
		want[string(m.Raw)]++
	}
	have := map[string]int{}
	for _, s := range got {
		have[string(s.Raw)]++
	}
	for raw, n := range want {
		if have[raw] != n {
			r.t.Errorf("target holds %d copies of %q, want %d", have[raw], firstLine(raw), n)
		}
	}
	if len(got) != len(msgs) {
		r.t.Errorf("target holds %d messages, want %d", len(got), len(msgs))
	}
}

func firstLine(s string) string {
	if i := strings.Index(s, "Subject:"); i >= 0 {
		s = s[i:]
	}
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		return s[:i]
	}
	return s
}

func TestRunCopiesExactlyOnce(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	sum, err := r.run(Options{})
	if err != nil || !sum.OK() || sum.Copied != int64(len(msgs)) {
		t.Fatalf("Run() = %+v, %v; want %d copied", sum, err, len(msgs))
	}
	r.exactlyOnce(msgs)

	sum, err = r.run(Options{})
	if err != nil || sum.Copied != 0 || sum.AlreadyThere != int64(len(msgs)) {
		t.Fatalf("rerun = copied %d, already %d, %v; want 0, %d", sum.Copied, sum.AlreadyThere, err, len(msgs))
	}
	r.exactlyOnce(msgs)
}

func TestRunWithoutStateAddsNoDuplicates(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	if _, err := r.run(Options{}); err != nil {
		t.Fatal(err)
	}
	r.state = filepath.Join(t.TempDir(), "fresh.db")
	sum, err := r.run(Options{})
	if err != nil || sum.Copied != 0 || sum.AlreadyThere != int64(len(msgs)) {
		t.Fatalf("run with a new state = copied %d, already %d, %v; want 0, %d", sum.Copied, sum.AlreadyThere, err, len(msgs))
	}
	r.exactlyOnce(msgs)
}

func TestRunDatesAndFlags(t *testing.T) {
	given := time.Date(2019, 5, 1, 12, 0, 0, 0, time.UTC)
	msgs := []memsource.Message{
		{Raw: []byte("Received: from x by y; Tue, 3 Mar 2020 10:00:00 +0000\r\nDate: Mon, 2 Mar 2020 10:00:00 +0000\r\nStatus: RO\r\n\r\nhi\r\n")},
		{Raw: []byte("Date: Mon, 2 Mar 2020 10:00:00 +0000\r\n\r\nhi\r\n")},
		{Raw: []byte("Subject: no date\r\n\r\nhi\r\n")},
		{Raw: []byte("Subject: source date\r\n\r\nhi\r\n"), Date: given, Flags: []string{`\Flagged`}},
	}
	r := newRig(t, msgs...)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := r.run(Options{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	got := r.store.Mailbox("INBOX")
	wantDates := []time.Time{time.Date(2020, 3, 3, 10, 0, 0, 0, time.UTC), time.Date(2020, 3, 2, 10, 0, 0, 0, time.UTC), now, given}
	wantFlags := []string{`\Seen`, "", "", `\Flagged`}
	for i, s := range got {
		if !s.Msg.Date.Equal(wantDates[i]) {
			t.Errorf("message %d: date = %v, want %v", i, s.Msg.Date, wantDates[i])
		}
		if f := strings.Join(s.Msg.Flags, " "); f != wantFlags[i] {
			t.Errorf("message %d: flags = %q, want %q", i, f, wantFlags[i])
		}
	}
	r2 := newRig(t, msgs[1])
	r2.run(Options{MarkSeen: true})
	if f := r2.store.Mailbox("INBOX")[0].Msg.Flags; len(f) != 1 || f[0] != `\Seen` {
		t.Errorf("MarkSeen: flags = %v, want [\\Seen]", f)
	}
}

func TestRunLostAppendReplyIsNotDuplicated(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	r.store.FailAppend = func(n int) (error, error) {
		if n == 2 || n == 6 { // stored, but the reply never came
			return nil, errors.New("connection reset")
		}
		return nil, nil
	}
	sum, err := r.run(Options{})
	if err != nil || !sum.OK() {
		t.Fatalf("Run() = %+v, %v", sum, err)
	}
	r.exactlyOnce(msgs)
}

func TestRunSourceCutMidMessage(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	r.box.CutAfter = func(i, opens int) int64 {
		if i == 1 && opens < 3 {
			return 100
		}
		return -1
	}
	sum, err := r.run(Options{})
	if err != nil || !sum.OK() {
		t.Fatalf("Run() = %+v, %v", sum, err)
	}
	r.exactlyOnce(msgs)
}

func TestRunWrongAndUnknownSizes(t *testing.T) {
	big := append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcde\r\n"), 200000)...)
	msgs := []memsource.Message{
		{Raw: []byte("Subject: short claim\r\n\r\nbody\r\n"), WrongSize: 10},
		{Raw: []byte("Subject: long claim\r\n\r\nbody\r\n"), WrongSize: 1000},
		{Raw: []byte("Subject: unknown\r\n\r\nbody\r\n"), Inexact: true},
		{Raw: big, Inexact: true},
	}
	r := newRig(t, msgs...)
	sum, err := r.run(Options{})
	if err != nil || !sum.OK() {
		t.Fatalf("Run() = %+v, %v", sum, err)
	}
	r.exactlyOnce(msgs)
}

func TestRunDeleteSourceOnlyCopied(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	r.store.FailAppend = func(n int) (error, error) {
		if n == 0 {
			return &sources.MessageError{Location: "INBOX", Err: errors.New("too big")}, nil
		}
		return nil, nil
	}
	sum, err := r.run(Options{DeleteSource: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || sum.Deleted != int64(len(msgs)-1) {
		t.Fatalf("Run() failed %d, deleted %d; want 1, %d", len(sum.Failed), sum.Deleted, len(msgs)-1)
	}
	if got := r.box.Remaining(); got != 1 {
		t.Errorf("source keeps %d messages, want 1 (the failed one)", got)
	}
}

func TestRunPermanentTargetFailureStops(t *testing.T) {
	r := newRig(t, corpus()...)
	r.store.FailDial = func(int) error { return sources.Permanent(errors.New("login rejected")) }
	if _, err := r.run(Options{}); err == nil || !strings.Contains(err.Error(), "login rejected") {
		t.Fatalf("Run() = %v, want login rejected", err)
	}
}

func TestRunDryRunWritesNothing(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	sum, err := r.run(Options{DryRun: true})
	if err != nil || sum.Planned != int64(len(msgs)) || len(r.store.Mailbox("INBOX")) != 0 {
		t.Fatalf("dry run: planned %d, target %d, %v; want %d, 0", sum.Planned, len(r.store.Mailbox("INBOX")), err, len(msgs))
	}
}

// TestRunCrashAtEveryAppend stops the job (as a kill would) at each
// append, before or after the target stored the message, then reruns:
// the target must end with every message exactly once.
func TestRunCrashAtEveryAppend(t *testing.T) {
	msgs := corpus()
	for k := 0; k < len(msgs); k++ {
		for _, stored := range []bool{false, true} {
			r := newRig(t, msgs...)
			r.store.FailAppend = func(n int) (error, error) {
				if n != k {
					return nil, nil
				}
				crash := sources.Permanent(errors.New("killed"))
				if stored {
					return nil, crash
				}
				return crash, nil
			}
			if _, err := r.run(Options{}); err == nil {
				t.Fatalf("crash at append %d: Run() = nil error", k)
			}
			r.store.FailAppend = nil
			if sum, err := r.run(Options{}); err != nil || !sum.OK() {
				t.Fatalf("rerun after crash at %d: %v", k, err)
			}
			r.exactlyOnce(msgs)
		}
	}
}

func TestRunDrainFinishesInFlight(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	drain := make(chan struct{})
	r.store.FailAppend = func(n int) (error, error) {
		if n == 2 {
			close(drain) // asked to stop while message 2 is in flight
		}
		return nil, nil
	}
	j, err := journal.Open(r.state)
	if err != nil {
		t.Fatal(err)
	}
	job := &Job{Name: "test", OpenSource: func(context.Context) (sources.Source, error) { return r.box.Source(), nil },
		Target: r.store.Dialer(), Journal: j, Drain: drain}
	sum, err := Run(context.Background(), job)
	j.Close()
	if !errors.Is(err, ErrStopped) || sum.Copied != 3 {
		t.Fatalf("Run() with drain = copied %d, %v; want 3 copied, ErrStopped", sum.Copied, err)
	}
	r.store.FailAppend = nil
	if sum, err := r.run(Options{}); err != nil || sum.Copied != int64(len(msgs)-3) {
		t.Fatalf("rerun = copied %d, %v; want %d", sum.Copied, err, len(msgs)-3)
	}
	r.exactlyOnce(msgs)
}

func TestRunSyncFlags(t *testing.T) {
	msgs := corpus()
	for i := range msgs {
		msgs[i].Flags = []string{}
	}
	r := newRig(t, msgs...)
	if _, err := r.run(Options{}); err != nil {
		t.Fatal(err)
	}
	r.box.SetFlags(1, []string{`\Seen`, "Work"})
	sum, err := r.run(Options{})
	if err != nil || sum.FlagsSynced != 0 {
		t.Fatalf("rerun without SyncFlags synced %d, %v; want 0", sum.FlagsSynced, err)
	}
	sum, err = r.run(Options{SyncFlags: true})
	if err != nil || sum.FlagsSynced != 1 || sum.Copied != 0 {
		t.Fatalf("rerun with SyncFlags = synced %d, copied %d, %v; want 1, 0", sum.FlagsSynced, sum.Copied, err)
	}
	if got := r.store.Mailbox("INBOX")[1].Msg.Flags; strings.Join(got, " ") != `\Seen Work` {
		t.Errorf("target flags of message 1 = %v, want [\\Seen Work]", got)
	}
	if sum, _ := r.run(Options{SyncFlags: true}); sum.FlagsSynced != 0 {
		t.Errorf("third run synced %d, want 0 (nothing changed)", sum.FlagsSynced)
	}
}

func TestRunUIDValidityChange(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	r.box.Validity = 7
	if _, err := r.run(Options{}); err != nil {
		t.Fatal(err)
	}
	r.box.Validity = 8 // the server renumbered the mailbox
	j, _ := journal.Open(r.state)
	var events []Event
	job := &Job{Name: "test", OpenSource: func(context.Context) (sources.Source, error) { return r.box.Source(), nil },
		Target: r.store.Dialer(), Journal: j, Events: func(ev Event) { events = append(events, ev) }}
	sum, err := Run(context.Background(), job)
	j.Close()
	if err != nil || sum.Copied != 0 || sum.AlreadyThere != int64(len(msgs)) {
		t.Fatalf("run after UIDVALIDITY change = copied %d, already %d, %v; want 0, %d", sum.Copied, sum.AlreadyThere, err, len(msgs))
	}
	reported := false
	for _, ev := range events {
		reported = reported || ev.Kind == EventValidity
	}
	if !reported {
		t.Errorf("no EventValidity reported")
	}
	r.exactlyOnce(msgs)
}

func TestRunMapsFoldersByRole(t *testing.T) {
	msgs := []memsource.Message{
		{Mailbox: "INBOX", Raw: []byte("Subject: a\r\n\r\na\r\n")},
		{Mailbox: "Sent Items", Raw: []byte("Subject: b\r\n\r\nb\r\n")},
		{Mailbox: "[Gmail]/Drafts", Raw: []byte("Subject: c\r\n\r\nc\r\n")},
		{Mailbox: "Work/2024", Raw: []byte("Subject: d\r\n\r\nd\r\n")},
	}
	r := newRig(t, msgs...)
	r.box.Folders = []sources.Mailbox{
		{Name: "INBOX", Subscribed: true},
		{Name: "Sent Items", SpecialUse: []string{`\Sent`}, Subscribed: true},
		{Name: "[Gmail]/Drafts", SpecialUse: []string{`\Drafts`}},
		{Name: "Work/2024", Subscribed: true},
		{Name: "Empty/Folder"},
	}
	r.store.Roles = map[string]string{`\Sent`: "Gesendet", `\Drafts`: "Entwürfe"}
	j, _ := journal.Open(r.state)
	job := &Job{Name: "test", OpenSource: func(context.Context) (sources.Source, error) { return r.box.Session(), nil },
		Target: r.store.Dialer(), Journal: j, Options: Options{Connections: 3, Backoff: time.Millisecond}}
	sum, err := Run(context.Background(), job)
	j.Close()
	if err != nil || sum.Copied != 4 {
		t.Fatalf("Run() = copied %d, %v; want 4", sum.Copied, err)
	}
	for mb, want := range map[string]string{"INBOX": "Subject: a", "Gesendet": "Subject: b", "Entwürfe": "Subject: c", "Work/2024": "Subject: d"} {
		got := r.store.Mailbox(mb)
		if len(got) != 1 || !strings.HasPrefix(string(got[0].Raw), want) {
			t.Errorf("target %s = %d messages, want the one with %q", mb, len(got), want)
		}
	}
	for _, mb := range []string{"Empty/Folder", "Gesendet", "Work/2024"} {
		if !slices.Contains(r.store.Created, mb) {
			t.Errorf("folder %s was not created on the target (created %v)", mb, r.store.Created)
		}
	}
	slices.Sort(r.store.Subscribed)
	if want := []string{"Gesendet", "INBOX", "Work/2024"}; !slices.Equal(r.store.Subscribed, want) {
		t.Errorf("subscribed = %v, want %v", r.store.Subscribed, want)
	}
}

// TestRunMalformedMessages carries messages that break the rules across
// byte for byte: no header/body separator, NUL bytes, a 2 MB header
// line, invalid UTF-8 in headers, no Date, bare LF, no final newline.
func TestRunMalformedMessages(t *testing.T) {
	msgs := []memsource.Message{
		{Raw: []byte("Subject: no separator, header only\r\nX-A: b")},
		{Raw: []byte("Subject: nul\r\n\r\nbefore\x00after\r\n")},
		{Raw: append(append([]byte("X-Long: "), bytes.Repeat([]byte("h"), 2<<20)...), "\r\nSubject: long header\r\n\r\nbody\r\n"...)},
		{Raw: []byte("Subject: \xff\xfe\xc3(\r\nFrom: \x80\x81 <x@y>\r\n\r\nbody\r\n")},
		{Raw: []byte("Subject: no date at all\r\n\r\nbody")},
		{Raw: []byte("")},
		{Raw: []byte("\r\n\r\njust a body\r\n")},
	}
	r := newRig(t, msgs...)
	now := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	sum, err := r.run(Options{Now: func() time.Time { return now }})
	if err != nil || !sum.OK() || sum.Copied != int64(len(msgs)) {
		t.Fatalf("Run() = %+v, %v; want every malformed message copied", sum, err)
	}
	r.exactlyOnce(msgs)
	for i, s := range r.store.Mailbox("INBOX") {
		if i == 4 && !s.Msg.Date.Equal(now) {
			t.Errorf("message without Date: INTERNALDATE = %v, want the time of transfer %v", s.Msg.Date, now)
		}
	}
	// A rerun recognises them all.
	if sum, err := r.run(Options{}); err != nil || sum.Copied != 0 {
		t.Errorf("rerun copied %d, %v; want 0", sum.Copied, err)
	}
}

// TestRunFoldersIntoOneMailboxInParallel sends two source folders that
// hold the same message into one target mailbox, with several sessions:
// both copies must arrive (no session may take the other's fresh copy
// for one that was already there).
func TestRunFoldersIntoOneMailboxInParallel(t *testing.T) {
	same := []byte("Subject: in both folders\r\nMessage-ID: <same@x>\r\n\r\nhi\r\n")
	// A is slow to confirm its appends; C is quick, so the session that
	// did C moves on to B while A's copies are stored but not journaled.
	var msgs []memsource.Message
	for _, mb := range []string{"A", "C", "B"} {
		for i := 0; i < 20; i++ {
			raw := same
			if mb == "C" {
				raw = []byte(fmt.Sprintf("Subject: c%d\r\n\r\nx\r\n", i))
			}
			msgs = append(msgs, memsource.Message{Mailbox: mb, Raw: raw})
		}
	}
	for run := 0; run < 3; run++ {
		r := newRig(t, msgs...)
		r.store.AfterStore = func(mailbox string) {
			if mailbox == "AB" {
				time.Sleep(2 * time.Millisecond)
			}
		}
		r.box.Concurrent = true
		r.box.Folders = []sources.Mailbox{{Name: "A"}, {Name: "B"}, {Name: "C"}}
		j, _ := journal.Open(r.state)
		job := &Job{Name: "test", OpenSource: func(context.Context) (sources.Source, error) { return r.box.Session(), nil },
			Target: r.store.Dialer(), Journal: j, Options: Options{Connections: 2, Backoff: time.Millisecond,
				MapMailbox: func(ref MailboxRef) (string, bool) {
					if ref.Name == "C" {
						return "C", false
					}
					return "AB", false
				}}}
		_, err := Run(context.Background(), job)
		j.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.store.Mailbox("AB")); got != 40 {
			t.Fatalf("run %d: target AB holds %d messages, want 40", run, got)
		}
	}
}

// TestRunStopsWhenTargetKeepsFailing: a target whose every append fails
// for a temporary reason stops the job after a few messages instead of
// spending every message's attempts on it.
func TestRunStopsWhenTargetKeepsFailing(t *testing.T) {
	msgs := corpus()
	r := newRig(t, msgs...)
	r.store.FailAppend = func(int) (error, error) { return errors.New("server unavailable"), nil }
	sum, err := r.run(Options{Attempts: 2})
	if err == nil || !strings.Contains(err.Error(), "in a row") || len(sum.Failed) != maxTempFailures {
		t.Fatalf("Run() = %d failed, %v; want a job error after %d messages", len(sum.Failed), err, maxTempFailures)
	}
	r.store.FailAppend = nil
	if sum, err := r.run(Options{}); err != nil || !sum.OK() {
		t.Fatalf("rerun = %v", err)
	}
	r.exactlyOnce(msgs)
}
