package dovecottest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

// DefaultUsers are the accounts every server knows, name to password.
// carol's password holds a space, a double quote and a backslash so that
// tests exercise the quoting of IMAP LOGIN and of POP3 PASS.
var DefaultUsers = map[string]string{
	"alice": "alice-secret",
	"bob":   "bob-secret",
	"carol": `carol "pw" \x`,
}

// Option changes how Start configures the server.
type Option func(*settings)

// settings collects the Options of one Start call.
type settings struct {
	tls       bool
	quota     int64            // bytes for every user, 0 for none
	userQuota map[string]int64 // per-user bytes, overriding quota
	users     map[string]string
}

// WithTLS enables TLS with a freshly generated self-signed certificate:
// imaps and pop3s listeners (IMAPSAddr, POP3SAddr) and STARTTLS/STLS on
// the plaintext ports (ssl = yes; plaintext logins stay allowed). Clients
// trust CAFile or use TLSConfig.
func WithTLS() Option {
	return func(s *settings) { s.tls = true }
}

// WithQuota loads Dovecot's quota and imap_quota plugins and limits every
// user's storage to bytes. Saving a message that would cross the limit
// fails (APPEND answers NO [OVERQUOTA]).
func WithQuota(bytes int64) Option {
	return func(s *settings) { s.quota = bytes }
}

// WithUserQuota is WithQuota for a single user; it overrides WithQuota for
// that user.
func WithUserQuota(user string, bytes int64) Option {
	return func(s *settings) {
		if s.userQuota == nil {
			s.userQuota = map[string]int64{}
		}
		s.userQuota[user] = bytes
	}
}

// WithUser adds an account (or changes a default account's password).
// Names and passwords must not contain ':' or line breaks.
func WithUser(name, password string) Option {
	return func(s *settings) { s.users[name] = password }
}

// confData feeds confTemplate.
type confData struct {
	Dir, MailDir, UsersFile string
	Users                   processUsers
	Ports                   ports
	TLS                     bool
	CertFile, KeyFile       string
	Quota                   bool
	QuotaRule               string // default quota_rule, may be ""
}

var confTemplate = template.Must(template.New("dovecot.conf").Parse(`# written by mailferry internal/dovecottest; private, reads nothing from /etc/dovecot
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
log_path = {{.Dir}}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
{{- if .TLS}}
ssl = yes
ssl_cert = <{{.CertFile}}
ssl_key = <{{.KeyFile}}
{{- else}}
ssl = no
{{- end}}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
default_internal_user = {{.Users.Internal}}
default_login_user = {{.Users.Login}}
{{- if not .Users.Root}}
default_internal_group = {{.Users.Mail.Group}}
{{- end}}
mail_uid = {{.Users.Mail.UID}}
mail_gid = {{.Users.Mail.GID}}
first_valid_uid = {{.Users.Mail.UID}}
first_valid_gid = {{.Users.Mail.GID}}
mail_home = {{.MailDir}}/%u
mail_location = maildir:{{.MailDir}}/%u/Maildir
pop3_uidl_format = %08Xu%08Xv
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
  }
  mailbox Sent {
    special_use = \Sent
  }
  mailbox Trash {
    special_use = \Trash
  }
  mailbox Junk {
    special_use = \Junk
  }
  mailbox Archive {
    special_use = \Archive
  }
}
{{- if .Quota}}
mail_plugins = $mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_grace = 0
{{- if .QuotaRule}}
  quota_rule = {{.QuotaRule}}
{{- end}}
}
{{- end}}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.UsersFile}}
}
userdb {
  driver = passwd-file
  args = username_format=%u {{.UsersFile}}
}
protocol imap {
  mail_max_userip_connections = 100
{{- if .Quota}}
  mail_plugins = $mail_plugins imap_quota
{{- end}}
}
protocol pop3 {
  mail_max_userip_connections = 100
}
service imap-login {
  inet_listener imap {
    port = {{.Ports.IMAP}}
  }
  inet_listener imaps {
    port = {{.Ports.IMAPS}}
    ssl = yes
  }
{{- if not .Users.Root}}
  chroot =
{{- end}}
}
service pop3-login {
  inet_listener pop3 {
    port = {{.Ports.POP3}}
  }
  inet_listener pop3s {
    port = {{.Ports.POP3S}}
    ssl = yes
  }
{{- if not .Users.Root}}
  chroot =
{{- end}}
}
{{- if not .Users.Root}}
service anvil {
  chroot =
}
service auth-worker {
  user = $default_internal_user
}
{{- end}}
`))

// writeConfig writes the users file and dovecot.conf into dir and returns
// the configuration's path.
func writeConfig(dir string, st *settings, pu processUsers, p ports, certFile, keyFile string) (string, error) {
	names := make([]string, 0, len(st.users))
	for name := range st.users {
		names = append(names, name)
	}
	sort.Strings(names)
	var users strings.Builder
	for _, name := range names {
		pw := st.users[name]
		if name == "" || strings.ContainsAny(name+pw, ":\r\n") || strings.ContainsAny(name, " \t/") {
			return "", fmt.Errorf("dovecottest: user %q: names and passwords must not contain ':' or line breaks, names no spaces or '/'", name)
		}
		extra := ""
		if q, ok := st.userQuota[name]; ok {
			extra = fmt.Sprintf("userdb_quota_rule=*:storage=%dB", q)
		}
		fmt.Fprintf(&users, "%s:{PLAIN}%s::::::%s\n", name, pw, extra)
	}
	usersFile := filepath.Join(dir, "users")
	if err := os.WriteFile(usersFile, []byte(users.String()), 0o644); err != nil {
		return "", fmt.Errorf("dovecottest: write users file: %v", err)
	}
	data := confData{
		Dir: dir, MailDir: filepath.Join(dir, "mail"), UsersFile: usersFile,
		Users: pu, Ports: p, TLS: st.tls, CertFile: certFile, KeyFile: keyFile,
		Quota: st.quota > 0 || len(st.userQuota) > 0,
	}
	if st.quota > 0 {
		data.QuotaRule = fmt.Sprintf("*:storage=%dB", st.quota)
	}
	var conf strings.Builder
	if err := confTemplate.Execute(&conf, data); err != nil {
		return "", fmt.Errorf("dovecottest: render dovecot.conf: %v", err)
	}
	confFile := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o644); err != nil {
		return "", fmt.Errorf("dovecottest: write dovecot.conf: %v", err)
	}
	return confFile, nil
}
