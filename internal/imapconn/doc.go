// Package imapconn dials IMAP servers for mailferry: TCP and TLS
// (implicit, STARTTLS or none), login (LOGIN, AUTHENTICATE PLAIN, or an
// OAuth token hook), idle-based timeouts instead of go-imap's fixed ones,
// mapping of IMAP response codes to mailferry's error classes, and the
// translation of mailbox names between mailferry's UTF-8 "/"-separated
// form and a server's hierarchy delimiter and namespace prefix.
//
// It is shared by the IMAP target (internal/target/imaptarget) and the
// IMAP source.
//
// # Timeouts
//
// go-imap's client sets fixed deadlines (30 s per response, 5 min per
// literal) that would abort a large APPEND over a slow link. Dial gives
// go-imap a net.Conn that ignores those deadline calls. Instead every
// Write gets a deadline of IdleTimeout from its start (writes are split
// into chunks so the deadline measures progress, not total time), and
// while an operation is outstanding (Conn.Do, or Conn.Begin/Conn.End) a
// watchdog closes the socket when no byte moved in either direction for
// IdleTimeout. A connection sitting between operations never times out.
// Cancelling the context of an operation closes the connection too.
//
// # Mailbox names
//
// go-imap v2 encodes mailbox names itself: commands taking a mailbox
// (SELECT, CREATE, APPEND, LIST, ...) send UTF-8 names as modified
// UTF-7 (RFC 3501 5.1.3), or as quoted UTF-8 when the server speaks
// IMAP4rev2 or UTF8=ACCEPT was enabled, and names in LIST responses are
// decoded back. Callers therefore pass and receive plain UTF-8 names and
// must never apply modified UTF-7 themselves (that would encode twice).
// ToServerName and FromServerName only deal with the delimiter and the
// personal namespace prefix.
package imapconn
