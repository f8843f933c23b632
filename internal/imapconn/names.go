package imapconn

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// delimReplacement stands in for a character of a name part that
// collides with the hierarchy delimiter on the other side.
const delimReplacement = "_"

// ToServerName turns a mailferry mailbox name (UTF-8, "/"-separated) into
// the server's name: parts joined with delim, under the personal
// namespace prefix (e.g. "INBOX." on Courier-style servers).
//
//   - "INBOX" (any case) or "" is "INBOX"; "INBOX/x" becomes a child of
//     INBOX and is not prefixed again.
//   - A part containing the server delimiter (e.g. "v1.2" on a server
//     using ".") has it replaced with "_", since it would otherwise
//     create a hierarchy level: "v1_2".
//   - delim 0 (a flat server) keeps the name as it is.
//
// The result is still UTF-8: go-imap applies modified UTF-7 itself.
func ToServerName(name string, delim rune, prefix string) string {
	name = strings.Trim(name, "/")
	if name == "" {
		return "INBOX"
	}
	parts := strings.Split(name, "/")
	if strings.EqualFold(parts[0], "INBOX") {
		parts[0] = "INBOX"
		if len(parts) == 1 {
			return "INBOX"
		}
	}
	if delim == 0 {
		return prefixed(strings.Join(parts, "/"), prefix)
	}
	d := string(delim)
	if delim != '/' {
		for i, p := range parts {
			parts[i] = strings.ReplaceAll(p, d, delimReplacement)
		}
	}
	joined := strings.Join(parts, d)
	if parts[0] == "INBOX" {
		return joined
	}
	return prefixed(joined, prefix)
}

func prefixed(name, prefix string) string {
	return prefix + name
}

// FromServerName turns a server's mailbox name into mailferry's form:
// the personal namespace prefix is removed and delim becomes "/". INBOX
// (any case) becomes "INBOX". A "/" inside a part (on servers whose
// delimiter is not "/") becomes "_", so it is not mistaken for a
// hierarchy separator. With delim 0 the name is returned as it is.
func FromServerName(name string, delim rune, prefix string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	if prefix != "" && strings.HasPrefix(name, prefix) && len(name) > len(prefix) {
		name = name[len(prefix):]
	}
	if delim == 0 || delim == '/' {
		return name
	}
	parts := strings.Split(name, string(delim))
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "/", delimReplacement)
	}
	if strings.EqualFold(parts[0], "INBOX") {
		parts[0] = "INBOX"
	}
	return strings.Join(parts, "/")
}

// Delimiter asks the server for its hierarchy delimiter (LIST "" "").
// It returns 0 for a flat server.
func (c *Conn) Delimiter(ctx context.Context) (rune, error) {
	var delim rune
	err := c.Do(ctx, func() error {
		list, err := c.Client.List("", "", nil).Collect()
		if err != nil {
			return err
		}
		if len(list) > 0 {
			delim = list[0].Delim
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("imap %s: reading the hierarchy delimiter: %w", c.cfg.Addr, err)
	}
	return delim, nil
}

// Namespace returns the personal namespace prefix, e.g. "INBOX." on
// Courier-style servers or "" on most others, from NAMESPACE when the
// server offers it (RFC 2342); "" otherwise.
func (c *Conn) Namespace(ctx context.Context) (string, error) {
	if !c.caps.Has(imap.CapNamespace) {
		return "", nil
	}
	var prefix string
	err := c.Do(ctx, func() error {
		ns, err := c.Client.Namespace().Wait()
		if err != nil {
			return err
		}
		if len(ns.Personal) > 0 {
			prefix = ns.Personal[0].Prefix
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("imap %s: reading the namespace: %w", c.cfg.Addr, err)
	}
	return prefix, nil
}
