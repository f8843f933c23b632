// Package target defines where the engine puts messages: an IMAP account
// (internal/target/imaptarget) or local storage (backup/...).
package target

import (
	"context"
	"io"
	"time"
)

// Message is what the engine knows about a message it appends.
type Message struct {
	Flags []string  // IMAP flags and keywords to set
	Date  time.Time // INTERNALDATE to set; never zero
	Size  int64     // exact number of bytes the reader delivers
}

// Receipt is the target's confirmation of a stored message.
type Receipt struct {
	// Ref identifies the stored copy, e.g. "UIDVALIDITY/UID" from
	// APPENDUID, or a file name. Empty if the target did not say.
	Ref string
}

// Target stores messages into mailboxes. One Target is one connection
// (or one open store); it is used by one goroutine at a time. The engine
// opens several for parallel transfers.
//
// Errors: sources.Permanent-wrapped errors stop the job (login refused);
// *sources.MessageError means this message was refused (too big, bad
// content) and the run goes on; anything else is temporary: the engine
// reconnects and retries.
type Target interface {
	// EnsureMailbox creates the mailbox (UTF-8, "/"-separated) if it does
	// not exist yet. It is safe to call repeatedly.
	EnsureMailbox(ctx context.Context, mailbox string) error

	// Index returns how many copies of each identity (see
	// mailhdr.Identity) the mailbox already holds. A missing mailbox has
	// an empty index.
	Index(ctx context.Context, mailbox string) (map[string]int, error)

	// Append stores a message read from r, which delivers exactly m.Size
	// bytes. The message is durable on the target once Append returns nil.
	// If Append fails, the message may or may not be stored; the engine
	// resolves that through Index on its next attempt.
	Append(ctx context.Context, mailbox string, m Message, r io.Reader) (Receipt, error)

	// Close ends the session (LOGOUT) and releases the connection.
	Close() error
}

// Dialer opens a new Target session.
type Dialer func(ctx context.Context) (Target, error)

// SpecialUser is implemented by targets that know which mailbox serves
// which role (RFC 6154: `\Sent`, `\Drafts`, `\Trash`, `\Junk`,
// `\Archive`). The engine maps a source's special-use mailbox to the
// target's mailbox of the same role, whatever each is called.
type SpecialUser interface {
	// SpecialUse returns role -> mailbox (UTF-8, "/"-separated).
	SpecialUse(ctx context.Context) (map[string]string, error)
}

// Subscriber is implemented by targets with subscriptions (IMAP).
type Subscriber interface {
	Subscribe(ctx context.Context, mailbox string) error
}

// FlagDropper is implemented by targets that leave out flags or keywords
// they cannot store (a mailbox whose PERMANENTFLAGS lacks `\*`), so the
// engine can report them instead of losing them silently.
type FlagDropper interface {
	DroppedFlags() []string
}

// FlagSetter is implemented by targets that can change the flags of a
// copy they stored (--sync-flags). ref is the copy's Receipt.Ref.
type FlagSetter interface {
	SetFlags(ctx context.Context, mailbox, ref string, flags []string) error
}

// RefIndexer is implemented by targets that can say which stored copy
// (by its Receipt.Ref form) carries each identity. The engine then
// journals a copy it recognised with its reference, so later runs can
// address it (--sync-flags) like one it appended itself.
type RefIndexer interface {
	IndexRefs(ctx context.Context, mailbox string) (map[string][]string, error)
}

// Item is a message held in memory, for Batcher.
type Item struct {
	Message
	Data []byte // exactly Message.Size bytes
}

// Batcher is implemented by targets that store several messages of one
// mailbox in one transaction (IMAP MULTIAPPEND, RFC 3502), which saves a
// server transaction and a round trip per message.
type Batcher interface {
	// AppendBatch stores items in mailbox, in order. It returns the
	// receipts of the items it knows are stored: on success one per item;
	// on error the first len(receipts) items are durable and the others
	// may or may not be stored (the engine resolves that through Index,
	// as for Append). A *sources.MessageError means the server refused an
	// item; which one may be unknown, so the engine retries the rest of
	// the batch one message at a time.
	AppendBatch(ctx context.Context, mailbox string, items []Item) ([]Receipt, error)
}
