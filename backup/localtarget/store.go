// Package localtarget stores backups and archives on local disk: it is
// the target.Target behind `mailferry backup SRC maildir:PATH` and
// `mbox:PATH`.
//
// Every Append is "verified durable" before it returns nil: the message
// is written, synced, renamed or appended, its directory synced, then
// read back from the file and its SHA-256 compared with the bytes
// received, and only then recorded in the folder's manifest (see
// backup/manifest), itself synced. So an engine that deletes source
// messages once Append returned nil (archive --delete-source) never
// deletes a message the disk does not hold intact. The Receipt's Ref is
// "folder/file#sha256:DIGEST" (Maildir) or "folder@OFFSET#sha256:DIGEST"
// (mbox), so the journal records the digest.
//
// Maildir (the default) writes one file per message through
// backup/maildir, byte for byte, flags in the file name. mbox writes one
// mboxrd file per folder (Thunderbird's "Name.sbd/" tree), optionally
// compressed with one gzip member or zstd frame per message, so that
// appending never rewrites earlier mail. mbox keeps the message bytes
// exactly: flags are NOT written into Status:/X-Keywords: headers
// (that would change the message); they are kept in the manifest
// beside the file. A message without a final line break gets one in an
// mbox file (mbox cannot store it otherwise); the manifest notes it and
// reading back removes it.
//
// Files are created 0600 and directories 0700. Full disks, read-only
// file systems and refused permissions stop the job (sources.Permanent)
// with a hint.
package localtarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

// Storage formats.
const (
	FormatMaildir = "maildir"
	FormatMbox    = "mbox"
)

// Compressions of mbox files.
const (
	CompressNone = ""
	CompressGzip = "gzip"
	CompressZstd = "zstd"
)

// Options say how a backup is stored.
type Options struct {
	Format   string            // FormatMaildir ("" is the same) or FormatMbox
	Layout   srcmaildir.Layout // Maildir folder layout (LayoutAuto: Maildir++)
	Compress string            // mbox only: CompressNone, CompressGzip or CompressZstd
	// ByYear files each message under "<year>/<mailbox>" by the year of
	// its date (see YearMailbox). Index then counts every year's folder.
	ByYear bool
	// Fault, if set, is called before a message file is created
	// ("create"), written ("write") or synced ("sync"), with its path; a
	// non-nil error is taken as that operation's failure. Tests use it
	// to simulate a full or read-only disk.
	Fault func(op, path string) error
}

// YearMailbox returns the archive folder of a message dated date from
// mailbox: "2023/INBOX", "2023/Sent/Old".
func YearMailbox(mailbox string, date time.Time) string {
	if mailbox == "" {
		mailbox = "INBOX"
	}
	return strconv.Itoa(date.Year()) + "/" + mailbox
}

// backend is one storage format.
type backend interface {
	ensure(folder string) error
	index(folder string, counts map[string]int) error
	append(folder string, m target.Message, r io.Reader) (target.Receipt, error)
	years() ([]string, error) // year folders present at the top, e.g. "2023"
}

// Store is an open backup. It implements target.Target and is safe for
// use by several goroutines, so every session of its Dialer is the
// Store itself; Close does nothing.
type Store struct {
	root string
	opts Options
	b    backend
}

var _ target.Target = (*Store)(nil)

// Open opens, creating it if needed, the backup at root.
func Open(root string, opts Options) (*Store, error) {
	s := &Store{root: root, opts: opts}
	var err error
	switch opts.Format {
	case "", FormatMaildir:
		if opts.Compress != CompressNone {
			return nil, sources.Permanent(fmt.Errorf("localtarget: maildir backups cannot be compressed (compression %q)", opts.Compress))
		}
		s.b, err = openMaildir(root, opts)
	case FormatMbox:
		s.b, err = openMbox(root, opts)
	default:
		return nil, sources.Permanent(fmt.Errorf("localtarget: unknown format %q (want maildir or mbox)", opts.Format))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Dialer returns a target.Dialer whose sessions open the backup at root
// on first use. A failure to open it is returned to every dial until one
// succeeds.
func Dialer(root string, opts Options) target.Dialer {
	var mu sync.Mutex
	var s *Store
	return func(ctx context.Context) (target.Target, error) {
		mu.Lock()
		defer mu.Unlock()
		if s != nil {
			return s, nil
		}
		st, err := Open(root, opts)
		if err != nil {
			return nil, err
		}
		s = st
		return s, nil
	}
}

// Root returns the backup's top directory.
func (s *Store) Root() string { return s.root }

// folder maps a mailbox and a message date to the folder that stores it.
func (s *Store) folder(mailbox string, date time.Time) string {
	if s.opts.ByYear {
		return YearMailbox(mailbox, date)
	}
	return mailbox
}

// EnsureMailbox implements target.Target. With ByYear, the year folders
// are created as messages arrive.
func (s *Store) EnsureMailbox(ctx context.Context, mailbox string) error {
	if s.opts.ByYear {
		return nil
	}
	return s.b.ensure(mailbox)
}

// Index implements target.Target: it counts the identities of the
// messages stored for mailbox (in every year's folder with ByYear).
func (s *Store) Index(ctx context.Context, mailbox string) (map[string]int, error) {
	counts := map[string]int{}
	if !s.opts.ByYear {
		return counts, s.b.index(mailbox, counts)
	}
	years, err := s.b.years()
	if err != nil {
		return nil, err
	}
	for _, y := range years {
		if err := s.b.index(y+"/"+mailbox, counts); err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// Append implements target.Target: when it returns nil the message is
// on disk, synced, read back and compared, and recorded in the manifest.
func (s *Store) Append(ctx context.Context, mailbox string, m target.Message, r io.Reader) (target.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return target.Receipt{}, err
	}
	return s.b.append(s.folder(mailbox, m.Date), m, r)
}

// Close implements target.Target; the Store holds no open files
// between calls.
func (s *Store) Close() error { return nil }

// errShort marks a message whose bytes did not match its announced size.
var errShort = errors.New("the message delivered a different number of bytes than announced")
