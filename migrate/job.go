// Package migrate is mailferry's transfer engine. It lists a source,
// skips what the journal says was already copied, recognises messages
// already on the target, streams the rest into the target with flags and
// date, records each confirmed copy, and can then delete the copied
// messages from the source. It never prints: it reports through Events
// and Stats, which cmd/mailferry renders.
package migrate

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// Job is one transfer from a source to a target.
type Job struct {
	// Name keys the job's entries in the journal; two runs with the same
	// name resume each other.
	Name string

	// OpenSource connects to (or opens) the source. The engine calls it
	// again after a temporary source failure.
	OpenSource func(ctx context.Context) (sources.Source, error)

	// Target opens a target session; the engine opens up to Connections
	// of them and reopens one after a temporary failure.
	Target target.Dialer

	Journal *journal.Journal
	Options Options

	// Events, if set, receives the engine's events. It is called from
	// the engine's goroutines, one call at a time.
	Events func(Event)

	// Drain, if set and closed, asks the engine to stop gracefully: the
	// messages in flight are finished and journaled, no new one starts,
	// no source message is deleted, and Run returns ErrStopped.
	// Cancelling the context instead stops at once.
	Drain <-chan struct{}

	// Stats is updated as the job runs; a renderer may read it at any
	// time.
	Stats Stats
}

// Options change what a job does.
type Options struct {
	DryRun       bool // plan only: count what would be copied
	DeleteSource bool // remove copied messages from the source afterwards
	MarkSeen     bool // set \Seen on every copied message
	// SyncFlags brings flag changes on the source across to copies made
	// by earlier runs (for targets that can set flags).
	SyncFlags bool

	// Connections is the number of target sessions used in parallel for
	// sources that can be read concurrently (default 1).
	Connections int

	// MapMailbox maps a source mailbox to a target mailbox; skip drops
	// the source mailbox. Nil maps a special-use mailbox to the target's
	// mailbox of the same role, the inbox to DefaultMailbox, and every
	// other mailbox to itself.
	MapMailbox func(src MailboxRef) (dst string, skip bool)

	// DefaultMailbox is the target mailbox for the source's INBOX when
	// MapMailbox is nil ("INBOX" if empty).
	DefaultMailbox string

	// Filter, if set, drops messages for which it returns false (date
	// and size filters).
	Filter func(m sources.Message) bool

	// Attempts is how often a message is tried before it is reported
	// failed (default 5). Backoff is the first wait between attempts
	// (default 1s, doubled each time, capped at 30s, with jitter).
	Attempts int
	Backoff  time.Duration

	// Settle is how long after an append that was never answered (the
	// process was killed, or the connection lost) the mailbox is left
	// alone before it is looked at, so that a server still committing it
	// is not raced (default 3s).
	Settle time.Duration

	// NoBatch stores every message with its own APPEND even where the
	// target can store several in one transaction (target.Batcher).
	NoBatch bool

	// SpoolDir holds large messages whose exact size the source cannot
	// tell in advance (default os.TempDir()).
	SpoolDir string

	// Now returns the current time (tests set it).
	Now func() time.Time
}

// MailboxRef describes a source mailbox to MapMailbox.
type MailboxRef struct {
	Name       string   // UTF-8, "/"-separated
	SpecialUse []string // the source's roles for it, e.g. `\Sent`
	// TargetForRole is the target's mailbox with the same role, if the
	// source mailbox has a role and the target has such a mailbox.
	TargetForRole string
}

// Stats are the job's running counters. All fields are updated
// atomically; read them with Load.
type Stats struct {
	PlannedMessages atomic.Int64 // messages to copy in this run
	PlannedBytes    atomic.Int64
	Copied          atomic.Int64 // appended this run
	AlreadyThere    atomic.Int64 // skipped: journaled or found on the target
	Failed          atomic.Int64
	Bytes           atomic.Int64 // bytes streamed to the target
	Deleted         atomic.Int64 // removed from the source
	FlagsSynced     atomic.Int64 // copies whose flags were updated
	Retries         atomic.Int64
}

// Failure is a message that could not be copied, and why.
type Failure struct {
	Mailbox  string
	Location string
	Err      error
}

// Summary is the outcome of a run.
type Summary struct {
	Job           string
	Planned       int64 // messages the run set out to copy
	PlannedBytes  int64
	Copied        int64
	AlreadyThere  int64
	Failed        []Failure
	Bytes         int64
	Deleted       int64
	Elapsed       time.Duration
	DryRun        bool
	SourceTotal   int64 // messages listed on the source (after filters)
	DroppedFlags  []string
	DeleteSkipped string // why --delete-source did nothing, if it did not
	FreedBytes    int64  // size of the messages deleted from the source
	FlagsSynced   int64  // copies whose flags were brought up to date
	Incremental   bool   // the source listed only mail that arrived after the last run's marks
	WouldFree     int64  // with DeleteSource: size of the messages the run means to delete

	// Quota of the source account before and after deleting, in bytes,
	// where the source reports one (QuotaKnown).
	QuotaKnown              bool
	QuotaBefore, QuotaAfter int64
	QuotaLimit              int64
}

// OK reports whether every source message is on the target.
func (s *Summary) OK() bool { return len(s.Failed) == 0 }

// EventKind says what happened.
type EventKind int

// Event kinds.
const (
	EventPlanned  EventKind = iota // Stats.Planned* are set; the transfer starts
	EventCopied                    // a message was appended
	EventFound                     // a message was already on the target
	EventFailed                    // a message failed for good (Err)
	EventRetry                     // a temporary failure; the engine waits Wait and retries (Err)
	EventDeleted                   // Count messages were deleted from the source
	EventMailbox                   // the engine moves on to Mailbox -> Target
	EventValidity                  // a source mailbox's UIDVALIDITY changed (Err says how); handled
)

// Event is one thing the engine reports.
type Event struct {
	Kind    EventKind
	Mailbox string // source mailbox
	Target  string // target mailbox
	Message sources.Message
	Err     error
	Wait    time.Duration
	Count   int
	Attempt int
}
