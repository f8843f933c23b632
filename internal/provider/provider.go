// Package provider knows the quirks of the big mail providers: where
// their servers are, how they want you to log in, how many connections
// and how large a message they take, what their special folders are
// called, and how hard to back off when they push back. A profile is
// chosen with ?provider=NAME on an endpoint URL or the source_provider /
// target_provider keys of a job file, so that a user needs only their
// address:
//
//	imaps://alice@gmail.com?provider=gmail
//
// The package holds data only and imports nothing of mailferry, so that
// the endpoint parser can use it.
package provider

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// MB is a megabyte (10^6 bytes), as providers state their limits.
const MB = 1000 * 1000

// Profile is one provider's settings.
type Profile struct {
	// Name is the canonical name, as in ?provider=.
	Name string
	// Aliases are other accepted names.
	Aliases []string

	// IMAPHost and POP3Host are the servers (implicit TLS on 993 and
	// 995); POP3Host is "" for providers without POP3.
	IMAPHost, POP3Host string

	// OAuth is the OAuth issuer ("google", "microsoft"), or "" when the
	// provider only takes (app-specific) passwords from third-party
	// programs.
	OAuth string
	// Passwords says whether ordinary or app passwords still work for
	// IMAP (Gmail: app passwords with 2-step verification; Microsoft
	// 365: no, basic auth was switched off).
	Passwords bool

	// Connections is the most connections mailferry opens to one
	// account, below the provider's own cap (Gmail allows 15).
	Connections int
	// MaxMessageSize is the largest message the provider accepts, in
	// bytes; larger ones are skipped and reported.
	MaxMessageSize int64
	// Backoff is the first wait after the provider pushed back
	// (throttling, too many connections); it doubles per attempt.
	Backoff time.Duration

	// SpecialUse maps special-use attributes to the provider's folder
	// names, for documentation and servers that do not announce them.
	SpecialUse map[string]string
	// Notes are things a user should know, shown by "mailferry auth
	// providers" and in the README.
	Notes []string
}

// profiles by canonical name.
var profiles = map[string]*Profile{
	"gmail": {
		Name: "gmail", Aliases: []string{"google", "googlemail", "workspace"},
		IMAPHost: "imap.gmail.com", POP3Host: "pop.gmail.com",
		OAuth: "google", Passwords: true,
		Connections: 10, MaxMessageSize: 35 * MB, Backoff: 5 * time.Second,
		SpecialUse: map[string]string{
			`\All`: "[Gmail]/All Mail", `\Sent`: "[Gmail]/Sent Mail", `\Drafts`: "[Gmail]/Drafts",
			`\Junk`: "[Gmail]/Spam", `\Trash`: "[Gmail]/Trash", `\Flagged`: "[Gmail]/Starred",
			`\Important`: "[Gmail]/Important",
		},
		Notes: []string{
			"labels are folders over IMAP: a message with several labels is copied once per label folder",
			"[Gmail]/All Mail and [Gmail]/Important are skipped (they repeat every other folder)",
			"Gmail allows 15 connections per account; mailferry uses at most 10",
			"a daily bandwidth limit (about 2.5 GB download, 500 MB upload per day over IMAP) stops the run; run it again the next day, it continues where it stopped",
		},
	},
	"microsoft365": {
		Name: "microsoft365", Aliases: []string{"office365", "o365", "exchange-online", "m365"},
		IMAPHost: "outlook.office365.com", POP3Host: "outlook.office365.com",
		OAuth: "microsoft", Passwords: false,
		Connections: 8, MaxMessageSize: 35 * MB, Backoff: 5 * time.Second,
		SpecialUse: map[string]string{
			`\Sent`: "Sent Items", `\Drafts`: "Drafts", `\Junk`: "Junk Email",
			`\Trash`: "Deleted Items", `\Archive`: "Archive",
		},
		Notes: []string{
			"basic authentication is off: log in with OAuth (mailferry auth login --provider microsoft) or application access",
			"Exchange Online throttles with \"Request is throttled\"; mailferry waits and continues",
			"the message size limit is set by the tenant (35 MB by default, up to 150 MB)",
		},
	},
	"outlook.com": {
		Name: "outlook.com", Aliases: []string{"outlook", "hotmail", "live"},
		IMAPHost: "outlook.office365.com", POP3Host: "outlook.office365.com",
		OAuth: "microsoft", Passwords: false,
		Connections: 4, MaxMessageSize: 25 * MB, Backoff: 5 * time.Second,
		SpecialUse: map[string]string{
			`\Sent`: "Sent", `\Drafts`: "Drafts", `\Junk`: "Junk", `\Trash`: "Deleted", `\Archive`: "Archive",
		},
		Notes: []string{"personal Microsoft accounts log in with OAuth (mailferry auth login --provider microsoft)"},
	},
	"yahoo": {
		Name: "yahoo", Aliases: []string{"ymail", "aol"},
		IMAPHost: "imap.mail.yahoo.com", POP3Host: "pop.mail.yahoo.com",
		Passwords:   true,
		Connections: 4, MaxMessageSize: 25 * MB, Backoff: 10 * time.Second,
		SpecialUse: map[string]string{
			`\Sent`: "Sent", `\Drafts`: "Draft", `\Junk`: "Bulk", `\Trash`: "Trash", `\Archive`: "Archive",
		},
		Notes: []string{"use an app password (Account security > Generate app password)"},
	},
	"icloud": {
		Name: "icloud", Aliases: []string{"me.com", "mac.com"},
		IMAPHost:    "imap.mail.me.com",
		Passwords:   true,
		Connections: 4, MaxMessageSize: 20 * MB, Backoff: 10 * time.Second,
		SpecialUse: map[string]string{
			`\Sent`: "Sent Messages", `\Drafts`: "Drafts", `\Junk`: "Junk", `\Trash`: "Deleted Messages", `\Archive`: "Archive",
		},
		Notes: []string{"use an app-specific password (appleid.apple.com > Sign-In and Security); iCloud has no POP3"},
	},
	"fastmail": {
		Name: "fastmail", Aliases: []string{"fastmail.com"},
		IMAPHost: "imap.fastmail.com", POP3Host: "pop.fastmail.com",
		Passwords:   true,
		Connections: 8, MaxMessageSize: 70 * MB, Backoff: 2 * time.Second,
		SpecialUse: map[string]string{
			`\Sent`: "Sent", `\Drafts`: "Drafts", `\Junk`: "Spam", `\Trash`: "Trash", `\Archive`: "Archive",
		},
		Notes: []string{"use an app password (Settings > Privacy & Security > Integrations)"},
	},
}

// Lookup returns the profile called name (canonical or alias, any case).
func Lookup(name string) (*Profile, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if p, ok := profiles[n]; ok {
		return p, nil
	}
	for _, p := range profiles {
		for _, a := range p.Aliases {
			if a == n {
				return p, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown provider %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names returns the canonical provider names, sorted.
func Names() []string {
	out := make([]string, 0, len(profiles))
	for n := range profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Host returns the profile's server for scheme "imap(s)" or "pop3(s)",
// or "" if it has none.
func (p *Profile) Host(scheme string) string {
	if strings.HasPrefix(scheme, "pop3") {
		return p.POP3Host
	}
	return p.IMAPHost
}

// CapConnections returns n limited to the profile's connection cap (n
// itself if the profile has none).
func (p *Profile) CapConnections(n int) int {
	if p == nil || p.Connections <= 0 || n <= p.Connections {
		return n
	}
	return p.Connections
}
