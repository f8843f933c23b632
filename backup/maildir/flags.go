package maildir

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

// Verify reads back the message file name (as returned by Deliver) of
// mailbox and checks that its SHA-256 is digest (hex).
func (s *Store) Verify(mailbox, name, digest string) error {
	path, err := s.messagePath(mailbox, name)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("maildir: verify: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("maildir: verify: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, digest) {
		return fmt.Errorf("maildir: verify %s: content digest is %s, want %s (the stored copy is damaged)", path, got, digest)
	}
	return nil
}

// SetFlags replaces the flags of message file name (in cur/) of mailbox
// by renaming it, and returns its new name. The unique part and the
// Dovecot fields stay, so readers keep its identity.
func (s *Store) SetFlags(mailbox, name string, flags []string) (newName string, err error) {
	path, err := s.messagePath(mailbox, name)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(filepath.Dir(path))
	letters, err := s.letters(dir, flags)
	if err != nil {
		return "", err
	}
	base, _, _ := strings.Cut(name, ":")
	newName = base + ":" + srcmaildir.Info(letters)
	if newName == name {
		return name, nil
	}
	cur := filepath.Join(dir, "cur")
	if err := os.Rename(path, filepath.Join(cur, newName)); err != nil {
		return "", fsError("set flags of "+quote(mailbox), err)
	}
	if err := syncDir(cur); err != nil {
		return "", fsError("set flags of "+quote(mailbox), err)
	}
	return newName, nil
}

// messagePath returns the path of cur/name in mailbox, checking that the
// name is a plain file name and the file exists.
func (s *Store) messagePath(mailbox, name string) (string, error) {
	if name == "" || name[0] == '.' || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("maildir: %q is not a message file name", name)
	}
	dir, err := srcmaildir.FolderDir(s.root, s.layout, mailbox)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "cur", name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("maildir: mailbox %q has no message %s in cur/", mailbox, name)
	} else if err != nil {
		return "", fmt.Errorf("maildir: %w", err)
	}
	return path, nil
}
