package imapconn

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// DefaultIdleTimeout is the IdleTimeout used when Config leaves it zero.
const DefaultIdleTimeout = 2 * time.Minute

// TLSMode says how a connection is encrypted.
type TLSMode int

const (
	// Implicit TLS: the connection starts with a TLS handshake (imaps://,
	// port 993).
	Implicit TLSMode = iota
	// StartTLS: the connection starts in clear text and is upgraded with
	// STARTTLS before login. A server that does not offer STARTTLS is
	// refused; Dial never falls back to clear text.
	StartTLS
	// None: no encryption at all (?tls=none), for tests and local servers.
	None
)

// String returns the mode's name as used in URLs and messages.
func (m TLSMode) String() string {
	switch m {
	case Implicit:
		return "implicit"
	case StartTLS:
		return "starttls"
	case None:
		return "none"
	}
	return "unknown"
}

// Config describes how to reach and log in to an IMAP account.
type Config struct {
	// Addr is host:port.
	Addr string

	// Username and Password are the credentials. The password never
	// appears in errors.
	Username, Password string

	// TLS selects implicit TLS, STARTTLS or clear text.
	TLS TLSMode

	// TLSConfig is cloned and used for the handshake; ServerName defaults
	// to the host of Addr and MinVersion is raised to TLS 1.2.
	TLSConfig *tls.Config

	// IdleTimeout is how long an operation may see no traffic at all
	// before the connection is closed. Zero means DefaultIdleTimeout.
	IdleTimeout time.Duration

	// Token, if set, returns an OAuth 2.0 access token used instead of
	// Password (AUTHENTICATE OAUTHBEARER or XOAUTH2, chosen from the
	// server's capabilities unless Auth forces one). It is called on
	// every Dial, so a refreshing token source keeps a long run going.
	Token func(ctx context.Context) (string, error)

	// TokenRejected, if set, is told about a token the server refused;
	// the token source should then drop it so that Token returns a fresh
	// one. Dial retries the login once with that fresh token.
	TokenRejected func(token string)

	// Auth forces a SASL mechanism: "xoauth2" or "oauthbearer" with
	// Token, "plain" or "login" with Password; "" chooses.
	Auth string

	// MaxMessageSize, if not zero, is the largest message the account
	// takes when the server does not say (no APPENDLIMIT): a provider
	// profile's limit. See Conn.AppendLimit.
	MaxMessageSize int64

	// DialContext, if set, replaces the TCP dialer (tests, proxies).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) idleTimeout() time.Duration {
	if c.IdleTimeout <= 0 {
		return DefaultIdleTimeout
	}
	return c.IdleTimeout
}

// host returns the host part of Addr, or Addr itself.
func (c Config) host() string {
	h, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c.Addr
	}
	return h
}

// account names the account for messages: "alice@mail.example.com".
func (c Config) account() string {
	return c.Username + "@" + c.host()
}

func (c Config) tlsConfig() *tls.Config {
	var tc *tls.Config
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		tc.ServerName = c.host()
	}
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc
}
