package imaptest

import (
	"crypto/sha256"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// session wraps an imapmemserver session to apply Options.
type session struct {
	imapserver.Session
	server *Server
}

func (s *session) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}

func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

func (s *session) Select(mailbox string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := s.Session.Select(mailbox, options)
	if err != nil || !s.server.opts.NoKeywords {
		return data, err
	}
	var perm []imap.Flag
	for _, f := range data.PermanentFlags {
		if f != imap.FlagWildcard && len(f) > 0 && f[0] == '\\' {
			perm = append(perm, f)
		}
	}
	data.PermanentFlags = perm
	return data, nil
}

func (s *session) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	if hook := s.server.opts.AppendHook; hook != nil {
		if err := hook(mailbox); err != nil {
			return nil, err
		}
	}
	r = &exactLiteral{LiteralReader: r, left: r.Size()}
	if !s.server.opts.DiscardAppends {
		return s.Session.Append(mailbox, r, options)
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return nil, err
	}
	s.server.mu.Lock()
	s.server.discardedSize = n
	copy(s.server.discardedSum[:], h.Sum(nil))
	s.server.mu.Unlock()
	return &imap.AppendData{UIDValidity: 1, UID: 1}, nil
}

// limitSession adds APPENDLIMIT.
type limitSession struct {
	*session
}

func (s *limitSession) AppendLimit() uint32 { return s.server.opts.AppendLimit }

// exactLiteral fails a literal cut short by a dropped connection.
// imapserver's literal reader reports such a cut as a plain EOF, and
// imapmemserver would then store the truncated message; real servers
// (Dovecot) discard it, and so does the test server.
type exactLiteral struct {
	imap.LiteralReader
	left int64
}

func (l *exactLiteral) Read(b []byte) (int, error) {
	n, err := l.LiteralReader.Read(b)
	l.left -= int64(n)
	if err == io.EOF && l.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
