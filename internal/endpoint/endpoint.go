// Package endpoint parses the endpoint syntax mailferry accepts on the
// command line and in job files:
//
//	pop3://user@host[:port]            POP3, STARTTLS (or ?tls=none)
//	pop3s://user@host[:port]           POP3 over TLS
//	imap://user@host[:port][/Mailbox]  IMAP, STARTTLS (or ?tls=none)
//	imaps://user@host[:port][/Mailbox] IMAP over TLS
//	mbox:PATH                          an mbox file
//	maildir:PATH                       a Maildir directory
//
// The user may contain "@" raw or percent-encoded (the host follows the
// last "@"). PATH may be relative, absolute or start with "~/"; the URL
// form mbox:///abs/path is accepted too. Query parameters (?tls=none,
// ?ca=FILE, ?insecure=true, ?auth=..., ?provider=..., ?format=...,
// ?layout=...) tune the connection or the file format; unknown ones are
// errors. Passwords are never accepted in an endpoint: they come from the
// secret package.
//
// With ?provider=NAME (see package provider) the server may be left out:
// imaps://alice@gmail.com?provider=gmail means the user alice@gmail.com
// on imaps://imap.gmail.com. This applies when the user has no "@", no
// port is given and the host is not the provider's server; such
// endpoints always use implicit TLS.
package endpoint

import (
	"net"
	"strconv"
	"strings"
)

// Schemes, as written before the colon.
const (
	POP3    = "pop3"
	POP3S   = "pop3s"
	IMAP    = "imap"
	IMAPS   = "imaps"
	Mbox    = "mbox"
	Maildir = "maildir"
)

// TLSMode says how a network endpoint protects its connection.
type TLSMode int

const (
	// Implicit TLS: the connection is TLS from the first byte (pop3s, imaps).
	Implicit TLSMode = iota
	// StartTLS upgrades a plain connection before login (pop3, imap); the
	// login fails if the server does not offer STARTTLS.
	StartTLS
	// None sends everything, the password included, in clear (?tls=none).
	None
)

// String returns the mode's name as written in ?tls=.
func (m TLSMode) String() string {
	switch m {
	case Implicit:
		return "implicit"
	case StartTLS:
		return "starttls"
	case None:
		return "none"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Endpoint is a parsed source or target.
type Endpoint struct {
	// Scheme is one of POP3, POP3S, IMAP, IMAPS, Mbox, Maildir.
	Scheme string

	// User, Host and Port address a network endpoint. User is
	// percent-decoded; Host is lower-case, without IPv6 brackets; Port is
	// the default for the scheme when none was given.
	User string
	Host string
	Port int

	// Mailbox is the UTF-8 mailbox named in an imap(s) URL path, with "/"
	// as the hierarchy separator, or "" when none was given (see
	// MailboxOrDefault).
	Mailbox string

	// Path is the file or directory of an mbox or maildir endpoint, with
	// a leading "~/" expanded to the home directory.
	Path string

	// TLS, CAFile and Insecure control the connection's security. CAFile
	// holds extra trusted certificates (PEM) added to the system pool.
	// Insecure skips certificate verification; callers should warn.
	TLS      TLSMode
	CAFile   string
	Insecure bool

	// Format is the mbox flavour (mboxrd, mboxo, mboxcl, mboxcl2) or ""
	// for the adapter's default.
	Format string

	// Compress is how an mbox backup is compressed ("gzip", "zstd") or
	// "" for none; only backup and archive targets use it.
	Compress string

	// Layout is the Maildir folder layout (maildir++, fs) or "" for the
	// adapter's default.
	Layout string

	// Auth is the SASL mechanism to use (plain, login, xoauth2,
	// oauthbearer) or "" to let the adapter choose.
	Auth string

	// Provider is the canonical name of a mail provider whose profile
	// applies ("gmail", "microsoft365", ...; see package provider).
	Provider string
}

// DefaultPort returns the standard port for a network scheme, or 0.
func DefaultPort(scheme string) int {
	switch scheme {
	case POP3:
		return 110
	case POP3S:
		return 995
	case IMAP:
		return 143
	case IMAPS:
		return 993
	}
	return 0
}

// IsLocal reports whether the endpoint is a local file or directory.
func (e *Endpoint) IsLocal() bool {
	return e.Scheme == Mbox || e.Scheme == Maildir
}

// IsIMAP reports whether the endpoint is an imap or imaps server.
func (e *Endpoint) IsIMAP() bool {
	return e.Scheme == IMAP || e.Scheme == IMAPS
}

// IsPOP3 reports whether the endpoint is a pop3 or pop3s server.
func (e *Endpoint) IsPOP3() bool {
	return e.Scheme == POP3 || e.Scheme == POP3S
}

// Addr returns "host:port" for dialing a network endpoint, or "" for a
// local one.
func (e *Endpoint) Addr() string {
	if e.IsLocal() {
		return ""
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// MailboxOrDefault returns Mailbox, or "INBOX" when none was given.
func (e *Endpoint) MailboxOrDefault() string {
	if e.Mailbox == "" {
		return "INBOX"
	}
	return e.Mailbox
}

// String returns the canonical form of the endpoint, which Parse turns
// back into the same Endpoint. It names the user but never contains a
// password (Parse rejects those). Default ports and settings are left out.
func (e *Endpoint) String() string {
	var b strings.Builder
	b.WriteString(e.Scheme)
	b.WriteByte(':')
	if e.IsLocal() {
		if needsURLForm(e.Path) {
			b.WriteString("//")
			b.WriteString(escape(e.Path, "/"))
		} else {
			b.WriteString(e.Path)
		}
	} else {
		b.WriteString("//")
		b.WriteString(escape(e.User, "@"))
		b.WriteByte('@')
		if strings.Contains(e.Host, ":") {
			b.WriteString("[" + e.Host + "]")
		} else {
			b.WriteString(e.Host)
		}
		if e.Port != DefaultPort(e.Scheme) {
			b.WriteString(":" + strconv.Itoa(e.Port))
		}
		if e.Mailbox != "" {
			b.WriteByte('/')
			b.WriteString(escape(e.Mailbox, "/"))
		}
	}
	sep := byte('?')
	add := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(k + "=" + escape(v, "/"))
	}
	if e.TLS == None {
		add("tls", "none")
	}
	add("ca", e.CAFile)
	if e.Insecure {
		add("insecure", "true")
	}
	add("auth", e.Auth)
	add("provider", e.Provider)
	add("format", e.Format)
	add("compress", e.Compress)
	add("layout", e.Layout)
	return b.String()
}

// needsURLForm reports whether a local path cannot be written as
// scheme:PATH and must use scheme://PATH with percent-escapes. Only
// absolute paths can need it: Parse never yields others with "?".
func needsURLForm(p string) bool {
	return strings.Contains(p, "?") || strings.HasPrefix(p, "//")
}

// escape percent-encodes the bytes of s that Parse would read as syntax,
// spaces and control characters; bytes in keep are left alone. UTF-8 is
// kept readable unless s has Unicode space at either end, which Parse
// would otherwise trim.
func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(keep, c) >= 0,
			c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("-._~!$'()*+,;=[]", c) >= 0:
			b.WriteByte(c)
		case c >= 0x80 && !endsInSpace(s):
			b.WriteByte(c) // readable UTF-8 mailbox and user names
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// endsInSpace reports whether s has Unicode space around it, which Parse
// would trim if written raw.
func endsInSpace(s string) bool {
	return strings.TrimSpace(s) != s
}
