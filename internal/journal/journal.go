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

// Batching: Queue commits when this many entries wait, or when the
// oldest waiting entry is this old.
const (
	batchSize = 256
	batchAge  = 250 * time.Millisecond
)

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
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
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

// Queue records an entry, committing it together with others in one
// transaction a little later (see Flush). An entry that is lost in a
// crash before its commit costs nothing but time: the engine finds the
// copy on the target on the next run. Whatever must be durable before
// an irreversible step (deleting from the source, counting identities)
// is committed with Flush first.
func (j *Journal) Queue(ctx context.Context, e Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.queue) == 0 {
		j.lastFlush = time.Now()
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	j.queue = append(j.queue, e)
	if len(j.queue) >= batchSize || time.Since(j.lastFlush) >= batchAge {
		return j.flushLocked(ctx)
	}
	return nil
}

// Flush commits every queued entry.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.flushLocked(ctx)
}

func (j *Journal) flushLocked(ctx context.Context) error {
	if len(j.queue) == 0 {
		return nil
	}
	if err := j.Record(context.WithoutCancel(ctx), j.queue...); err != nil {
		return err
	}
	j.queue = j.queue[:0]
	j.lastFlush = time.Now()
	return nil
}

// Copied returns the entries of one source mailbox of a job, by SrcID,
// including queued ones.
func (j *Journal) Copied(ctx context.Context, job, srcMailbox string) (map[string]Entry, error) {
	if err := j.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := j.db.QueryContext(ctx, `SELECT src_id, dst_mailbox, identity, size, how, target_ref, digest, deleted, at, flags
		FROM copied WHERE job = ? AND src_mailbox = ?`, job, srcMailbox)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	defer rows.Close()
	out := map[string]Entry{}
	for rows.Next() {
		e := Entry{Job: job, SrcMailbox: srcMailbox}
		var at string
		if err := rows.Scan(&e.SrcID, &e.DstMailbox, &e.Identity, &e.Size, &e.How, &e.TargetRef, &e.Digest, &e.Deleted, &at, &e.Flags); err != nil {
			return nil, fmt.Errorf("reading state: %w", err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		out[e.SrcID] = e
	}
	return out, rows.Err()
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

// Validity returns the UIDVALIDITY last seen for a job's source mailbox.
func (j *Journal) Validity(ctx context.Context, job, srcMailbox string) (uint32, bool, error) {
	var v uint32
	err := j.db.QueryRowContext(ctx, `SELECT uidvalidity FROM folders WHERE job = ? AND src_mailbox = ?`, job, srcMailbox).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading state: %w", err)
	}
	return v, true, nil
}

// SetValidity records the UIDVALIDITY of a job's source mailbox.
func (j *Journal) SetValidity(ctx context.Context, job, srcMailbox string, v uint32) error {
	_, err := j.db.ExecContext(ctx, `INSERT INTO folders (job, src_mailbox, uidvalidity, high_uid) VALUES (?, ?, ?, 0)
		ON CONFLICT (job, src_mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, high_uid = 0, modseq = 0`, job, srcMailbox, v)
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// Forget drops every entry of a job's source mailbox, whose message IDs
// are no longer valid (the mailbox's UIDVALIDITY changed). The copies
// stay on the target and are recognised there by identity.
func (j *Journal) Forget(ctx context.Context, job, srcMailbox string) (int64, error) {
	if err := j.Flush(ctx); err != nil {
		return 0, err
	}
	res, err := j.db.ExecContext(ctx, `DELETE FROM copied WHERE job = ? AND src_mailbox = ?`, job, srcMailbox)
	if err != nil {
		return 0, fmt.Errorf("writing state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Mark is a source mailbox's high-water mark.
type Mark struct {
	UIDValidity, UID uint32
	ModSeq           uint64 // HIGHESTMODSEQ at the mark, 0 if unknown
}

// Marks returns a job's high-water marks by source mailbox.
func (j *Journal) Marks(ctx context.Context, job string) (map[string]Mark, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT src_mailbox, uidvalidity, high_uid, modseq FROM folders WHERE job = ? AND high_uid > 0`, job)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	defer rows.Close()
	out := map[string]Mark{}
	for rows.Next() {
		var mb string
		var m Mark
		if err := rows.Scan(&mb, &m.UIDValidity, &m.UID, &m.ModSeq); err != nil {
			return nil, fmt.Errorf("reading state: %w", err)
		}
		out[mb] = m
	}
	return out, rows.Err()
}

// SetMark records that every message of a job's source mailbox up to
// m.UID (under m.UIDValidity, and flag changes up to m.ModSeq) is dealt
// with.
func (j *Journal) SetMark(ctx context.Context, job, srcMailbox string, m Mark) error {
	if err := j.Flush(ctx); err != nil {
		return err
	}
	_, err := j.db.ExecContext(ctx, `INSERT INTO folders (job, src_mailbox, uidvalidity, high_uid, modseq) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job, src_mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, high_uid = excluded.high_uid, modseq = excluded.modseq`,
		job, srcMailbox, m.UIDValidity, m.UID, m.ModSeq)
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
