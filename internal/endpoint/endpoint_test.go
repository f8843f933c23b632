package endpoint

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func home(t *testing.T) string {
	t.Helper()
	h, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory:", err)
	}
	return h
}

func TestParse(t *testing.T) {
	h := home(t)
	tests := []struct {
		in   string
		want Endpoint
		str  string
	}{
		{"pop3://alice@pop.example.com", Endpoint{Scheme: POP3, User: "alice", Host: "pop.example.com", Port: 110, TLS: StartTLS}, "pop3://alice@pop.example.com"},
		{"pop3s://alice@pop.example.com", Endpoint{Scheme: POP3S, User: "alice", Host: "pop.example.com", Port: 995, TLS: Implicit}, ""},
		{"imap://bob@127.0.0.1:1143?tls=none", Endpoint{Scheme: IMAP, User: "bob", Host: "127.0.0.1", Port: 1143, TLS: None}, ""},
		{"imaps://bob@Mail.Example.COM:993/INBOX", Endpoint{Scheme: IMAPS, User: "bob", Host: "mail.example.com", Port: 993, Mailbox: "INBOX", TLS: Implicit}, "imaps://bob@mail.example.com/INBOX"},
		{"IMAPS://alice%40example.com@imap.example.com/Sent%20Items", Endpoint{Scheme: IMAPS, User: "alice@example.com", Host: "imap.example.com", Port: 993, Mailbox: "Sent Items", TLS: Implicit}, "imaps://alice@example.com@imap.example.com/Sent%20Items"},
		{"imaps://alice@example.com@imap.example.com/Archiv/2023", Endpoint{Scheme: IMAPS, User: "alice@example.com", Host: "imap.example.com", Port: 993, Mailbox: "Archiv/2023", TLS: Implicit}, ""},
		{"imaps://a@h/Entw%C3%BCrfe", Endpoint{Scheme: IMAPS, User: "a", Host: "h", Port: 993, Mailbox: "Entwürfe", TLS: Implicit}, "imaps://a@h/Entwürfe"},
		{"imaps://a@[::1]:9993/", Endpoint{Scheme: IMAPS, User: "a", Host: "::1", Port: 9993, TLS: Implicit}, "imaps://a@[::1]:9993"},
		{"imaps://a@h?ca=/etc/ca.pem&insecure=true&auth=XOAUTH2&provider=gmail", Endpoint{Scheme: IMAPS, User: "a", Host: "h", Port: 993, TLS: Implicit, CAFile: "/etc/ca.pem", Insecure: true, Auth: "xoauth2", Provider: "gmail"}, "imaps://a@h?ca=/etc/ca.pem&insecure=true&auth=xoauth2&provider=gmail"},
		{"imap://a@h?tls=starttls", Endpoint{Scheme: IMAP, User: "a", Host: "h", Port: 143, TLS: StartTLS}, "imap://a@h"},
		{"mbox:export.mbox", Endpoint{Scheme: Mbox, Path: "export.mbox"}, ""},
		{"mbox:/var/mail/alice?format=mboxcl2", Endpoint{Scheme: Mbox, Path: "/var/mail/alice", Format: "mboxcl2"}, ""},
		{"mbox:~/mail/export.mbox", Endpoint{Scheme: Mbox, Path: filepath.Join(h, "mail/export.mbox")}, ""},
		{"mbox:///abs/with%20space", Endpoint{Scheme: Mbox, Path: "/abs/with space"}, "mbox:/abs/with space"},
		{"mbox:///abs/q%3Fmark", Endpoint{Scheme: Mbox, Path: "/abs/q?mark"}, "mbox:///abs/q%3Fmark"},
		{"maildir:~/Backup/alice?layout=fs", Endpoint{Scheme: Maildir, Path: filepath.Join(h, "Backup/alice"), Layout: "fs"}, ""},
		{"  maildir:Maildir  ", Endpoint{Scheme: Maildir, Path: "Maildir"}, "maildir:Maildir"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, *got, tt.want)
		}
		str := tt.str
		if str == "" {
			str = strings.TrimSpace(tt.in)
		}
		if s := got.String(); s != str && !strings.Contains(tt.in, "~") {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, str)
		}
		again, err := Parse(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("Parse(%q) = %+v, %v, want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pop4://a@h", `unknown scheme "pop4"`},
		{"imaps://alice:hunter2@h", "passwords are not accepted in URLs; use MAILFERRY_SRC_PASSWORD, --src-password-file or a prompt"},
		{"imaps://alice:hunter2@", "passwords are not accepted"},
		{"imaps://h", "missing user"},
		{"imaps://@h", "missing user"},
		{"imaps://a@", "missing host"},
		{"imaps://a@h:0", `bad port "0"`},
		{"imaps://a@h:99999", `bad port "99999"`},
		{"imaps://a@h:x", `bad port "x"`},
		{"imaps://a@h h", `bad character ' ' in host name`},
		{"imaps://a@[::1", "missing ]"},
		{"imaps://a@h?foo=1", `unknown query parameter "foo" (imaps accepts tls, ca, insecure, auth, provider)`},
		{"imaps://a@h?format=mboxrd", `query parameter "format" does not apply to imaps endpoints`},
		{"imaps://a@h?tls=none", "tls=none is not possible with imaps"},
		{"imap://a@h?tls=none&insecure=true", "tls=none cannot be combined"},
		{"imaps://a@h?auth=cram-md5", "auth=cram-md5: want one of plain, login, xoauth2, oauthbearer"},
		{"imaps://a@h?insecure", `query parameter "insecure" needs a value`},
		{"imaps://a@h?auth=plain&auth=login", `given twice`},
		{"imaps://a@h/%ZZ", "bad percent-escape in mailbox"},
		{"imaps://a@h/a%0Db", "mailbox name contains a control character"},
		{"imaps://a%0D%0ALOGOUT@h", "user name contains a control character"},
		{"pop3s://a@h/INBOX", "pop3s endpoints have no mailbox"},
		{"mbox:", "missing path"},
		{"mbox:///abs/x%20", "path starts or ends with a space"},
		{"maildir: x", "path starts or ends with a space"},
		{"mbox://host/x", "must be followed by an absolute path"},
		{"mbox:x?layout=fs", `query parameter "layout" does not apply to mbox`},
		{"maildir:x?format=mboxrd", `does not apply to maildir`},
		{"mbox:x?format=mbox", "format=mbox: want one of mboxrd, mboxo, mboxcl, mboxcl2"},
		{"/var/mail/alice", "missing scheme"},
		{"alice@example.com", "missing scheme"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tt.in, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q) error %q repeats the password", tt.in, err)
		}
	}
}

func TestMethods(t *testing.T) {
	e, err := Parse("imaps://alice@[2001:db8::1]")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Addr(), "[2001:db8::1]:993"; got != want {
		t.Errorf("Addr() = %q, want %q", got, want)
	}
	if got, want := e.MailboxOrDefault(), "INBOX"; got != want {
		t.Errorf("MailboxOrDefault() = %q, want %q", got, want)
	}
	if e.IsLocal() || !e.IsIMAP() || e.IsPOP3() {
		t.Errorf("IsLocal, IsIMAP, IsPOP3 = %v, %v, %v, want false, true, false", e.IsLocal(), e.IsIMAP(), e.IsPOP3())
	}
	l, _ := Parse("maildir:x")
	if !l.IsLocal() || l.Addr() != "" {
		t.Errorf("maildir: IsLocal() = %v, Addr() = %q, want true, \"\"", l.IsLocal(), l.Addr())
	}
	if _, err := l.TLSConfig(); err == nil {
		t.Errorf("maildir TLSConfig() error = nil, want an error")
	}
}
