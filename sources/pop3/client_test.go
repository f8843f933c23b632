package pop3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// config returns a Config for srv using STLS with the server's
// certificate trusted.
func config(srv *pop3test.Server) Config {
	return Config{
		Addr:     srv.Addr(),
		Username: pop3test.DefaultUser, Password: pop3test.DefaultPassword,
		TLS:         TLSStartTLS,
		TLSConfig:   srv.ClientTLSConfig(),
		IdleTimeout: 5 * time.Second,
	}
}

func dial(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(%s) = %v", cfg.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func retr(ctx context.Context, c *Client, n int) ([]byte, error) {
	r, err := c.Retr(ctx, n)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

var testMessages = [][]byte{
	[]byte("From: a@example.com\r\nSubject: dots\r\n\r\n.\r\n..x\r\n.\r\nend\r\n"),
	[]byte("From: Jörg <j@example.com>\r\nSubject: Grüße\r\n\r\nÄÖÜ bare\nlf\r\n"),
	append(append([]byte("Subject: long\r\n\r\n."), bytes.Repeat([]byte("x"), 1_100_000)...), "\r\n"...),
	[]byte("Subject: empty body\r\n\r\n"),
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []struct {
		name string
		tls  TLSMode
		opts []pop3test.Option
	}{
		{"implicit", TLSImplicit, []pop3test.Option{pop3test.ImplicitTLS()}},
		{"stls", TLSStartTLS, nil},
		{"none-userpass", TLSNone, []pop3test.Option{pop3test.NoSASL()}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			srv := pop3test.NewServer(t, append(mode.opts, pop3test.WithMessages(testMessages...))...)
			cfg := config(srv)
			cfg.TLS = mode.tls
			c := dial(t, cfg)
			ctx := context.Background()
			list, err := c.List(ctx)
			if err != nil || len(list) != len(testMessages) {
				t.Fatalf("List() = %v, %v, want %d messages", list, err, len(testMessages))
			}
			for i, want := range testMessages {
				got, err := retr(ctx, c, i+1)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("Retr(%d) = %.60q (%d bytes), %v, want %.60q (%d bytes)", i+1, got, len(got), err, want, len(want))
				}
				if list[i].Size != int64(len(want)) {
					t.Errorf("List()[%d].Size = %d, want %d", i, list[i].Size, len(want))
				}
			}
			if n, size, err := c.Stat(ctx); err != nil || n != len(testMessages) {
				t.Errorf("Stat() = %d, %d, %v, want %d messages", n, size, err, len(testMessages))
			}
			if err := c.Quit(ctx); err != nil {
				t.Errorf("Quit() = %v", err)
			}
		})
	}
}

func TestNoFinalCRLF(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages([]byte("Subject: x\r\n\r\nno newline")))
	c := dial(t, config(srv))
	ctx := context.Background()
	list, err := c.List(ctx)
	got, rerr := retr(ctx, c, 1)
	want := "Subject: x\r\n\r\nno newline\r\n"
	if err != nil || rerr != nil || string(got) != want || list[0].Size != int64(len(want)) {
		t.Errorf("Retr(1) = %q, %v (LIST %v, %v), want %q with a matching size", got, rerr, list, err, want)
	}
}

func TestTop(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	c := dial(t, config(srv))
	r, err := c.Top(context.Background(), 1, 0)
	if err != nil {
		t.Fatalf("Top(1, 0) = %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if want := "From: a@example.com\r\nSubject: dots\r\n\r\n"; err != nil || string(got) != want {
		t.Errorf("Top(1, 0) = %q, %v, want %q", got, err, want)
	}
}

func TestAuthMethods(t *testing.T) {
	srv := pop3test.NewServer(t)
	for _, auth := range []string{"", "plain", "user"} {
		cfg := config(srv)
		cfg.Auth = auth
		c := dial(t, cfg)
		if err := c.Noop(context.Background()); err != nil {
			t.Errorf("auth %q: Noop() = %v", auth, err)
		}
	}
	if got := srv.Logins(); got != 3 {
		t.Errorf("Logins() = %d, want 3", got)
	}
	cfg := config(srv)
	cfg.Auth = "kerberos"
	if _, err := Dial(context.Background(), cfg); !sources.IsPermanent(err) {
		t.Errorf("Dial(auth kerberos) = %v, want a permanent error", err)
	}
}

func TestLoginRejected(t *testing.T) {
	srv := pop3test.NewServer(t)
	for _, auth := range []string{"plain", "user"} {
		cfg := config(srv)
		cfg.Auth = auth
		cfg.Password = "wrong-password-xyz"
		_, err := Dial(context.Background(), cfg)
		if err == nil || !sources.IsPermanent(err) {
			t.Fatalf("Dial(auth %s, wrong password) = %v, want a permanent error", auth, err)
		}
		msg := err.Error()
		if strings.Contains(msg, cfg.Password) || !strings.Contains(msg, "pop3 login rejected for alice") {
			t.Errorf("Dial(auth %s, wrong password) = %q, want a login rejection without the password", auth, msg)
		}
	}
}

func TestSTLSNotOffered(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.NoSTLS())
	_, err := Dial(context.Background(), config(srv))
	if err == nil || !sources.IsPermanent(err) || !strings.Contains(err.Error(), "does not offer STLS") {
		t.Fatalf("Dial(STLS, server without STLS) = %v, want a permanent refusal", err)
	}
	if srv.Logins() != 0 {
		t.Errorf("Logins() = %d after refusing, want 0", srv.Logins())
	}
}

func TestUntrustedCertificate(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.ImplicitTLS())
	cfg := config(srv)
	cfg.TLS, cfg.TLSConfig = TLSImplicit, nil
	if _, err := Dial(context.Background(), cfg); !sources.IsPermanent(err) {
		t.Errorf("Dial(untrusted certificate) = %v, want a permanent error", err)
	}
}

func TestRetrDropped(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	for _, off := range []int{0, 1, 40, 500_000} {
		srv.FailRetrAt(2, off)
		c := dial(t, config(srv))
		got, err := retr(context.Background(), c, 3)
		if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Retr(3) cut at %d = %d bytes, %v, want io.ErrUnexpectedEOF", off, len(got), err)
		}
		if err := c.Noop(context.Background()); err == nil {
			t.Errorf("Noop() after a dropped RETR = nil, want an error")
		}
	}
	// The fault fires once: a new session gets the whole message.
	c := dial(t, config(srv))
	if got, err := retr(context.Background(), c, 3); err != nil || !bytes.Equal(got, testMessages[2]) {
		t.Errorf("Retr(3) after the fault = %d bytes, %v, want %d bytes", len(got), err, len(testMessages[2]))
	}
}

func TestStall(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	cfg := config(srv)
	cfg.IdleTimeout = 200 * time.Millisecond
	c := dial(t, cfg)
	srv.Stall("RETR")
	_, err := c.Retr(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "idle timeout") {
		t.Errorf("Retr(1) on a stalled server = %v, want an idle timeout error", err)
	}
}

func TestContextCancel(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	c := dial(t, config(srv))
	srv.Stall("LIST")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled) = %v, want context.Canceled", err)
	}
}

func TestEarlyCloseDrains(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	c := dial(t, config(srv))
	ctx := context.Background()
	r, err := c.Retr(ctx, 3)
	if err != nil {
		t.Fatalf("Retr(3) = %v", err)
	}
	buf := make([]byte, 10)
	io.ReadFull(r, buf)
	if _, err := c.Retr(ctx, 1); err == nil {
		t.Errorf("Retr(1) while reading 3 = nil error, want refusal")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close() early = %v", err)
	}
	if got, err := retr(ctx, c, 1); err != nil || !bytes.Equal(got, testMessages[0]) {
		t.Errorf("Retr(1) after an early Close = %q, %v, want %q", got, err, testMessages[0])
	}
}

func TestErrOn(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages...))
	c := dial(t, config(srv))
	srv.ErrOn("RETR")
	_, err := c.Retr(context.Background(), 1)
	var perr *Error
	if !errors.As(err, &perr) || perr.Command != "RETR" {
		t.Fatalf("Retr(1) with ErrOn(RETR) = %v, want *Error", err)
	}
	srv.ClearFaults()
	if _, err := retr(context.Background(), c, 1); err != nil {
		t.Errorf("Retr(1) after ClearFaults = %v, want success", err)
	}
}

// TestSlowRetrSurvives checks the timeout is idle-based: a RETR taking
// several IdleTimeouts in total succeeds while bytes keep flowing.
func TestSlowRetrSurvives(t *testing.T) {
	srv := pop3test.NewServer(t, pop3test.WithMessages(testMessages[0]))
	cfg := config(srv)
	cfg.IdleTimeout = 200 * time.Millisecond
	c := dial(t, cfg)
	srv.Trickle(2, 20*time.Millisecond) // ~66 bytes: 33 pauses, over 3 IdleTimeouts
	if got, err := retr(context.Background(), c, 1); err != nil || !bytes.Equal(got, testMessages[0]) {
		t.Errorf("Retr(1) from a slow server = %q, %v, want %q", got, err, testMessages[0])
	}
}

func TestLoginErrorClass(t *testing.T) {
	c := &Client{cfg: Config{Username: "alice", Password: "hunter2"}}
	for _, tt := range []struct {
		text      string
		permanent bool
	}{
		{"[AUTH] bad password hunter2", true},
		{"no such user", true},
		{"[IN-USE] maildrop locked", false},
		{"[LOGIN-DELAY] wait", false},
		{"[SYS/TEMP] try later", false},
	} {
		code, _ := responseCode(tt.text)
		err := c.loginError(&Error{Command: "PASS", Code: code, Text: tt.text})
		if sources.IsPermanent(err) != tt.permanent || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("loginError(%q) = %v (permanent %v), want permanent %v and no password",
				tt.text, err, sources.IsPermanent(err), tt.permanent)
		}
	}
}

func TestSilentGreeting(t *testing.T) {
	srv := pop3test.NewServer(t)
	srv.Stall("greeting")
	cfg := config(srv)
	cfg.IdleTimeout = 200 * time.Millisecond
	if _, err := Dial(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "idle timeout") {
		t.Errorf("Dial(server that never greets) = %v, want an idle timeout error", err)
	}
}
