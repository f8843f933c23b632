// Package sources defines the Source interface that every mail source
// adapter (POP3, IMAP, mbox, Maildir) implements, and the types shared by
// all of them. Adapters live in sub-packages, one per protocol or format;
// sources/sourcetest holds the conformance suite that each adapter's tests
// call.
package sources

import (
	"context"
	"errors"
	"io"
	"time"
)

// Message describes one message of a source, without its body.
type Message struct {
	// ID is the message's identity inside its mailbox, stable across
	// sessions while the source is unchanged: a POP3 UIDL (or a content
	// digest where the server has no UIDL), "UIDVALIDITY/UID" for IMAP,
	// the file name's unique part for Maildir, an offset and digest for
	// mbox. The journal keys on (Mailbox, ID).
	ID string

	// Mailbox is the UTF-8 folder name with "/" as the hierarchy
	// separator, whatever the source uses natively. "INBOX" (or "") is the
	// inbox. POP3 sources only ever report "INBOX".
	Mailbox string

	// Size is the number of bytes Open will deliver if known exactly
	// (SizeExact), or an estimate for progress reporting.
	Size      int64
	SizeExact bool

	// Flags are the IMAP system flags (`\Seen`, `\Answered`, `\Flagged`,
	// `\Deleted`, `\Draft`) and keywords (`$Forwarded`, `Work`) the source
	// knows for the message. Nil means the source has no flag information
	// (the engine may then derive flags from headers such as Status:).
	Flags []string

	// Date is the message's internal (arrival) date if the source has one
	// (IMAP INTERNALDATE, mbox "From " line, Maildir file mtime). Zero
	// means unknown: the engine derives it from the headers.
	Date time.Time

	// Location is a human-readable place for error messages, e.g.
	// "archive.mbox:1234" or "pop3 message 7".
	Location string
}

// Source is a readable collection of messages.
//
// A Source is used by one goroutine at a time unless its Features say
// otherwise. Messages are delivered as raw RFC 5322 bytes with CRLF line
// endings (adapters that read LF files convert them; no other byte
// changes). Errors wrapped with Permanent mean retrying cannot help;
// MessageError marks a failure confined to one message.
type Source interface {
	// List calls fn for every message, in the source's natural order
	// (POP3 message number, mbox offset, Maildir name order, IMAP UID),
	// grouped by mailbox. If fn returns an error, List stops and returns
	// it.
	List(ctx context.Context, fn func(Message) error) error

	// Open returns a reader for the message's bytes. The caller reads it
	// (possibly only partly) and closes it before calling Open again.
	// Open may be called again for the same message after a failed
	// transfer; it must then deliver the same bytes.
	Open(ctx context.Context, m Message) (io.ReadCloser, error)

	// Close releases the source's connections and files. For POP3, Close
	// commits pending deletions (QUIT).
	Close() error
}

// Deleter is implemented by sources that can remove messages, used by
// --delete-source once the target has confirmed the copy. Deletion may
// take effect only on Close (POP3 QUIT, IMAP EXPUNGE).
type Deleter interface {
	Delete(ctx context.Context, msgs []Message) error
}

// Mailboxer is implemented by sources with more than one mailbox. It
// reports the folder tree, including empty folders, with special-use
// attributes where known (`\Sent`, `\Drafts`, `\Trash`, `\Junk`,
// `\Archive`, `\All`).
type Mailboxer interface {
	Mailboxes(ctx context.Context) ([]Mailbox, error)
}

// Mailbox is one folder of a source.
type Mailbox struct {
	Name       string   // UTF-8, "/"-separated
	SpecialUse []string // e.g. `\Sent`
	Subscribed bool
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that IsPermanent reports true: a wrong password,
// a missing file, a refused certificate.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// MessageError is a failure confined to one message: the run goes on and
// reports it.
type MessageError struct {
	Location string
	Err      error
}

func (e *MessageError) Error() string { return e.Location + ": " + e.Err.Error() }
func (e *MessageError) Unwrap() error { return e.Err }

// ConcurrentOpener is implemented by sources whose Open may be called
// from several goroutines at once (local files, IMAP with several
// connections). The engine then runs several transfers in parallel.
type ConcurrentOpener interface {
	ConcurrentOpen()
}

// Streamer is implemented by sources that can read several messages with
// one request (IMAP UID FETCH of a UID set, POP3 pipelined RETR), which
// saves a round trip per message: on a link with 20 ms of latency, one
// request per message would cap a connection at 25 messages a second.
type Streamer interface {
	// OpenEach reads msgs, which belong to one mailbox, and calls fn with
	// the index in msgs of each message it delivers and a reader of its
	// bytes (the same bytes Open gives), valid only until fn returns; fn
	// reads it to the end. Messages may come in any order; a message the
	// source cannot deliver (expunged meanwhile) is left out, and the
	// caller reads the ones left out with Open, which reports why. An
	// error from fn stops OpenEach, which returns it.
	OpenEach(ctx context.Context, msgs []Message, fn func(i int, r io.Reader) error) error
}

// Quotaer is implemented by sources that can report the account's
// storage quota (IMAP GETQUOTAROOT), so an archive run can show what it
// freed. ok is false when the server has no quota to report.
type Quotaer interface {
	Quota(ctx context.Context) (used, limit int64, ok bool, err error)
}

// UIDValidator is implemented by sources whose message IDs hold only
// while a mailbox keeps its UIDVALIDITY (IMAP). After a change the
// engine forgets the mailbox's journal entries and recognises the
// copies on the target by their identity instead, so nothing is copied
// twice.
type UIDValidator interface {
	MailboxStatus(mailbox string) (uidValidity, uidNext uint32, ok bool)
}

// Mark is a high-water mark: every message of a mailbox with a UID up
// to UID was dealt with, as long as the mailbox keeps UIDValidity.
type Mark struct {
	UIDValidity, UID uint32
	// ModSeq is the mailbox's HIGHESTMODSEQ at the mark (CONDSTORE), or
	// 0: with it, List also reports older messages whose flags changed.
	ModSeq uint64
}

// ModSeqer is implemented by sources that report a mailbox's
// HIGHESTMODSEQ (CONDSTORE), so marks can carry it.
type ModSeqer interface {
	HighestModSeq(mailbox string) (uint64, bool)
}

// Incremental is implemented by sources that can list only what came
// after a high-water mark (IMAP). The engine sets the marks before List
// when neither deletion nor flag syncing needs the whole listing.
type Incremental interface {
	SetSince(marks map[string]Mark)
}
