// Package journal records which source messages have been copied, in an
// embedded SQLite database (WAL mode) that a user can inspect with
// sqlite3. An entry is written only after the target confirmed the copy;
// a rerun skips what the journal holds and reconciles the rest against
// the target (see migrate).
package journal

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Entry is one copied message.
type Entry struct {
	Job        string // job name
	SrcMailbox string
	SrcID      string
	DstMailbox string
	Identity   string // mailhdr.Identity of the message
	Size       int64
	How        string // "appended" or "found" (already on the target)
	TargetRef  string // e.g. "UIDVALIDITY/UID" from APPENDUID, or a file name
	Digest     string // sha256 of the bytes, where computed
	Deleted    bool   // removed from the source
	Flags      string // the flags set on the copy, sorted, space-separated
	At         time.Time
}

// Journal is an open state database. It is safe for concurrent use.
type Journal struct {
	db   *sql.DB
	path string

	mu        sync.Mutex // guards the queue
	queue     []Entry
	lastFlush time.Time
}

const schema = `
CREATE TABLE IF NOT EXISTS copied (
	job         TEXT NOT NULL,
	src_mailbox TEXT NOT NULL,
	src_id      TEXT NOT NULL,
	dst_mailbox TEXT NOT NULL,
	identity    TEXT NOT NULL,
	size        INTEGER NOT NULL,
	how         TEXT NOT NULL,
	target_ref  TEXT NOT NULL DEFAULT '',
	digest      TEXT NOT NULL DEFAULT '',
	deleted     INTEGER NOT NULL DEFAULT 0,
	at          TEXT NOT NULL,
	PRIMARY KEY (job, src_mailbox, src_id)
);
CREATE INDEX IF NOT EXISTS copied_by_target ON copied (job, dst_mailbox, identity);
CREATE TABLE IF NOT EXISTS appending (
	job         TEXT NOT NULL,
	dst_mailbox TEXT NOT NULL,
	at          INTEGER NOT NULL,
	PRIMARY KEY (job, dst_mailbox)
);
CREATE TABLE IF NOT EXISTS folders (
	job          TEXT NOT NULL,
	src_mailbox  TEXT NOT NULL,
	uidvalidity  INTEGER NOT NULL,
	high_uid     INTEGER NOT NULL,
	PRIMARY KEY (job, src_mailbox)
);
`

// DefaultPath returns the per-user state database path:
// $XDG_STATE_HOME/mailferry/state.db, or ~/.local/state/mailferry/state.db.
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the state directory: %w (use --state FILE)", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "mailferry", "state.db"), nil
}

// Open opens or creates the journal at path. The directory is created
// 0700 and the database file 0600: it names every message copied.
func Open(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	f.Close()
	// cache_size: SQLite's page cache, per connection, is 2 MB by
	// default and fills as the journal grows; the engine reads a
	// mailbox's entries once, in key order, and appends the rest, which
	// the operating system's file cache serves as well. 512 KiB keeps a
	// large run's memory down at no measurable cost in speed.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-512)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: not a mailferry state database: %w", path, err)
	}
	// Columns added after the first release; an existing column is fine.
	db.Exec(`ALTER TABLE copied ADD COLUMN flags TEXT NOT NULL DEFAULT ''`)
	db.Exec(`ALTER TABLE folders ADD COLUMN modseq INTEGER NOT NULL DEFAULT 0`)
	// The WAL and shared-memory files are created by SQLite with the
	// database's mode; make sure of it.
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Chmod(path+suffix, 0o600)
	}
	return &Journal{db: db, path: path}, nil
}

// Path returns the database file name.
func (j *Journal) Path() string { return j.path }

// Close commits queued entries and closes the database.
func (j *Journal) Close() error {
	err := j.Flush(context.Background())
	if cerr := j.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Copied returns the entries of one source mailbox of a job, by SrcID,
// including queued ones. A large mailbox is better read with
// EachCopied, which holds one entry at a time.
func (j *Journal) Copied(ctx context.Context, job, srcMailbox string) (map[string]Entry, error) {
	out := map[string]Entry{}
	err := j.EachCopied(ctx, job, srcMailbox, func(e Entry) error {
		out[e.SrcID] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachCopied calls fn with each entry of one source mailbox of a job,
// including queued ones, in ascending SrcID order (bytewise, as Go
// compares strings). If fn returns an error, EachCopied stops and
// returns it. fn must not call the Journal.
func (j *Journal) EachCopied(ctx context.Context, job, srcMailbox string, fn func(Entry) error) error {
	if err := j.Flush(ctx); err != nil {
		return err
	}
	rows, err := j.db.QueryContext(ctx, `SELECT src_id, dst_mailbox, identity, size, how, target_ref, digest, deleted, at, flags
		FROM copied WHERE job = ? AND src_mailbox = ? ORDER BY src_id`, job, srcMailbox)
	if err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	defer rows.Close()
	var dst, how, flags string // repeated from row to row: kept once
	var raw struct{ dst, how, flags sql.RawBytes }
	for rows.Next() {
		e := Entry{Job: job, SrcMailbox: srcMailbox}
		var at string
		if err := rows.Scan(&e.SrcID, &raw.dst, &e.Identity, &e.Size, &raw.how, &e.TargetRef, &e.Digest, &e.Deleted, &at, &raw.flags); err != nil {
			return fmt.Errorf("reading state: %w", err)
		}
		e.DstMailbox, dst = reuse(dst, raw.dst)
		e.How, how = reuse(how, raw.how)
		e.Flags, flags = reuse(flags, raw.flags)
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// reuse returns b as a string, prev itself if it holds the same bytes.
func reuse(prev string, b []byte) (string, string) {
	if string(b) != prev {
		prev = string(b)
	}
	return prev, prev
}

// IdentityCounts returns, for a job's target mailbox, how many journaled
// copies carry each identity, including queued ones.
func (j *Journal) IdentityCounts(ctx context.Context, job, dstMailbox string) (map[string]int, error) {
	if err := j.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := j.db.QueryContext(ctx, `SELECT identity, COUNT(*) FROM copied
		WHERE job = ? AND dst_mailbox = ? GROUP BY identity`, job, dstMailbox)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("reading state: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// Record stores entries (one transaction) before it returns. The
// database runs in WAL mode with synchronous=NORMAL: a commit survives
// the process being killed at any moment; a power failure may lose the
// last commits, which the engine's reconciliation with the target makes
// harmless.
func (j *Journal) Record(ctx context.Context, entries ...Entry) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	defer tx.Rollback()
	for _, e := range entries {
		if e.At.IsZero() {
			e.At = time.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO copied
			(job, src_mailbox, src_id, dst_mailbox, identity, size, how, target_ref, digest, deleted, at, flags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Job, e.SrcMailbox, e.SrcID, e.DstMailbox, e.Identity, e.Size, e.How, e.TargetRef, e.Digest, e.Deleted,
			e.At.UTC().Format(time.RFC3339Nano), e.Flags); err != nil {
			return fmt.Errorf("writing state: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// MarkDeleted records that these source messages were removed from the
// source.
func (j *Journal) MarkDeleted(ctx context.Context, job, srcMailbox string, ids []string) error {
	if err := j.Flush(ctx); err != nil {
		return err
	}
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE copied SET deleted = 1 WHERE job = ? AND src_mailbox = ? AND src_id = ?`,
			job, srcMailbox, id); err != nil {
			return fmt.Errorf("writing state: %w", err)
		}
	}
	return tx.Commit()
}

// SetFlags records the flags now set on a copy.
func (j *Journal) SetFlags(ctx context.Context, job, srcMailbox, srcID, flags string) error {
	if err := j.Flush(ctx); err != nil {
		return err
	}
	_, err := j.db.ExecContext(ctx, `UPDATE copied SET flags = ? WHERE job = ? AND src_mailbox = ? AND src_id = ?`,
		flags, job, srcMailbox, srcID)
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// TargetRefs returns what the journal knows of a job's copies in a target
// mailbox: the references of the copies it can address, and how many
// copies of each identity it holds without a reference.
func (j *Journal) TargetRefs(ctx context.Context, job, dstMailbox string) (refs map[string]bool, unaddressed map[string]int, err error) {
	if err := j.Flush(ctx); err != nil {
		return nil, nil, err
	}
	rows, err := j.db.QueryContext(ctx, `SELECT identity, target_ref FROM copied WHERE job = ? AND dst_mailbox = ?`, job, dstMailbox)
	if err != nil {
		return nil, nil, fmt.Errorf("reading state: %w", err)
	}
	defer rows.Close()
	refs, unaddressed = map[string]bool{}, map[string]int{}
	for rows.Next() {
		var id, ref string
		if err := rows.Scan(&id, &ref); err != nil {
			return nil, nil, fmt.Errorf("reading state: %w", err)
		}
		if ref == "" {
			unaddressed[id]++
		} else {
			refs[ref] = true
		}
	}
	return refs, unaddressed, rows.Err()
}
