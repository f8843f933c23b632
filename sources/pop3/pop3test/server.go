// Package pop3test is an in-process POP3 server for tests and demos. It
// holds a mailbox of raw messages, speaks USER/PASS, AUTH PLAIN (or, with
// WithOAuth, only AUTH XOAUTH2/OAUTHBEARER with a valid token), STLS or
// implicit TLS with a generated self-signed certificate, dot-stuffs
// correctly, and can fail on cue: drop a connection in the middle of a
// RETR, answer -ERR to a command or to one message's RETR, or never
// answer it. With WithPipelining it announces PIPELINING, and HoldRetrs
// proves a client sends RETRs ahead of their answers.
package pop3test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Default credentials of a Server.
const (
	DefaultUser     = "alice"
	DefaultPassword = "s3cret-pw"
)

// Server is a POP3 server holding one maildrop. Its methods are safe for
// concurrent use. Fault injection and counters may be used while clients
// are connected.
type Server struct {
	user, password string
	noUIDL         bool
	noSTLS         bool
	noSASL         bool
	implicitTLS    bool
	pipelining     bool
	tokenOK        TokenCheck // non-nil: only token logins (WithOAuth)
	oauthMechs     []string

	tlsConfig *tls.Config
	pool      *x509.CertPool

	mu            sync.Mutex
	msgs          []*entry
	nextUID       int
	errOn         map[string]bool
	stall         map[string]bool
	failRetr      *retrFault
	trickle       *trickle
	holdRetrs     int
	maxHeld       int
	refuse        map[int]bool
	logins        int
	tokenLogins   int
	refusedTokens int
	retrs         int
	deleted       int
	committed     int

	ln     net.Listener
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// entry is one stored message with its UIDL.
type entry struct {
	uid string
	raw []byte
}

type retrFault struct{ index, offset int }

type trickle struct {
	chunk int
	pause time.Duration
}

// Option configures a Server made by New or NewServer.
type Option func(*Server)

// WithUser sets the credentials the server accepts (default
// DefaultUser, DefaultPassword).
func WithUser(user, password string) Option {
	return func(s *Server) { s.user, s.password = user, password }
}

// WithMessages puts raw messages (CRLF line endings) in the mailbox.
func WithMessages(msgs ...[]byte) Option {
	return func(s *Server) {
		for _, m := range msgs {
			s.addLocked(m)
		}
	}
}

// NoUIDL makes the server answer -ERR to UIDL and leave it out of CAPA.
func NoUIDL() Option { return func(s *Server) { s.noUIDL = true } }

// NoSTLS makes the server not offer STLS.
func NoSTLS() Option { return func(s *Server) { s.noSTLS = true } }

// NoSASL makes the server not offer AUTH, so clients use USER/PASS.
func NoSASL() Option { return func(s *Server) { s.noSASL = true } }

// ImplicitTLS makes the server speak TLS from the first byte (pop3s).
func ImplicitTLS() Option { return func(s *Server) { s.implicitTLS = true } }

// New makes a server that is not yet listening; see Start.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		user: DefaultUser, password: DefaultPassword,
		errOn: map[string]bool{}, stall: map[string]bool{}, refuse: map[int]bool{},
		conns: map[net.Conn]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.pool = pool
	return s, nil
}

// TB is the part of testing.TB that NewServer uses.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// NewServer starts a server on 127.0.0.1 and closes it when the test
// ends.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err == nil {
		err = s.Start("127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("pop3test.NewServer: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the
// background until Close.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pop3test: listen on %s: %w", addr, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.serve(ln)
	return nil
}

func (s *Server) serve(ln net.Listener) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				conn.Close()
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			}()
			if s.implicitTLS {
				conn = tls.Server(conn, s.tlsConfig)
			}
			newSession(s, conn).run()
		}()
	}
}

// Addr returns the "host:port" the server listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, drops every connection (uncommitted deletions
// are lost, as with any dropped POP3 session) and waits for them to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// CertPool returns a pool trusting the server's self-signed certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// ClientTLSConfig returns a client TLS configuration that trusts the
// server's certificate.
func (s *Server) ClientTLSConfig() *tls.Config { return &tls.Config{RootCAs: s.pool} }

// AddMessage appends a raw message (CRLF line endings) to the mailbox.
// Sessions already logged in do not see it.
func (s *Server) AddMessage(raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(raw)
}

func (s *Server) addLocked(raw []byte) {
	s.nextUID++
	s.msgs = append(s.msgs, &entry{uid: fmt.Sprintf("mf%06d", s.nextUID), raw: append([]byte(nil), raw...)})
}

// Messages returns the mailbox's current messages.
func (s *Server) Messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.msgs))
	for i, e := range s.msgs {
		out[i] = e.raw
	}
	return out
}

// FailRetrAt makes the next RETR of the message at msgIndex (0-based
// position in the mailbox, i.e. message number msgIndex+1) send only the
// first byteOffset bytes of the message and then drop the connection. It
// fires once.
func (s *Server) FailRetrAt(msgIndex, byteOffset int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRetr = &retrFault{msgIndex, byteOffset}
}

// ErrOn makes the server answer -ERR to every command with this verb
// (e.g. "UIDL", "PASS", "QUIT") until ClearFaults.
func (s *Server) ErrOn(command string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errOn[strings.ToUpper(command)] = true
}

// Stall makes the server never answer commands with this verb
// ("GREETING" for the greeting of new connections): it reads and
// discards input until the client or Close drops the connection.
func (s *Server) Stall(command string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall[strings.ToUpper(command)] = true
}

// Trickle makes RETR answers slow: chunk bytes at a time with pause
// between them, until ClearFaults.
func (s *Server) Trickle(chunk int, pause time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trickle = &trickle{max(chunk, 1), pause}
}

// ClearFaults cancels ErrOn, Stall, Trickle, HoldRetrs, RefuseRetr and
// a pending FailRetrAt.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errOn, s.stall, s.failRetr, s.trickle = map[string]bool{}, map[string]bool{}, nil, nil
	s.holdRetrs, s.refuse = 0, map[int]bool{}
}

// Logins returns the number of successful logins.
func (s *Server) Logins() int { s.mu.Lock(); defer s.mu.Unlock(); return s.logins }

// Retrs returns the number of RETR commands answered +OK.
func (s *Server) Retrs() int { s.mu.Lock(); defer s.mu.Unlock(); return s.retrs }

// Deleted returns the number of DELE commands answered +OK.
func (s *Server) Deleted() int { s.mu.Lock(); defer s.mu.Unlock(); return s.deleted }

// Committed returns the number of messages removed by a successful QUIT.
func (s *Server) Committed() int { s.mu.Lock(); defer s.mu.Unlock(); return s.committed }
