// Package integration holds mailferry's integration tier: end-to-end
// tests that run the real engine and the real mailferry binary against a
// private Dovecot (internal/dovecottest) and check, over IMAP and POP3,
// what a person would find in their mailbox: every message once, byte
// for byte, with its date and flags, however often a run was interrupted.
//
// The package has no code of its own; its tests skip when Dovecot is not
// installed, unless MAILFERRY_REQUIRE_DOVECOT=1 (as in CI) makes them
// fail instead.
package integration
