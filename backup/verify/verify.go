// Package verify re-reads a local backup made by mailferry and checks
// every message against the size and SHA-256 its manifest recorded when
// the message was written (see backup/manifest), so a backup can be
// checked without the state database: `mailferry verify DEST`.
package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mailferry/mailferry/backup/localtarget"
	"github.com/mailferry/mailferry/backup/manifest"
	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

// Problem kinds.
const (
	Missing    = "missing"    // the manifest records a message whose file (or mbox file) is gone
	Size       = "size"       // the stored message has a different size
	Digest     = "digest"     // the stored message has different bytes
	Unreadable = "unreadable" // the stored message cannot be read
)

// Problem is one damaged or missing message.
type Problem struct {
	Kind   string `json:"kind"`
	Path   string `json:"path"`   // the message file, or the mbox file
	Detail string `json:"detail"` // what was found, for a person
}

func (p Problem) String() string { return p.Kind + ": " + p.Path + ": " + p.Detail }

// Report is the outcome of Verify.
type Report struct {
	Folders  int       `json:"folders"`  // Maildir folders and mbox files checked
	Messages int       `json:"messages"` // messages the manifests record
	Bytes    int64     `json:"bytes"`    // bytes read and checked
	Problems []Problem `json:"problems"`
	// Unrecorded are Maildir message files no manifest entry accounts
	// for: mail delivered by other programs, or a message stored just
	// before a crash and then found again by the next run. They are
	// not errors.
	Unrecorded []string `json:"unrecorded"`
	// BadLines counts manifest lines that are not entries, such as a
	// line torn by a crash. They are not errors.
	BadLines int `json:"bad_manifest_lines"`
}

// OK reports whether every recorded message is present and intact.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify checks every message of the backup at root (a Maildir tree or
// a directory of mbox files). The error is non-nil only when the backup
// cannot be checked at all; damage is listed in the Report.
func Verify(root string) (Report, error) {
	var r Report
	fi, err := os.Stat(root)
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if !fi.IsDir() {
		return r, fmt.Errorf("verify: %s is not a directory; a mailferry backup is a Maildir or a directory of mbox files", root)
	}
	found := false
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if d.Name() == manifest.FileName {
			found = true
			return r.maildirFolder(filepath.Dir(path), path)
		}
		if file := manifest.MboxFile(path); file != "" {
			found = true
			return r.mboxFile(file, path)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if !found {
		return r, fmt.Errorf("verify: no mailferry manifest under %s: is it a backup made by mailferry backup or archive?", root)
	}
	return r, nil
}

func (r *Report) problem(kind, path, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Path: path, Detail: fmt.Sprintf(format, args...)})
}

// maildirFolder checks the folder dir against its manifest.
func (r *Report) maildirFolder(dir, mpath string) error {
	entries, bad, err := manifest.Read(mpath)
	if err != nil {
		return err
	}
	r.Folders++
	r.BadLines += bad
	files := map[string]string{} // unique part -> path
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Type().IsRegular() && e.Name()[0] != '.' {
				unique, _, _ := srcmaildir.ParseName(e.Name())
				files[unique] = filepath.Join(dir, sub, e.Name())
			}
		}
	}
	for _, e := range entries {
		if e.Kind != manifest.KindMessage {
			continue
		}
		r.Messages++
		path, ok := files[e.File]
		if !ok {
			r.problem(Missing, filepath.Join(dir, "cur", e.File), "the message file is gone (%d bytes, stored %s)", e.Size, e.Date.Format("2006-01-02"))
			continue
		}
		delete(files, e.File)
		f, err := os.Open(path)
		if err != nil {
			r.problem(Unreadable, path, "%v", err)
			continue
		}
		r.check(path, e, f)
		f.Close()
	}
	for _, path := range files {
		r.Unrecorded = append(r.Unrecorded, path)
	}
	return nil
}

// mboxFile checks the mbox file against its manifest.
func (r *Report) mboxFile(file, mpath string) error {
	entries, bad, err := manifest.Read(mpath)
	if err != nil {
		return err
	}
	r.Folders++
	r.BadLines += bad
	_, statErr := os.Stat(file)
	for _, e := range entries {
		if e.Kind != manifest.KindMessage {
			continue
		}
		r.Messages++
		if errors.Is(statErr, fs.ErrNotExist) {
			r.problem(Missing, file, "the mbox file is gone (message at offset %d, %d bytes)", e.Offset, e.Size)
			continue
		}
		rc, err := localtarget.OpenStored(file, e)
		if err != nil {
			r.problem(Unreadable, file, "message at offset %d: %v", e.Offset, err)
			continue
		}
		r.check(fmt.Sprintf("%s@%d", file, e.Offset), e, rc)
		rc.Close()
	}
	return nil
}

// check reads a stored message and compares it with its entry.
func (r *Report) check(where string, e manifest.Entry, rd io.Reader) {
	h := sha256.New()
	n, err := io.Copy(h, rd)
	r.Bytes += n
	switch digest := hex.EncodeToString(h.Sum(nil)); {
	case err != nil:
		r.problem(Unreadable, where, "%v", err)
	case n != e.Size:
		r.problem(Size, where, "%d bytes, %d when written", n, e.Size)
	case digest != e.SHA256:
		r.problem(Digest, where, "content changed: SHA-256 %s, %s when written", digest, e.SHA256)
	}
}
