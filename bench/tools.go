package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailferry/mailferry/internal/dovecottest"
)

// tools are the paths of the programs compared with mailferry; "" when
// a program is not installed.
type tools struct {
	mbsync, getmail, fetchmail, procmail string
}

func findTools() tools {
	var t tools
	t.mbsync, _ = lookTool("mbsync", "/usr/bin", "/usr/local/bin")
	t.getmail, _ = lookTool("getmail", "/usr/bin", "/usr/local/bin")
	t.fetchmail, _ = lookTool("fetchmail", "/usr/bin", "/usr/local/bin")
	t.procmail, _ = lookTool("procmail", "/usr/bin", "/usr/local/bin")
	return t
}

// account is a login on the lab's Dovecot.
type account struct {
	user, password string
}

// mbsyncIMAPStore is the mbsyncrc section of an IMAP store named name
// on the server at addr ("host:port").
func mbsyncIMAPStore(name, addr string, a account) string {
	host, p, _ := strings.Cut(addr, ":")
	return fmt.Sprintf(`IMAPAccount %[1]s
Host %[5]s
Port %[2]s
User %[3]s
Pass "%[4]s"
SSLType None
AuthMechs LOGIN

IMAPStore %[1]s
Account %[1]s

`, name, p, a.user, a.password, host)
}

// mbsyncToIMAP writes an mbsyncrc into dir that pushes every folder of
// src into dst, both on the IMAP server at addr, with arrival dates, and
// returns the command running it.
func mbsyncToIMAP(mbsync, dir, addr string, src, dst account) (*command, error) {
	rc := mbsyncIMAPStore("src", addr, src) + mbsyncIMAPStore("dst", addr, dst) + fmt.Sprintf(`Channel bench
Near :src:
Far :dst:
Patterns *
Sync Push
Create Far
Expunge None
CopyArrivalDate yes
SyncState %s/
`, filepath.Join(dir, "mbsync-state"))
	return writeRC(dir, "mbsyncrc", rc, mbsync, "-c", filepath.Join(dir, "mbsyncrc"), "-a", "-q")
}

// mbsyncToMaildir writes an mbsyncrc into dir that pulls every folder of
// src into the Maildir tree maildir, and returns the command running it.
func (l *lab) mbsyncToMaildir(mbsync, dir, maildir string, src account) (*command, error) {
	rc := mbsyncIMAPStore("src", l.srv.IMAPAddr(), src) + fmt.Sprintf(`MaildirStore local
Path %[1]s/
Inbox %[1]s/INBOX
SubFolders Verbatim

Channel bench
Far :src:
Near :local:
Patterns *
Sync Pull
Create Near
Expunge None
CopyArrivalDate yes
SyncState *
`, maildir)
	return writeRC(dir, "mbsyncrc", rc, mbsync, "-c", filepath.Join(dir, "mbsyncrc"), "-a", "-q")
}

// getmailToMaildir writes a getmailrc into dir that fetches every
// message of src's POP3 INBOX into maildir (without deleting it), and
// returns the command running it.
func (l *lab) getmailToMaildir(getmail, dir, maildir string, src account) (*command, error) {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	user := ""
	if os.Geteuid() == 0 {
		// getmail refuses to deliver as root; it delivers as the mail
		// user instead, which needs to reach and own the Maildir.
		user = "user = " + dovecottest.MailUser
		if err := l.handOver(maildir); err != nil {
			return nil, err
		}
	}
	rc := fmt.Sprintf(`[retriever]
type = SimplePOP3Retriever
server = 127.0.0.1
port = %s
username = %s
password = %s

[destination]
type = Maildir
path = %s/
%s

[options]
read_all = true
delete = false
verbose = 0
message_log_syslog = false
`, port(l.srv.POP3Addr()), src.user, src.password, maildir, user)
	return writeRC(dir, "getmailrc", rc, getmail, "--rcfile", filepath.Join(dir, "getmailrc"), "--getmaildir", dir, "--quiet")
}

// fetchmailToProcmail writes a fetchmailrc into dir that fetches every
// message of src's POP3 INBOX (keeping it) and hands each one to
// procmail, which delivers it into the Maildir maildir: fetchmail has
// no Maildir writer of its own, and this is the setup the issue's
// reference figures measured.
func (l *lab) fetchmailToProcmail(fetchmail, procmail, dir, maildir string, src account) (*command, error) {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	rcfile := filepath.Join(dir, "procmailrc")
	// The trailing slash makes procmail write a Maildir.
	if err := os.WriteFile(rcfile, []byte("LOGFILE=/dev/null\n:0\n"+maildir+"/\n"), 0o600); err != nil {
		return nil, err
	}
	rc := fmt.Sprintf(`set no syslog
poll 127.0.0.1 service %s protocol POP3 auth password
  user "%s" there with password "%s" is "root" here
  options keep fetchall no rewrite sslproto ""
  mda "%s -m %s"
`, port(l.srv.POP3Addr()), src.user, src.password, procmail, rcfile)
	c, err := writeRC(dir, "fetchmailrc", rc, fetchmail, "-f", filepath.Join(dir, "fetchmailrc"), "-N", "-s",
		"--idfile", filepath.Join(dir, "fetchids"), "--pidfile", filepath.Join(dir, "fetchmail.pid"))
	if c != nil {
		c.env = append(c.env, "FETCHMAILHOME="+dir)
	}
	return c, err
}

// handOver gives the mail user the directory tree at dir and lets it
// pass through dir's parents up to the scratch directory's parent.
func (l *lab) handOver(dir string) error {
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, l.uid, l.gid)
	})
	for p := filepath.Dir(dir); err == nil && p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		var fi os.FileInfo
		if fi, err = os.Stat(p); err == nil {
			err = os.Chmod(p, fi.Mode().Perm()|0o011)
		}
	}
	return err
}

// doveadmBackup returns the command that copies src's whole account into
// the empty account dst with "doveadm backup" (dsync) inside the server:
// no network, no IMAP, the ceiling for any IMAP client.
func (l *lab) doveadmBackup(src, dst string) (*command, error) {
	if err := l.mkdirOwned(filepath.Join(l.srv.Dir(), "mail", dst)); err != nil {
		return nil, err
	}
	return &command{args: []string{l.doveadm, "-c", l.srv.ConfigPath(), "backup", "-u", src,
		"maildir:" + l.srv.MaildirPath(dst)}}, nil
}

// writeRC writes a configuration file (mode 0600, as fetchmail demands)
// and returns the command args.
func writeRC(dir, name, text string, args ...string) (*command, error) {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
		return nil, err
	}
	return &command{args: args, dir: dir}, nil
}
