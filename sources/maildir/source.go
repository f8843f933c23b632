package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// Options tunes how a Maildir tree is read.
type Options struct {
	// Layout forces the folder layout; LayoutAuto detects it.
	Layout Layout
}

// Source reads a Maildir tree. It never writes to it. A Source holds no
// open files between calls and may be used by one goroutine at a time.
type Source struct {
	root   string
	layout Layout
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Mailboxer = (*Source)(nil)
)

// New opens the Maildir tree at root. Errors are Permanent: a missing
// directory or one without any cur/ or new/ will not fix itself.
func New(root string, opts Options) (*Source, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, sources.Permanent(fmt.Errorf("maildir: %w", err))
	}
	if !fi.IsDir() {
		return nil, sources.Permanent(fmt.Errorf("maildir: %s is not a directory", root))
	}
	layout := opts.Layout
	switch layout {
	case LayoutMaildirPP, LayoutFS:
	case LayoutAuto:
		if layout, err = detectLayout(root); err != nil {
			return nil, sources.Permanent(fmt.Errorf("maildir: %w", err))
		}
	default:
		return nil, sources.Permanent(fmt.Errorf("maildir: unknown layout %q (want %q or %q)", opts.Layout, LayoutMaildirPP, LayoutFS))
	}
	folders, err := scanFolders(root, layout)
	if err != nil {
		return nil, sources.Permanent(fmt.Errorf("maildir: %w", err))
	}
	if len(folders) == 0 {
		return nil, sources.Permanent(fmt.Errorf("maildir: %s holds no maildir (no cur/ or new/ in it or its folders)", root))
	}
	return &Source{root: root, layout: layout}, nil
}

// Layout reports the layout in use, detected or forced.
func (s *Source) Layout() Layout { return s.layout }

// entry is one message file found by List.
type entry struct {
	path, name string
	mtime      time.Time
	size       int64
	keywords   []string
}

// List calls fn for every message in cur/ and new/ (never tmp/), mailbox
// by mailbox (INBOX first, then by name), and within a mailbox by
// modification time, then file name. A file that disappears while List
// runs (deleted, or renamed by a mail program) is skipped.
func (s *Source) List(ctx context.Context, fn func(sources.Message) error) error {
	folders, err := scanFolders(s.root, s.layout)
	if err != nil {
		return fmt.Errorf("maildir: list folders: %w", err)
	}
	for _, f := range folders {
		entries, err := readFolder(ctx, f)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, e := range entries {
			m := message(f.name, e)
			if seen[m.ID] {
				// Two files share a unique part (a broken delivery
				// program): keep both, the later one under its full name.
				m.ID += "/" + e.name
			}
			seen[m.ID] = true
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// message builds the Message for one file of mailbox.
func message(mailbox string, e entry) sources.Message {
	unique, info, fields := ParseName(e.name)
	m := sources.Message{
		ID:       unique,
		Mailbox:  mailbox,
		Size:     e.size,
		Flags:    InfoFlags(info, e.keywords),
		Date:     e.mtime,
		Location: e.path,
	}
	// Dovecot's W= is the size with CRLF line endings; trust it when
	// S= matches the file as it is now.
	if sz, err := strconv.ParseInt(fields["S"], 10, 64); err == nil && sz == e.size {
		if w, err := strconv.ParseInt(fields["W"], 10, 64); err == nil && w >= sz {
			m.Size, m.SizeExact = w, true
		}
	}
	return m
}

// readFolder returns the message files of f sorted by (mtime, name).
func readFolder(ctx context.Context, f folder) ([]entry, error) {
	var out []entry
	for _, dir := range f.dirs {
		kw, err := ReadKeywords(dir)
		if err != nil {
			return nil, err
		}
		for _, sub := range []string{"cur", "new"} {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			subdir := filepath.Join(dir, sub)
			des, err := os.ReadDir(subdir)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("maildir: read %s: %w", subdir, err)
			}
			for _, de := range des {
				name := de.Name()
				if name[0] == '.' {
					continue
				}
				path := filepath.Join(subdir, name)
				fi, err := os.Stat(path)
				if err != nil || !fi.Mode().IsRegular() {
					continue // gone since ReadDir, or not a message file
				}
				out = append(out, entry{path: path, name: name, mtime: fi.ModTime(), size: fi.Size(), keywords: kw})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].mtime.Equal(out[j].mtime) {
			return out[i].mtime.Before(out[j].mtime)
		}
		return out[i].name < out[j].name
	})
	return out, nil
}

// Open returns the message's bytes with LF line endings turned into
// CRLF. If the file was renamed since List (a flag change by a mail
// program), Open finds it again by its unique part in cur/ and new/.
func (s *Source) Open(ctx context.Context, m sources.Message) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(m.Location)
	if errors.Is(err, fs.ErrNotExist) {
		if moved := relocate(m.Location); moved != "" {
			f, err = os.Open(moved)
		}
	}
	if err != nil {
		return nil, &sources.MessageError{Location: m.Location, Err: fmt.Errorf("open: %w", err)}
	}
	return &messageReader{crlfReader: newCRLFReader(f), f: f}, nil
}

// relocate looks for a file with the same unique part as path in its
// folder's cur/ and new/, returning "" if there is not exactly one.
func relocate(path string) string {
	unique, _, _ := ParseName(filepath.Base(path))
	dir := filepath.Dir(filepath.Dir(path))
	var found []string
	for _, sub := range []string{"cur", "new"} {
		des, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, de := range des {
			if u, _, _ := ParseName(de.Name()); u == unique {
				found = append(found, filepath.Join(dir, sub, de.Name()))
			}
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// messageReader streams one message file.
type messageReader struct {
	*crlfReader
	f *os.File
}

func (r *messageReader) Close() error { return r.f.Close() }

// Mailboxes reports the folder tree. Subscription state comes from
// Dovecot's "subscriptions" or Courier's "courierimapsubscribed" file;
// without either, every folder counts as subscribed.
func (s *Source) Mailboxes(ctx context.Context) ([]sources.Mailbox, error) {
	folders, err := scanFolders(s.root, s.layout)
	if err != nil {
		return nil, fmt.Errorf("maildir: list folders: %w", err)
	}
	subs, ok := readSubscriptions(s.root, s.layout)
	out := make([]sources.Mailbox, len(folders))
	for i, f := range folders {
		out[i] = sources.Mailbox{Name: f.name, Subscribed: !ok || subs[f.name] || f.name == "INBOX"}
	}
	return out, nil
}

// Close releases nothing: a Source keeps no files open between calls.
func (s *Source) Close() error { return nil }
