package imapconn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
)

// doWithGuard runs c.Do(ctx, fn) and fails the test if it hangs.
func doWithGuard(t *testing.T, ctx context.Context, c *Conn, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- c.Do(ctx, fn) }()
	select {
	case err := <-errc:
		return err
	case <-time.After(hangGuard):
		t.Fatal("Do() hangs")
		return nil
	}
}

func TestStalledOperation(t *testing.T) {
	f := newFakeServer(t, false)
	cfg := plainConfig(f.addr())
	cfg.IdleTimeout = 200 * time.Millisecond
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(fake) = %v", err)
	}
	defer c.Close()

	// Idle between operations: the connection must survive.
	time.Sleep(3 * cfg.IdleTimeout)
	if c.Broken() {
		t.Fatal("Broken() = true after idling between operations, want false")
	}

	err = doWithGuard(t, context.Background(), c, func() error { return c.Noop().Wait() })
	var idle *IdleTimeoutError
	if !errors.As(err, &idle) {
		t.Fatalf("Do(NOOP on stalled server) = %v, want an *IdleTimeoutError", err)
	}
	if !strings.Contains(err.Error(), f.addr()) {
		t.Errorf("Do(NOOP on stalled server) = %q, want it to name the server", err)
	}
	if Classify(err) != Temporary {
		t.Errorf("Classify(%v) = %v, want temporary", err, Classify(err))
	}
	if !c.Broken() {
		t.Error("Broken() = false after idle timeout, want true")
	}
	if err := c.Do(context.Background(), func() error { return nil }); err == nil {
		t.Error("Do() on a closed connection = nil, want error")
	}
}

func TestCancelOperation(t *testing.T) {
	f := newFakeServer(t, false)
	cfg := plainConfig(f.addr())
	cfg.IdleTimeout = time.Hour
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(fake) = %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	err = doWithGuard(t, ctx, c, func() error { return c.Noop().Wait() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do(cancelled) = %v, want context.Canceled", err)
	}
}

func TestSlowFlowingAppend(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	cfg := plainConfig(addr)
	cfg.IdleTimeout = 500 * time.Millisecond
	// 8 KiB every 20 ms: a 512 KiB message takes about 1.3 s, longer
	// than IdleTimeout, yet bytes keep flowing (with margin for a loaded
	// machine).
	cfg.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, a)
		if err != nil {
			return nil, err
		}
		return &throttledConn{Conn: conn, piece: 8 << 10, pause: 20 * time.Millisecond}, nil
	}
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	defer c.Close()
	msg := append([]byte("Subject: slow\r\n\r\n"), bytes.Repeat([]byte("0123456789abcde\n"), 32<<10)...)
	start := time.Now()
	err = doWithGuard(t, context.Background(), c, func() error {
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := cmd.Write(msg); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	})
	if err != nil {
		t.Fatalf("slow APPEND = %v, want nil", err)
	}
	if took := time.Since(start); took < cfg.IdleTimeout {
		t.Logf("transfer took %v, not longer than IdleTimeout %v: test proves less than intended", took, cfg.IdleTimeout)
	}
	got := imaptest.Fetch(t, addr, imaptest.Username, imaptest.Password, "INBOX")
	if len(got) != 1 || !bytes.Equal(got[0].Body, msg) {
		t.Errorf("Fetch(INBOX) = %d messages, want the slow message stored exactly", len(got))
	}
}

func TestClassify(t *testing.T) {
	no := func(code imap.ResponseCode) error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: "x"}
	}
	tests := []struct {
		err  error
		want Class
	}{
		{no(imap.ResponseCodeOverQuota), Permanent},
		{no(imap.ResponseCodeAuthenticationFailed), Permanent},
		{no(imap.ResponseCodeAuthorizationFailed), Permanent},
		{no(imap.ResponseCodeTooBig), PerMessage},
		{no(imap.ResponseCodeLimit), PerMessage},
		{no(imap.ResponseCodeParse), PerMessage},
		{&imap.Error{Type: imap.StatusResponseTypeBad, Text: "bad literal"}, PerMessage},
		{no(""), PerMessage},
		{no(imap.ResponseCodeUnavailable), Temporary},
		{no("THROTTLED"), Temporary},
		{no(imap.ResponseCodeInUse), Temporary},
		{&imap.Error{Type: imap.StatusResponseTypeBye, Text: "shutting down"}, Temporary},
		{net.ErrClosed, Temporary},
		{&IdleTimeoutError{Idle: time.Second}, Temporary},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
