package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// Per-folder state: the UIDVALIDITY a source mailbox had when its
// messages were journaled, and the high-water mark of incremental runs.

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
