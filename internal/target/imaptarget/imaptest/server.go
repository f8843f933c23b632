// Package imaptest runs go-imap's in-memory IMAP server (imapserver with
// imapmemserver) on 127.0.0.1 for tests and for `mailferry demo`, and
// reads mailboxes back for assertions.
package imaptest

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Username and Password are the credentials of the user NewServer
// creates.
const (
	Username = "alice"
	Password = "secret-pw"
)

// DefaultCaps are the capabilities a test server advertises unless
// Options.Caps says otherwise: what a typical Dovecot offers.
var DefaultCaps = imap.CapSet{
	imap.CapIMAP4rev1:   {},
	imap.CapUIDPlus:     {},
	imap.CapNamespace:   {},
	imap.CapLiteralPlus: {},
	imap.CapMove:        {},
}

// Options adjusts a test server.
type Options struct {
	Username, Password string

	// Caps replaces DefaultCaps (must include IMAP4rev1).
	Caps imap.CapSet

	// AppendLimit, if non-zero, is advertised as APPENDLIMIT=n and
	// enforced by the server.
	AppendLimit uint32

	// NoKeywords makes SELECT answer PERMANENTFLAGS without \* so that
	// clients may not create keywords.
	NoKeywords bool

	// AppendHook, if set, runs before each APPEND is stored; a non-nil
	// error (e.g. an *imap.Error with a response code) is sent to the
	// client instead of storing the message. It may block to simulate a
	// stalled server.
	AppendHook func(mailbox string) error

	// DiscardAppends makes APPEND read the message and keep only its size
	// and SHA-256 (see Server.LastDiscarded) instead of storing it, for
	// tests of very large messages.
	DiscardAppends bool

	// TLSConfig, if set, enables STARTTLS, or implicit TLS with
	// ImplicitTLS.
	TLSConfig *tls.Config

	// ImplicitTLS makes the listener speak TLS from the first byte
	// (imaps://); it requires TLSConfig.
	ImplicitTLS bool

	// Token, if set, makes the server accept only OAuth logins
	// (AUTHENTICATE with Mechanisms) whose token it approves; LOGIN and
	// PLAIN are refused. Not combined with AppendLimit.
	Token TokenCheck
	// Mechanisms are the token mechanisms offered, in order (default
	// OAUTHBEARER and XOAUTH2).
	Mechanisms []string

	// SessionHook, if set, runs for every new connection; an error
	// refuses it: an *imap.Error of type BYE is sent as the greeting
	// (e.g. "* BYE Too many simultaneous connections"), anything else
	// as an internal server error.
	SessionHook func() error
}

// Server is a running in-memory IMAP server.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string
	// User is the server's single user; its INBOX exists.
	User *imapmemserver.User

	opts Options
	srv  *imapserver.Server
	ln   net.Listener

	tokenCounters

	mu            sync.Mutex
	discardedSize int64
	discardedSum  [sha256.Size]byte
}

// Start starts a server with one user on addr (e.g. "127.0.0.1:0") in
// the background, without encryption. Close stops it.
func Start(addr, username, password string) (*Server, error) {
	return StartOptions(addr, Options{Username: username, Password: password})
}

// StartOptions is Start with options.
func StartOptions(addr string, opts Options) (*Server, error) {
	if opts.Username == "" {
		opts.Username, opts.Password = Username, Password
	}
	caps := opts.Caps
	if caps == nil {
		caps = DefaultCaps
	}
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(opts.Username, opts.Password)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(user)

	s := &Server{User: user, opts: opts}
	s.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			if opts.SessionHook != nil {
				if err := opts.SessionHook(); err != nil {
					return nil, nil, err
				}
			}
			sess := &session{Session: mem.NewSession(), server: s}
			if opts.Token != nil {
				return &tokenSession{sess}, nil, nil
			}
			if opts.AppendLimit > 0 {
				return &limitSession{sess}, nil, nil
			}
			return sess, nil, nil
		},
		Caps:         caps,
		TLSConfig:    opts.TLSConfig,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("imaptest: listen on %s: %w", addr, err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, opts.TLSConfig)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server and drops its connections.
func (s *Server) Close() error { return s.srv.Close() }

// LastDiscarded returns the size and SHA-256 of the last message an
// Options.DiscardAppends server received.
func (s *Server) LastDiscarded() (size int64, sum [sha256.Size]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discardedSize, s.discardedSum
}

// NewServer starts a default server for the test and stops it when the
// test ends. It returns the address and the user (Username, Password).
func NewServer(t testing.TB) (addr string, user *imapmemserver.User) {
	s := NewServerOptions(t, Options{})
	return s.Addr, s.User
}

// NewServerOptions starts a server with options for the test and stops
// it when the test ends.
func NewServerOptions(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := StartOptions("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("imaptest.StartOptions() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
