// Package dovecottest starts a private Dovecot 2.3 IMAP and POP3 server on
// 127.0.0.1 for integration tests.
//
// Each call to Start writes its own dovecot.conf into a fresh temporary
// directory (nothing from /etc/dovecot is read), picks free ports, runs
// "dovecot -F" as a child process and stops it again in t.Cleanup. The
// server knows a few users (alice, bob, carol; see DefaultUsers) whose mail
// lives in Maildirs below the temporary directory, so a test can inspect
// the exact bytes Dovecot stored.
//
// Dovecot refuses to run mail processes as root. When the tests run as
// root (as they do in CI) the helper uses, and if needed creates, the
// system user "mailferry-test" for mail storage; as a normal user it uses
// the current uid and gid.
//
// When the dovecot binary is missing, Start and Require skip the test,
// unless the environment variable MAILFERRY_REQUIRE_DOVECOT=1 is set: then
// they fail it, so that CI can never skip the integration tier silently.
package dovecottest
