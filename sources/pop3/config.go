package pop3

import (
	"context"
	"crypto/tls"
	"time"
)

// TLSMode says how the connection to the server is protected.
type TLSMode int

const (
	// TLSImplicit speaks TLS from the first byte (pop3s, port 995). It is
	// the zero value.
	TLSImplicit TLSMode = iota
	// TLSStartTLS connects in clear text and upgrades with STLS before
	// logging in. A server that does not offer STLS is refused.
	TLSStartTLS
	// TLSNone never uses TLS: the password crosses the network in clear
	// text.
	TLSNone
)

// String returns the mode as written in a source URL's tls= parameter.
func (m TLSMode) String() string {
	switch m {
	case TLSImplicit:
		return "implicit"
	case TLSStartTLS:
		return "starttls"
	case TLSNone:
		return "none"
	}
	return "unknown"
}

// DefaultIdleTimeout is the IdleTimeout used when Config leaves it zero.
const DefaultIdleTimeout = 2 * time.Minute

// Config says where and how to connect and log in.
type Config struct {
	// Addr is the server's "host:port".
	Addr string

	// Username and Password are the login credentials. The password is
	// never part of an error message.
	Username, Password string

	// TLS selects implicit TLS (the default), STLS or clear text.
	TLS TLSMode

	// TLSConfig, if set, is used for the TLS handshake (for example to
	// trust a private CA). ServerName defaults to Addr's host.
	TLSConfig *tls.Config

	// Auth picks the login method: "" chooses (with Token: SASL
	// OAUTHBEARER, else XOAUTH2, as the server lists them in CAPA;
	// without: AUTH PLAIN if listed, else USER/PASS); "plain", "user",
	// "xoauth2" and "oauthbearer" force one.
	Auth string

	// Token returns an OAuth2 access token, used instead of Password. It
	// is called on every Dial.
	Token func(ctx context.Context) (string, error)

	// TokenRejected, if set, is told about a token the server refused,
	// so that the token source drops it; Dial then logs in once more
	// with a fresh token on a new connection.
	TokenRejected func(token string)

	// IdleTimeout is how long the server may stay silent while the client
	// waits for it (and how long a write may block). Zero means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c
}
