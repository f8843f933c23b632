package imapconn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources"
)

// hangGuard bounds operations that must fail promptly; it only catches
// hangs and is far above any IdleTimeout used here.
const hangGuard = 20 * time.Second

func plainConfig(addr string) Config {
	return Config{Addr: addr, Username: imaptest.Username, Password: imaptest.Password, TLS: None}
}

func TestDialLogin(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	c, err := Dial(context.Background(), plainConfig(addr))
	if err != nil {
		t.Fatalf("Dial() = %v, want nil", err)
	}
	defer c.Close()
	if !c.Caps().Has("UIDPLUS") {
		t.Errorf("Caps() = %v, want UIDPLUS", c.Caps())
	}
	delim, err := c.Delimiter(context.Background())
	if delim != '/' || err != nil {
		t.Errorf("Delimiter() = %q, %v, want '/', nil", delim, err)
	}
	prefix, err := c.Namespace(context.Background())
	if prefix != "" || err != nil {
		t.Errorf("Namespace() = %q, %v, want \"\", nil", prefix, err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

func TestDialLoginRejected(t *testing.T) {
	addr, _ := imaptest.NewServer(t)
	cfg := plainConfig(addr)
	cfg.Password = "wrong-password-123"
	_, err := Dial(context.Background(), cfg)
	if err == nil {
		t.Fatal("Dial(wrong password) = nil, want error")
	}
	if !sources.IsPermanent(err) {
		t.Errorf("Dial(wrong password) = %v, want a permanent error", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "imap login rejected for alice@127.0.0.1") {
		t.Errorf("Dial(wrong password) = %q, want it to name the account", msg)
	}
	if strings.Contains(msg, cfg.Password) {
		t.Errorf("Dial(wrong password) = %q, contains the password", msg)
	}
}

func TestDialLoginCommand(t *testing.T) {
	// The fake server offers no AUTH=PLAIN, so LOGIN is used.
	f := newFakeServer(t, false)
	c, err := Dial(context.Background(), plainConfig(f.addr()))
	if err != nil {
		t.Fatalf("Dial(fake) = %v, want nil", err)
	}
	c.Abort()
	c.Close()
}

func TestDialStartTLS(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	s := imaptest.NewServerOptions(t, imaptest.Options{TLSConfig: srvTLS})
	cfg := plainConfig(s.Addr)
	cfg.TLS, cfg.TLSConfig = StartTLS, cliTLS
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(starttls) = %v, want nil", err)
	}
	c.Close()
}

func TestDialStartTLSRefused(t *testing.T) {
	addr, _ := imaptest.NewServer(t) // no TLS config: no STARTTLS
	cfg := plainConfig(addr)
	cfg.TLS = StartTLS
	_, err := Dial(context.Background(), cfg)
	if err == nil || !sources.IsPermanent(err) {
		t.Fatalf("Dial(starttls, server without it) = %v, want a permanent error", err)
	}
	for _, want := range []string{"STARTTLS", "imaps://", "tls=none"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Dial(starttls, server without it) = %q, want it to mention %q", err, want)
		}
	}
}

func TestDialImplicitTLS(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	s := imaptest.NewServerOptions(t, imaptest.Options{TLSConfig: srvTLS, ImplicitTLS: true})
	cfg := plainConfig(s.Addr)
	cfg.TLS, cfg.TLSConfig = Implicit, cliTLS
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(implicit) = %v, want nil", err)
	}
	c.Close()

	cfg.TLSConfig = nil // system roots do not trust the test certificate
	_, err = Dial(context.Background(), cfg)
	if err == nil || !sources.IsPermanent(err) {
		t.Errorf("Dial(untrusted certificate) = %v, want a permanent error", err)
	}
}

func TestDialSilentServer(t *testing.T) {
	f := newFakeServer(t, true)
	cfg := plainConfig(f.addr())
	cfg.IdleTimeout = 200 * time.Millisecond
	errc := make(chan error, 1)
	go func() {
		_, err := Dial(context.Background(), cfg)
		errc <- err
	}()
	select {
	case err := <-errc:
		var idle *IdleTimeoutError
		if !errors.As(err, &idle) {
			t.Errorf("Dial(silent server) = %v, want an *IdleTimeoutError", err)
		}
		if sources.IsPermanent(err) {
			t.Errorf("Dial(silent server) = %v, want a temporary error", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Dial(silent server) hangs, want an idle timeout")
	}
}
