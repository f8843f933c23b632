// Package manifest keeps the record a local backup holds of itself: one
// JSON line per stored message (file or offset, size, SHA-256, flags,
// date, identity), appended and synced as each message is stored, so
// that "mailferry verify" can re-check a backup without the state
// database and so that flags the storage format cannot hold (mbox, more
// than 26 Maildir keywords) are not lost.
//
// A Maildir folder keeps its manifest in the folder directory as
// mailferry-manifest.jsonl (beside Dovecot's dovecot-keywords); an mbox
// file NAME keeps it beside the file as .NAME.mailferry-manifest.jsonl,
// a dotfile that mbox readers skip.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FileName is the manifest of a Maildir folder, in the folder directory.
const FileName = "mailferry-manifest.jsonl"

// mboxSuffix ends the name of an mbox file's manifest.
const mboxSuffix = ".mailferry-manifest.jsonl"

// MboxPath returns the manifest path of the mbox file at path.
func MboxPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+mboxSuffix)
}

// MboxFile returns the mbox file a manifest path belongs to, or "" if
// path is not an mbox manifest.
func MboxFile(path string) string {
	base := filepath.Base(path)
	if !strings.HasPrefix(base, ".") || !strings.HasSuffix(base, mboxSuffix) || len(base) <= len(mboxSuffix)+1 {
		return ""
	}
	return filepath.Join(filepath.Dir(path), strings.TrimSuffix(base[1:], mboxSuffix))
}

// Kinds of entries.
const (
	KindMessage = ""      // a stored message
	KindStart   = "start" // mbox: the file held End bytes of other mail before mailferry appended
)

// Entry is one line of a manifest.
type Entry struct {
	Kind string `json:"kind,omitempty"`
	// File is, for Maildir, the unique part of the message's file name
	// (before ":2,"), which survives flag changes by mail programs.
	File string `json:"file,omitempty"`
	// Offset and End delimit, for mbox, the message's stored form in the
	// file (its "From " line to the blank line after it, or its
	// compressed frame). For a start entry End is the file's size then.
	Offset int64 `json:"offset,omitempty"`
	End    int64 `json:"end,omitempty"`
	// Size and SHA256 describe the message bytes as they were received.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// AddedNewline says the mbox writer had to end the message with a
	// line break it did not have (mbox cannot store it otherwise).
	AddedNewline bool      `json:"added_newline,omitempty"`
	Flags        []string  `json:"flags,omitempty"`
	Date         time.Time `json:"date,omitzero"`
	Identity     string    `json:"identity,omitempty"`
}

// Append adds e to the manifest at path (created 0600 if needed) and
// syncs it, so the entry is durable when Append returns nil. A line left
// incomplete by a crash is closed first, so it stays a single bad line.
// Callers serialise Appends to one manifest.
func Append(path string, e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if created {
		return SyncDir(filepath.Dir(path))
	}
	return nil
}

// Read returns the entries of the manifest at path, in order, and the
// number of lines that are not valid entries (a line torn by a crash).
// A missing manifest has no entries.
func Read(path string) (entries []Entry, bad int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		line, rerr := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var e Entry
			if json.Unmarshal(line, &e) == nil && (e.Kind == KindMessage || e.Kind == KindStart) {
				entries = append(entries, e)
			} else {
				bad++
			}
		}
		if rerr == io.EOF {
			return entries, bad, nil
		}
		if rerr != nil {
			return entries, bad, fmt.Errorf("reading %s: %w", path, rerr)
		}
	}
}

// SyncDir flushes a directory's entries to disk; file systems that
// cannot sync directories are tolerated.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
