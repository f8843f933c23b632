// Package imap is the mailferry Source adapter for IMAP accounts: it
// lists every mailbox of an account (or the one named in the URL) and
// streams each message's exact bytes from the server, so that whole
// accounts can move between providers.
//
// # Read-only by design
//
// Listing and reading never change the source: mailboxes are opened with
// EXAMINE (read-only), bodies are fetched with BODY.PEEK[] so \Seen is
// not set, and nothing is stored. Only Delete (--delete-source) writes:
// it SELECTs the mailbox, marks exactly the given UIDs \Deleted and
// removes them with UID EXPUNGE (UIDPLUS). A bare EXPUNGE is never sent,
// since it would also remove messages that another client had marked
// \Deleted; a server without UIDPLUS is refused for deletion.
//
// # Identity and reruns
//
// Message.ID is "UIDVALIDITY/UID", which is stable as long as the server
// keeps the mailbox's UIDVALIDITY. Message.Mailbox is the UTF-8 name with
// "/" as separator and the personal namespace prefix removed (see
// imapconn.FromServerName). List records each mailbox's UIDVALIDITY and
// UIDNEXT (MailboxStatus) so the engine can keep a high-water mark; with
// Options.Since (or ListSince) a rerun fetches only UIDs above that mark
// when UIDVALIDITY is unchanged, and everything otherwise.
//
// # Special-use mailboxes
//
// Gmail shows every message in "[Gmail]/All Mail" (\All) and many in
// "[Gmail]/Important" (\Important) besides its label folders; copying
// those would duplicate the account. They are skipped by default
// (Options.SkipSpecialUse). A mailbox named explicitly in
// Options.Mailbox is never skipped.
//
// # Connections
//
// A Source keeps a small pool of logged-in connections, each with its own
// selected mailbox. With Options.Connections > 1, NewSource returns a
// source that implements sources.ConcurrentOpener: Open may then be
// called from several goroutines and runs on separate connections.
// Every command runs under imapconn's idle watchdog; a message reader
// keeps the watchdog armed until it is closed.
//
// # Streaming
//
// Open returns a reader over the FETCH literal as it arrives from the
// socket; memory stays flat in message size. Closing a reader early
// drains a short remainder, or drops the connection when much is left
// (a new one is dialed when needed).
package imap
