package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

const (
	// lockWait is how long to wait for another process's keywords lock.
	lockWait = 30 * time.Second
	// lockStale is the age after which a keywords lock is taken over, as
	// Dovecot does with its dotlocks.
	lockStale = 2 * time.Minute
)

// letters returns the info letters for flags in folder dir, adding new
// keywords to the folder's dovecot-keywords file. Flags it cannot store
// (\Recent, unknown system flags, invalid or the 27th keyword) are left
// out.
func (s *Store) letters(dir string, flags []string) ([]byte, error) {
	var out []byte
	var keywords []string
	for _, f := range flags {
		if c := srcmaildir.SystemLetter(f); c != 0 {
			out = append(out, c)
		} else if isKeyword(f) {
			keywords = append(keywords, f)
		}
	}
	if len(keywords) == 0 {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockKeywords(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	known, err := srcmaildir.ReadKeywords(dir)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, kw := range keywords {
		i := keywordIndex(known, kw)
		if i < 0 {
			i = keywordIndex(known, "") // a free slot
			if i < 0 && len(known) < srcmaildir.MaxKeywords {
				known = append(known, "")
				i = len(known) - 1
			}
			if i < 0 {
				continue // no letter left
			}
			known[i] = kw
			changed = true
		}
		out = append(out, byte('a'+i))
	}
	if changed {
		if err := writeKeywords(dir, known); err != nil {
			return nil, fsError("update keywords of "+dir, err)
		}
	}
	return out, nil
}

// keywordIndex finds kw in known, exactly or else ignoring case.
func keywordIndex(known []string, kw string) int {
	for i, k := range known {
		if k == kw {
			return i
		}
	}
	for i, k := range known {
		if kw != "" && strings.EqualFold(k, kw) {
			return i
		}
	}
	return -1
}

// isKeyword reports whether f is a valid IMAP keyword (an atom not
// starting with '\').
func isKeyword(f string) bool {
	if f == "" || f[0] == '\\' {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// writeKeywords replaces dir's dovecot-keywords atomically.
func writeKeywords(dir string, known []string) error {
	var b strings.Builder
	for i, k := range known {
		if k != "" {
			fmt.Fprintf(&b, "%d %s\n", i, k)
		}
	}
	path := filepath.Join(dir, srcmaildir.KeywordsFile)
	tmp := fmt.Sprintf("%s.tmp.%d", path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(b.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// lockKeywords takes the dotlock "dovecot-keywords.lock" that Dovecot
// also uses, waiting for other holders and taking over a stale lock.
func lockKeywords(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, srcmaildir.KeywordsFile+".lock")
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fsError("lock keywords", err)
		}
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > lockStale {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("maildir: %s is held by another program for over %v (remove it if no mail program is running)", path, lockWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
