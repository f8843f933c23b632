// Package maildir stores messages into a local Maildir tree, the way
// `mailferry backup SRC maildir:PATH` writes them: each message is
// written to tmp/, synced, renamed into cur/ with its flags in the
// ":2," info and its date as the file's modification time, and the
// directory is synced. The tree uses the Maildir++ layout by default
// (".Sent", ".Archive.2023", names in modified UTF-7), which Dovecot,
// mutt and mbsync read as it is. Files are created 0600, directories
// 0700.
//
// Keywords are kept in each folder's dovecot-keywords file (letters a..z),
// updated under Dovecot's dotlock and rewritten atomically. Only 26
// keywords fit a folder; further keywords, and flags that are not valid
// IMAP atoms, are not stored.
package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

// Store writes messages into a Maildir tree. Its methods may be called
// from several goroutines; several Stores (and Dovecot) may share a tree.
type Store struct {
	root   string
	layout srcmaildir.Layout
	host   string
	pid    int
	seq    atomic.Uint64

	mu    sync.Mutex
	ready map[string]bool // folder directories known to be complete

	// Fault, if set, is called before Deliver creates ("create"),
	// writes to ("write") or syncs ("sync") a message file, with the
	// file's path; a non-nil error is taken as that operation's failure.
	// Tests use it to simulate a full or read-only disk.
	Fault func(op, path string) error
}

// fault runs the Fault hook.
func (s *Store) fault(op, path string) error {
	if s.Fault == nil {
		return nil
	}
	return s.Fault(op, path)
}

// Open opens, creating it if needed, the Maildir++ tree at root.
func Open(root string) (*Store, error) {
	return OpenLayout(root, srcmaildir.LayoutMaildirPP)
}

// OpenLayout opens, creating it if needed, the Maildir tree at root
// using layout for subfolders (LayoutAuto means Maildir++).
func OpenLayout(root string, layout srcmaildir.Layout) (*Store, error) {
	switch layout {
	case srcmaildir.LayoutAuto:
		layout = srcmaildir.LayoutMaildirPP
	case srcmaildir.LayoutMaildirPP, srcmaildir.LayoutFS:
	default:
		return nil, fmt.Errorf("maildir: unknown layout %q (want %q or %q)", layout, srcmaildir.LayoutMaildirPP, srcmaildir.LayoutFS)
	}
	s := &Store{root: root, layout: layout, host: hostname(), pid: os.Getpid(), ready: map[string]bool{}}
	if err := s.EnsureMailbox("INBOX"); err != nil {
		return nil, err
	}
	return s, nil
}

// Root returns the tree's top directory.
func (s *Store) Root() string { return s.root }

// EnsureMailbox creates mailbox (UTF-8, "/"-separated; INBOX is the
// root) with its cur/, new/ and tmp/ if it does not exist yet.
func (s *Store) EnsureMailbox(mailbox string) error {
	_, err := s.folder(mailbox)
	return err
}

// folder returns mailbox's directory, creating it if needed.
func (s *Store) folder(mailbox string) (string, error) {
	dir, err := srcmaildir.FolderDir(s.root, s.layout, mailbox)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready[dir] {
		return dir, nil
	}
	if err := mkdirs(dir); err != nil {
		return "", fsError("create mailbox "+quote(mailbox), err)
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := mkdirs(filepath.Join(dir, sub)); err != nil {
			return "", fsError("create mailbox "+quote(mailbox), err)
		}
	}
	if s.layout == srcmaildir.LayoutMaildirPP && dir != s.root {
		// Maildir++ marks subfolders so that delivery agents know them.
		f, err := os.OpenFile(filepath.Join(dir, "maildirfolder"), os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			return "", fsError("create mailbox "+quote(mailbox), err)
		}
		f.Close()
	}
	s.ready[dir] = true
	return dir, nil
}

// mkdirs creates dir and its missing parents with mode 0700, syncing
// each parent so that the new entries survive a crash.
func mkdirs(dir string) error { return MkdirAll(dir) }

// MkdirAll creates dir and its missing parents with mode 0700 (mail is
// private), syncing each parent so that the new entries survive a crash.
func MkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("exists and is not a directory")}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// syncDir flushes a directory's entries to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !syncUnsupported(err) {
		return err
	}
	return nil
}

// hostname returns the host name escaped for a Maildir file name.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return strings.NewReplacer("/", `\057`, ":", `\072`, ",", `\054`).Replace(h)
}

func quote(mailbox string) string { return fmt.Sprintf("%q", mailbox) }
