// Package soak proves that mailferry loses nothing when everything
// around it fails. Its tests run the real mailferry binary (built by
// TestMain) through internal/chaos proxies that cut, reset, stall and
// slow the source and target connections at random (from a printed
// seed), SIGKILL the process at random moments, and rerun it until it
// exits 0; then they compare source and target: every message exactly
// once by SHA-256, with its bytes, flags and INTERNALDATE.
//
// Server-side faults are covered too: Dovecot crashing and coming back
// mid-run, a target over quota half way, a BYE after a stored APPEND, a
// server that never answers (the idle deadline must fire); and security
// checks: passwords never reach output, reports or state files, state
// files are private, and a server without STARTTLS is refused.
//
// The short soak runs in CI (in-process POP3 and IMAP servers, plus a
// private Dovecot when installed). MAILFERRY_SOAK=long runs the long
// one (thousands of messages in several folders, more faults, more
// kills). MAILFERRY_SOAK_SEED repeats a run's random choices.
//
// The package has no code of its own.
package soak
