package maildir

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

// Deliver stores the message read from r into mailbox (created if
// needed) with flags and date, and returns the file's final name in
// cur/ and the hex SHA-256 of its bytes. The bytes are stored exactly as
// read.
//
// The message is durable once Deliver returns nil. On failure no file is
// left in cur/ except, in the single case that syncing cur/ after the
// rename fails, a complete one. A zero date leaves the delivery time.
func (s *Store) Deliver(mailbox string, flags []string, date time.Time, r io.Reader) (name string, digest string, err error) {
	dir, err := s.folder(mailbox)
	if err != nil {
		return "", "", err
	}
	base := s.uniqueName()
	tmp := filepath.Join(dir, "tmp", base)
	what := "deliver to " + quote(mailbox)
	if err := s.fault("create", tmp); err != nil {
		return "", "", fsError(what, err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", fsError(what, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	h := sha256.New()
	var size, vsize int64
	prevCR := false
	buf := make([]byte, 64*1024)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if err := s.fault("write", tmp); err != nil {
				return "", "", fsError(what, err)
			}
			if _, err := f.Write(buf[:n]); err != nil {
				return "", "", fsError(what, err)
			}
			h.Write(buf[:n])
			size += int64(n)
			vsize += int64(n)
			for _, b := range buf[:n] {
				if b == '\n' && !prevCR {
					vsize++ // a reader converting to CRLF adds a CR here
				}
				prevCR = b == '\r'
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", "", fmt.Errorf("maildir: %s: reading the message: %w", what, rerr)
		}
	}
	if err := s.fault("sync", tmp); err != nil {
		return "", "", fsError(what, err)
	}
	if err := f.Sync(); err != nil {
		return "", "", fsError(what, err)
	}
	if err := f.Close(); err != nil {
		return "", "", fsError(what, err)
	}
	if !date.IsZero() {
		if err := os.Chtimes(tmp, date, date); err != nil {
			return "", "", fsError(what, err)
		}
	}
	letters, err := s.letters(dir, flags)
	if err != nil {
		return "", "", err
	}
	name = fmt.Sprintf("%s,S=%d,W=%d:%s", base, size, vsize, srcmaildir.Info(letters))
	final := filepath.Join(dir, "cur", name)
	if err := os.Rename(tmp, final); err != nil {
		return "", "", fsError(what, err)
	}
	renamed = true
	if err := syncDir(filepath.Join(dir, "cur")); err != nil {
		return "", "", fsError(what, err)
	}
	return name, hex.EncodeToString(h.Sum(nil)), nil
}

// uniqueName returns a new Maildir base name in Dovecot's style,
// "<sec>.M<usec>P<pid>Q<n>R<random>.<host>". Microseconds are padded so
// that names delivered in a row sort in delivery order.
func (s *Store) uniqueName() string {
	now := time.Now()
	var r [8]byte
	rand.Read(r[:])
	return fmt.Sprintf("%d.M%06dP%dQ%dR%s.%s", now.Unix(), now.Nanosecond()/1000, s.pid, s.seq.Add(1), hex.EncodeToString(r[:]), s.host)
}
