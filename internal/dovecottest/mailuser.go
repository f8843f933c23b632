package dovecottest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"time"
)

// MailUser is the system account created (when running as root) to own
// the test servers' mail: Dovecot will not run mail processes as root.
const MailUser = "mailferry-test"

// account is a resolved system user.
type account struct {
	Name     string
	Group    string
	UID, GID int
}

// processUsers are the system users the private Dovecot runs as.
type processUsers struct {
	Root     bool    // the test runs as root
	Mail     account // owner of the Maildirs (mail_uid, mail_gid)
	Internal string  // default_internal_user
	Login    string  // default_login_user
}

// resolveUsers picks the users for the private Dovecot. As root it uses
// MailUser (creating it if absent) for mail and Dovecot's own "dovecot"
// and "dovenull" users for the internal and login processes when the
// package created them. As a normal user everything runs as that user.
func resolveUsers() (processUsers, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return processUsers{}, fmt.Errorf("dovecottest: look up current user (uid %d): %v; Dovecot needs a user name for its processes", os.Geteuid(), err)
		}
		acc, err := toAccount(u)
		if err != nil {
			return processUsers{}, err
		}
		return processUsers{Mail: acc, Internal: acc.Name, Login: acc.Name}, nil
	}
	acc, err := ensureMailUser()
	if err != nil {
		return processUsers{}, err
	}
	pu := processUsers{Root: true, Mail: acc, Internal: acc.Name, Login: acc.Name}
	if _, err := user.Lookup("dovecot"); err == nil {
		pu.Internal = "dovecot"
	}
	if _, err := user.Lookup("dovenull"); err == nil {
		pu.Login = "dovenull"
	}
	return pu, nil
}

// ensureMailUser looks up MailUser and creates it with useradd when it
// does not exist. Several test binaries may race to create it, so a failed
// useradd is followed by more lookups before giving up.
func ensureMailUser() (account, error) {
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		if u, err := user.Lookup(MailUser); err == nil {
			return toAccount(u)
		}
		out, err := exec.Command("useradd", "--system", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--user-group", MailUser).CombinedOutput()
		if err == nil {
			continue // look it up on the next round
		}
		lastErr = fmt.Errorf("%v: %s", err, out)
		time.Sleep(100 * time.Millisecond)
	}
	return account{}, fmt.Errorf("dovecottest: create system user %s: %v; create it by hand (useradd --system %s)", MailUser, lastErr, MailUser)
}

// toAccount converts a user.User into an account with numeric ids and the
// primary group's name.
func toAccount(u *user.User) (account, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, fmt.Errorf("dovecottest: user %s has non-numeric uid %q", u.Username, u.Uid)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("dovecottest: user %s has non-numeric gid %q", u.Username, u.Gid)
	}
	acc := account{Name: u.Username, Group: u.Gid, UID: uid, GID: gid}
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		acc.Group = g.Name
	}
	return acc, nil
}
