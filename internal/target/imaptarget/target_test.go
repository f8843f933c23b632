package imaptarget

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources"
)

const hangGuard = 20 * time.Second

func config(addr string) imapconn.Config {
	return imapconn.Config{Addr: addr, Username: imaptest.Username, Password: imaptest.Password, TLS: imapconn.None}
}

func dial(t *testing.T, addr string) *Target {
	t.Helper()
	tg, err := Dial(context.Background(), config(addr))
	if err != nil {
		t.Fatalf("Dial(%s) = %v", addr, err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func message(subject, body string) []byte {
	return []byte("Message-ID: <" + subject + "@example.com>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n" +
		"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: " + subject + "\r\n\r\n" + body)
}

func appendBytes(t *testing.T, tg *Target, mailbox string, raw []byte, flags []string, date time.Time) (target.Receipt, error) {
	t.Helper()
	return tg.Append(context.Background(), mailbox, target.Message{Flags: flags, Date: date, Size: int64(len(raw))}, bytes.NewReader(raw))
}

func TestAppendExact(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	tg := dial(t, addr)
	date := time.Date(2019, 3, 4, 5, 6, 7, 0, time.FixedZone("", 2*3600))
	raw := message("exact", "8-bit: \xe4\xf6\xfc \x00 lone\nLF and trailing spaces   \r\n.\r\n..dot\r\n")
	rc, err := appendBytes(t, tg, "INBOX", raw, []string{`\Seen`, `\flagged`, "$Forwarded", "Work", `\Recent`}, date)
	if err != nil {
		t.Fatalf("Append() = %v, want nil", err)
	}
	var uv, uid uint32
	if n, _ := fmt.Sscanf(rc.Ref, "%d/%d", &uv, &uid); n != 2 || uid == 0 {
		t.Errorf("Append() receipt = %q, want UIDVALIDITY/UID", rc.Ref)
	}
	got := imaptest.Fetch(t, addr, imaptest.Username, imaptest.Password, "INBOX")
	if len(got) != 1 {
		t.Fatalf("Fetch(INBOX) = %d messages, want 1", len(got))
	}
	if !bytes.Equal(got[0].Body, raw) {
		t.Errorf("stored body = %q, want %q", got[0].Body, raw)
	}
	// imapmemserver lower-cases keywords; compare without case.
	var flags []string
	for _, f := range got[0].Flags {
		flags = append(flags, strings.ToLower(f))
	}
	slices.Sort(flags)
	if want := []string{"$forwarded", `\flagged`, `\seen`, "work"}; !slices.Equal(flags, want) {
		t.Errorf("stored flags = %v, want %v", flags, want)
	}
	if !got[0].Date.Equal(date) {
		t.Errorf("stored INTERNALDATE = %v, want %v", got[0].Date, date)
	}
	if d := tg.DroppedFlags(); len(d) != 0 {
		t.Errorf("DroppedFlags() = %v, want none", d)
	}
}

func TestEnsureMailbox(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	tg := dial(t, addr)
	ctx := context.Background()
	for _, name := range []string{"Entwürfe/Ünter & Co", "Entwürfe/Ünter & Co", "INBOX", "Archiv/2024/Q1"} {
		if err := tg.EnsureMailbox(ctx, name); err != nil {
			t.Fatalf("EnsureMailbox(%q) = %v, want nil", name, err)
		}
	}
	boxes := imaptest.Mailboxes(t, addr, imaptest.Username, imaptest.Password)
	for _, want := range []string{"Entwürfe", "Entwürfe/Ünter & Co", "Archiv", "Archiv/2024", "Archiv/2024/Q1"} {
		if !slices.Contains(boxes, want) {
			t.Errorf("mailboxes = %q, want %q among them", boxes, want)
		}
	}
	raw := message("nested", "body\r\n")
	if _, err := appendBytes(t, tg, "Entwürfe/Ünter & Co", raw, nil, time.Now()); err != nil {
		t.Fatalf("Append(non-ASCII mailbox) = %v", err)
	}
	got := imaptest.Fetch(t, addr, imaptest.Username, imaptest.Password, "Entwürfe/Ünter & Co")
	if len(got) != 1 || !bytes.Equal(got[0].Body, raw) {
		t.Errorf("Fetch(non-ASCII mailbox) = %d messages, want the appended one", len(got))
	}

	// A second Target (fresh cache) accepts existing mailboxes.
	tg2 := dial(t, addr)
	if err := tg2.EnsureMailbox(ctx, "Archiv/2024/Q1"); err != nil {
		t.Errorf("EnsureMailbox(existing) = %v, want nil", err)
	}
}

func TestIndex(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	tg := dial(t, addr)
	ctx := context.Background()
	if err := tg.EnsureMailbox(ctx, "Work"); err != nil {
		t.Fatal(err)
	}
	a := message("twice", "same\r\n")
	b := append(message("once", "other\r\n"), "Received: from x by y; Mon, 1 Jan 2024 10:00:00 +0000\r\n"...)
	for _, raw := range [][]byte{a, b, a} {
		if _, err := appendBytes(t, tg, "Work", raw, []string{`\Seen`}, time.Now()); err != nil {
			t.Fatalf("Append() = %v", err)
		}
	}
	idx, err := tg.Index(ctx, "Work")
	if err != nil {
		t.Fatalf("Index(Work) = %v", err)
	}
	ida := mailhdr.Identity(int64(len(a)), a[:mailhdr.HeaderEnd(a)])
	idb := mailhdr.Identity(int64(len(b)), b[:mailhdr.HeaderEnd(b)])
	if idx[ida] != 2 || idx[idb] != 1 || len(idx) != 2 {
		t.Errorf("Index(Work) = %v, want {%s: 2, %s: 1}", idx, ida, idb)
	}

	idx, err = tg.Index(ctx, "Missing/Box")
	if err != nil || len(idx) != 0 {
		t.Errorf("Index(missing) = %v, %v, want empty, nil", idx, err)
	}
	idx, err = tg.Index(ctx, "INBOX")
	if err != nil || len(idx) != 0 {
		t.Errorf("Index(empty INBOX) = %v, %v, want empty, nil", idx, err)
	}
	// Appending after Index (mailbox selected read-only) still works.
	if _, err := appendBytes(t, tg, "Work", b, nil, time.Now()); err != nil {
		t.Errorf("Append() after Index = %v", err)
	}
}

func TestAppendWrongSize(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	tg := dial(t, addr)
	raw := message("size", strings.Repeat("x", 20000)+"\r\n")
	tests := []struct {
		name    string
		deliver []byte
		want    string
	}{
		{"short", raw[:len(raw)-10], fmt.Sprintf("source delivered %d bytes, expected %d", len(raw)-10, len(raw))},
		{"long", append(slices.Clone(raw), "extra"...), fmt.Sprintf("source delivered more than %d bytes", len(raw))},
		{"empty", nil, fmt.Sprintf("source delivered 0 bytes, expected %d", len(raw))},
	}
	for _, tt := range tests {
		m := target.Message{Date: time.Now(), Size: int64(len(raw))}
		_, err := tg.Append(context.Background(), "INBOX", m, bytes.NewReader(tt.deliver))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Append(%s reader) = %v, want %q", tt.name, err, tt.want)
		}
		if sources.IsPermanent(err) || errors.As(err, new(*sources.MessageError)) {
			t.Errorf("Append(%s reader) = %v, want a temporary error", tt.name, err)
		}
	}
	if got := imaptest.Fetch(t, addr, imaptest.Username, imaptest.Password, "INBOX"); len(got) != 0 {
		t.Fatalf("after wrong-size appends INBOX has %d messages, want 0", len(got))
	}
	// The Target redials after the aborted connection.
	if _, err := appendBytes(t, tg, "INBOX", raw, nil, time.Now()); err != nil {
		t.Fatalf("Append() after abort = %v, want nil", err)
	}
	if got := imaptest.Fetch(t, addr, imaptest.Username, imaptest.Password, "INBOX"); len(got) != 1 || !bytes.Equal(got[0].Body, raw) {
		t.Errorf("INBOX = %d messages, want the one good append", len(got))
	}
}

func TestLoginRejected(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	cfg := config(addr)
	cfg.Password = "not-the-password"
	_, err := Dialer(cfg)(context.Background())
	if err == nil || !sources.IsPermanent(err) {
		t.Fatalf("Dialer(wrong password)() = %v, want a permanent error", err)
	}
	if strings.Contains(err.Error(), cfg.Password) {
		t.Errorf("Dialer(wrong password)() = %q, contains the password", err)
	}
}

func TestStalledAppend(t *testing.T) {
	release := make(chan struct{})
	s := imaptest.NewServerOptions(t, imaptest.Options{AppendHook: func(string) error {
		<-release
		return nil
	}})
	t.Cleanup(func() { close(release) })
	cfg := config(s.Addr)
	cfg.IdleTimeout = 200 * time.Millisecond
	tg, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := appendBytes(t, tg, "INBOX", message("stall", "x\r\n"), nil, time.Now())
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.As(err, new(*imapconn.IdleTimeoutError)) || sources.IsPermanent(err) {
			t.Errorf("Append(stalled server) = %v, want a temporary idle timeout", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Append(stalled server) hangs")
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func TestAppendLimit(t *testing.T) {
	s := imaptest.NewServerOptions(t, imaptest.Options{AppendLimit: 1000})
	tg := dial(t, s.Addr)
	raw := message("big", strings.Repeat("y", 2000))
	cr := &countingReader{r: bytes.NewReader(raw)}
	_, err := tg.Append(context.Background(), "INBOX", target.Message{Date: time.Now(), Size: int64(len(raw))}, cr)
	var me *sources.MessageError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "APPENDLIMIT") {
		t.Errorf("Append(over APPENDLIMIT) = %v, want a MessageError naming APPENDLIMIT", err)
	}
	if cr.n != 0 {
		t.Errorf("Append(over APPENDLIMIT) read %d bytes, want 0", cr.n)
	}
	if _, err := appendBytes(t, tg, "INBOX", message("small", "z"), nil, time.Now()); err != nil {
		t.Errorf("Append(under APPENDLIMIT) = %v, want nil", err)
	}
}
