package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// An APPEND whose last byte reached the server just before mailferry
// was killed may still be committed by the server a moment later: after
// a rerun has looked at the mailbox, which would then append the
// message again. The journal therefore notes when a job last started an
// append into a mailbox and forgets it once every append there was
// answered; a run that finds a recent note waits before it looks.

// MarkAppending notes that job is about to append into dstMailbox at
// at. It is committed at once (it must precede the append).
func (j *Journal) MarkAppending(ctx context.Context, job, dstMailbox string, at time.Time) error {
	_, err := j.db.ExecContext(ctx, `INSERT INTO appending (job, dst_mailbox, at) VALUES (?, ?, ?)
		ON CONFLICT (job, dst_mailbox) DO UPDATE SET at = excluded.at`, job, dstMailbox, at.UnixNano())
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// ClearAppending forgets the note: every append into dstMailbox was
// answered.
func (j *Journal) ClearAppending(ctx context.Context, job, dstMailbox string) error {
	_, err := j.db.ExecContext(ctx, `DELETE FROM appending WHERE job = ? AND dst_mailbox = ?`, job, dstMailbox)
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// LastAppending returns the time of the note, if there is one.
func (j *Journal) LastAppending(ctx context.Context, job, dstMailbox string) (time.Time, bool, error) {
	var at int64
	err := j.db.QueryRowContext(ctx, `SELECT at FROM appending WHERE job = ? AND dst_mailbox = ?`, job, dstMailbox).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading state: %w", err)
	}
	return time.Unix(0, at), true, nil
}
