package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailferry/mailferry/internal/provider"
)

// ErrPassword is returned by Parse for an endpoint with "user:pass@".
var ErrPassword = errors.New("passwords are not accepted in URLs; use MAILFERRY_SRC_PASSWORD, --src-password-file or a prompt")

// Parse parses an endpoint written as described in the package comment.
// Its errors never repeat the input, so they are safe to print even if the
// input held a password; callers add where the endpoint came from.
func Parse(s string) (*Endpoint, error) {
	s = strings.TrimSpace(s)
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || strings.ContainsAny(s[:colon], "/\\ ") {
		return nil, errors.New("missing scheme: write pop3s://user@host, imaps://user@host/INBOX, mbox:PATH or maildir:PATH")
	}
	e := &Endpoint{Scheme: strings.ToLower(s[:colon])}
	rest := s[colon+1:]
	var err error
	switch e.Scheme {
	case POP3, POP3S, IMAP, IMAPS:
		err = e.parseRemote(rest)
	case Mbox, Maildir:
		err = e.parseLocal(rest)
	default:
		return nil, fmt.Errorf("unknown scheme %q (want pop3, pop3s, imap, imaps, mbox or maildir)", s[:colon])
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Endpoint) parseRemote(rest string) error {
	if !strings.HasPrefix(rest, "//") {
		return fmt.Errorf("%s endpoint must look like %s://user@host", e.Scheme, e.Scheme)
	}
	rest = rest[2:]
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, hasPath := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return fmt.Errorf("missing user: write %s://user@host", e.Scheme)
	}
	userinfo, hostport := authority[:at], authority[at+1:]
	if strings.Contains(userinfo, ":") {
		return ErrPassword
	}
	user, err := url.PathUnescape(userinfo)
	if err != nil {
		return fmt.Errorf("bad percent-escape in user name")
	}
	if user == "" {
		return fmt.Errorf("missing user: write %s://user@host", e.Scheme)
	}
	if bad := badText(user); bad != "" {
		return fmt.Errorf("user name %s", bad)
	}
	e.User = user
	port, err := e.parseHostPort(hostport)
	if err != nil {
		return err
	}
	if hasPath && path != "" {
		if e.IsPOP3() {
			return fmt.Errorf("%s endpoints have no mailbox; remove %q", e.Scheme, "/"+path)
		}
		mbox, err := url.PathUnescape(path)
		if err != nil {
			return fmt.Errorf("bad percent-escape in mailbox name")
		}
		if bad := badText(mbox); bad != "" {
			return fmt.Errorf("mailbox name %s", bad)
		}
		e.Mailbox = mbox
	}
	e.TLS = Implicit
	if e.Scheme == POP3 || e.Scheme == IMAP {
		e.TLS = StartTLS
	}
	if err := e.parseQuery(query); err != nil {
		return err
	}
	if e.TLS == None && (e.CAFile != "" || e.Insecure) {
		return errors.New("tls=none cannot be combined with ca= or insecure=")
	}
	return e.applyProvider(port)
}

// applyProvider fills in the server of a provider endpoint written with
// only the account's address: imaps://alice@gmail.com?provider=gmail is
// user alice@gmail.com at imaps://imap.gmail.com. It applies when the
// user has no "@", the "host" is a domain name other than the
// provider's server and no port was given; the scheme then becomes the
// implicit-TLS one (imaps, pop3s), which every known provider uses.
func (e *Endpoint) applyProvider(port string) error {
	if e.Provider == "" {
		return nil
	}
	p, err := provider.Lookup(e.Provider)
	if err != nil {
		return err
	}
	host := p.Host(e.Scheme)
	if host == "" {
		return fmt.Errorf("provider %s has no %s server; use imaps://", p.Name, strings.TrimSuffix(e.Scheme, "s"))
	}
	if strings.Contains(e.User, "@") || e.Host == host || port != "" ||
		!strings.Contains(e.Host, ".") || strings.Contains(e.Host, ":") {
		return nil
	}
	e.User = e.User + "@" + e.Host
	e.Host = host
	if e.TLS != None {
		switch e.Scheme {
		case IMAP:
			e.Scheme = IMAPS
		case POP3:
			e.Scheme = POP3S
		}
		e.TLS = Implicit
	}
	e.Port = DefaultPort(e.Scheme)
	return nil
}

// badText describes why s cannot be a user or mailbox name, or returns "".
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains a control character"
		}
	}
	return ""
}

// parseHostPort sets Host and Port and returns the port as written ("" if
// none).
func (e *Endpoint) parseHostPort(hp string) (string, error) {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", errors.New("missing ] after IPv6 address")
		}
		host = hp[1:end]
		after := hp[end+1:]
		if after != "" {
			if after[0] != ':' {
				return "", fmt.Errorf("unexpected %q after IPv6 address", after)
			}
			port = after[1:]
		}
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return "", fmt.Errorf("bad IPv6 address %q", host)
		}
	} else {
		if i := strings.LastIndexByte(hp, ':'); i >= 0 {
			host, port = hp[:i], hp[i+1:]
		}
		if host == "" {
			return "", errors.New("missing host name")
		}
		for i := 0; i < len(host); i++ {
			c := host[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
				return "", fmt.Errorf("bad character %q in host name", c)
			}
		}
	}
	e.Host = strings.ToLower(host)
	e.Port = DefaultPort(e.Scheme)
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return "", fmt.Errorf("bad port %q (want 1-65535)", port)
		}
		e.Port = n
	}
	return port, nil
}

func (e *Endpoint) parseLocal(rest string) error {
	if strings.HasPrefix(rest, "//") {
		// URL form: mbox:///abs/path, percent-escaped.
		p, query, _ := strings.Cut(rest[2:], "?")
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("%s:// must be followed by an absolute path (%s:///abs/path); for other paths write %s:PATH", e.Scheme, e.Scheme, e.Scheme)
		}
		path, err := url.PathUnescape(p)
		if err != nil {
			return errors.New("bad percent-escape in path")
		}
		e.Path = path
		rest = query
	} else {
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return fmt.Errorf("missing path: write %s:PATH", e.Scheme)
		}
		home, err := expandHome(path)
		if err != nil {
			return err
		}
		e.Path = home
		rest = query
	}
	if strings.IndexByte(e.Path, 0) >= 0 {
		return errors.New("path contains a NUL byte")
	}
	if strings.TrimSpace(e.Path) != e.Path {
		return errors.New("path starts or ends with a space")
	}
	return e.parseQuery(rest)
}

// expandHome replaces a leading "~" or "~/" with the home directory.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot expand %q: %v", p, err)
	}
	return filepath.Join(home, p[1:]), nil
}
