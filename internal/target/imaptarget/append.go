package imaptarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
)

// Append stores the m.Size bytes read from r in mailbox with APPEND,
// setting m.Flags (minus those the mailbox cannot store, see
// DroppedFlags) and INTERNALDATE m.Date. The literal is streamed from r.
//
// If r delivers fewer or more than m.Size bytes, or fails, the command
// is not completed: the connection is closed before the last byte of the
// literal is sent, so the server discards the partial message, and a
// temporary error is returned. A message larger than the server's
// APPENDLIMIT is refused before anything is sent.
//
// The receipt carries "UIDVALIDITY/UID" when the server reports
// APPENDUID (UIDPLUS).
func (t *Target) Append(ctx context.Context, mailbox string, m target.Message, r io.Reader) (target.Receipt, error) {
	c, err := t.session(ctx)
	if err != nil {
		return target.Receipt{}, err
	}
	name := t.serverName(mailbox)
	if limit, ok := c.AppendLimit(); ok && m.Size > limit && !t.ignoreAppendLimit {
		return target.Receipt{}, &sources.MessageError{
			Location: mailbox,
			Err:      fmt.Errorf("message of %d bytes exceeds the server's APPENDLIMIT of %d bytes", m.Size, limit),
		}
	}
	flags, err := t.appendFlags(ctx, c, name, m.Flags)
	if err != nil {
		return target.Receipt{}, err
	}

	var (
		data   *imap.AppendData
		srcErr error
	)
	err = c.Do(ctx, func() error {
		cmd := c.Client.Append(name, m.Size, &imap.AppendOptions{Flags: flags, Time: m.Date})
		if err := copyLiteral(cmd, r, m.Size); err != nil {
			// Never complete the command: drop the connection so the
			// server discards the partial literal.
			c.Abort()
			if errors.As(err, new(*sourceError)) {
				srcErr = err
				return err
			}
			// The server refused before the literal (NO [TOOBIG]) or the
			// connection failed; the command's own result says which.
			if _, werr := cmd.Wait(); werr != nil {
				return werr
			}
			return err
		}
		if err := cmd.Close(); err != nil {
			// The server may have refused the synchronizing literal
			// while it was being sent: the bytes already on the wire
			// would be read as commands. Drop the connection.
			c.Abort()
			if _, werr := cmd.Wait(); werr != nil {
				return werr
			}
			return err
		}
		var err error
		data, err = cmd.Wait()
		if err != nil {
			// A server that refused the APPEND before reading the
			// literal reads the bytes we sent as commands: the
			// connection's state is unknown, so it is not reused.
			c.Abort()
		}
		return err
	})
	if err == nil {
		var rc target.Receipt
		if data != nil && data.UID != 0 {
			rc.Ref = fmt.Sprintf("%d/%d", data.UIDValidity, data.UID)
		}
		return rc, nil
	}
	if srcErr != nil {
		return target.Receipt{}, t.wrap("appending to", mailbox, srcErr)
	}
	return target.Receipt{}, t.appendError(mailbox, name, err)
}

// appendError classifies a failed APPEND.
func (t *Target) appendError(mailbox, name string, err error) error {
	var ie *imap.Error
	errors.As(err, &ie)
	switch imapconn.Classify(err) {
	case imapconn.PerMessage:
		return &sources.MessageError{Location: mailbox, Err: fmt.Errorf("imap server refused the message: %w", err)}
	case imapconn.Permanent:
		if imapconn.DailyLimit(err) {
			return sources.Permanent(fmt.Errorf("imap %s: account %s: %w: %s", t.cfg.Addr, t.cfg.Username, err, imapconn.DailyLimitHint))
		}
		if ie != nil && ie.Code == imap.ResponseCodeOverQuota {
			return sources.Permanent(fmt.Errorf("imap %s: account %s is over quota (%s): free space on the target account or raise its quota, then run again",
				t.cfg.Addr, t.cfg.Username, ie.Text))
		}
		return sources.Permanent(t.wrap("appending to", mailbox, err))
	}
	if ie != nil && ie.Code == imap.ResponseCodeTryCreate && t.known != nil {
		delete(t.known, name) // EnsureMailbox will create it again
	}
	return t.wrap("appending to", mailbox, err)
}

// sourceError marks a failure of the message reader, as opposed to the
// connection.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) Write(b []byte) (int, error) {
	n, err := ew.w.Write(b)
	if err != nil && ew.err == nil {
		ew.err = err
	}
	return n, err
}

// copyBuffers keeps the 256 KiB buffers literals are copied through, so
// that no message allocates one (large reads and writes: fewer system
// calls per megabyte).
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyLiteral copies exactly size bytes from r to w. It holds back the
// last byte until it has seen that r ends right after it, so that a
// reader delivering too much never leaves a complete literal on the
// wire.
func copyLiteral(w io.Writer, r io.Reader, size int64) error {
	ew := &errWriter{w: w}
	var n int64
	if size > 0 {
		var err error
		buf := copyBuffers.Get().(*[]byte)
		n, err = io.CopyBuffer(ew, io.LimitReader(r, size-1), *buf)
		copyBuffers.Put(buf)
		if err == nil && n < size-1 {
			err = io.EOF
		}
		if ew.err != nil {
			return ew.err
		}
		if err == io.EOF {
			return &sourceError{fmt.Errorf("source delivered %d bytes, expected %d", n, size)}
		}
		if err != nil {
			return &sourceError{fmt.Errorf("reading the message from the source: %w", err)}
		}
	}
	want := 0
	if size > 0 {
		want = 1
	}
	var tail [2]byte
	got, err := io.ReadFull(r, tail[:want+1])
	switch {
	case got > want:
		return &sourceError{fmt.Errorf("source delivered more than %d bytes, expected %d", size, size)}
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return &sourceError{fmt.Errorf("reading the message from the source: %w", err)}
	case got < want:
		return &sourceError{fmt.Errorf("source delivered %d bytes, expected %d", n+int64(got), size)}
	}
	if want == 1 {
		if _, err := ew.Write(tail[:1]); err != nil {
			return err
		}
	}
	return nil
}
