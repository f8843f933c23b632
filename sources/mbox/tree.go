package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mailferry/mailferry/sources"
)

// skipExts are files found next to mbox files that are not mail:
// Thunderbird indexes and state, Takeout metadata, Apple Mail plists.
var skipExts = []string{".msf", ".dat", ".json", ".html", ".htm", ".plist", ".sqlite", ".db", ".log", ".lock", ".csv", ".xml"}

// skipNames are such files known by name.
var skipNames = []string{"table_of_contents"}

// NewTree reads a directory of mbox files as a folder tree. Each file is
// a mailbox named by its path relative to root, without a compression
// suffix and without ".mbox"; Thunderbird's "Name.sbd/" directories hold
// the subfolders of "Name", and Apple Mail's "Name.mbox/mbox" is "Name".
// A top-level file called Inbox (any case) is INBOX. Dotfiles and
// Thunderbird's .msf indexes (see skipExts) are skipped; any other file
// that is not an mbox file is an error. If root is a file, it is the one
// mailbox INBOX, as with New.
func NewTree(root string, opts Options) (*Source, error) {
	if err := checkFormat(opts.Format); err != nil {
		return nil, err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, sources.Permanent(err)
	}
	if !fi.IsDir() {
		return New(root, opts)
	}
	byName := map[string]*mailbox{}
	var boxes []*mailbox
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || skipFile(d.Name()) {
			return nil
		}
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return nil // a symlink to a directory, a socket, a dangling link
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name := mailboxName(filepath.ToSlash(rel))
		if other, ok := byName[name]; ok {
			return fmt.Errorf("%s and %s would both be mailbox %q; rename one", other.path, path, name)
		}
		mb := &mailbox{name: name, path: path, special: specialUse(name)}
		if err := mb.check(); err != nil {
			if errors.Is(err, errNotMboxFile) {
				return fmt.Errorf("%w\nhint: move files that are not mail out of %s, or name the mbox files one by one", err, root)
			}
			return err
		}
		byName[name] = mb
		boxes = append(boxes, mb)
		return nil
	})
	if err != nil {
		return nil, sources.Permanent(err)
	}
	sort.Slice(boxes, func(i, j int) bool { return boxes[i].name < boxes[j].name })
	return &Source{opts: opts, boxes: boxes}, nil
}

// skipFile reports whether a file in a tree is known not to be mail.
func skipFile(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range skipExts {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	for _, n := range skipNames {
		if lower == n {
			return true
		}
	}
	return false
}

// mailboxName maps a file's slash-separated path inside a tree to its
// mailbox name.
func mailboxName(rel string) string {
	parts := strings.Split(rel, "/")
	last := len(parts) - 1
	file := parts[last]
	if c := compressionOf(file); c.suffix != "" {
		file = file[:len(file)-len(c.suffix)]
	}
	file = trimSuffixFold(file, ".mbox")
	parts[last] = file
	appleMail := last > 0 && file == "mbox" && strings.HasSuffix(strings.ToLower(parts[last-1]), ".mbox")
	for i := range last {
		parts[i] = trimSuffixFold(trimSuffixFold(parts[i], ".sbd"), ".mbox")
	}
	if appleMail {
		parts = parts[:last]
	}
	if strings.EqualFold(parts[0], "inbox") {
		parts[0] = "INBOX"
	}
	return strings.Join(parts, "/")
}

func trimSuffixFold(s, suffix string) string {
	if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)]
	}
	return s
}

// specialUse guesses the special use of a top-level mailbox from the
// names mail programs give them.
func specialUse(name string) []string {
	switch strings.ToLower(name) {
	case "sent", "sent messages", "sent items", "sent mail":
		return []string{`\Sent`}
	case "drafts":
		return []string{`\Drafts`}
	case "trash", "deleted items", "deleted messages", "bin":
		return []string{`\Trash`}
	case "junk", "spam":
		return []string{`\Junk`}
	case "archive", "archives":
		return []string{`\Archive`}
	}
	return nil
}

// errNotMboxFile marks the error of check for a file that is not mbox.
var errNotMboxFile = errors.New("not an mbox file")

// check opens the file and reads its first line: an mbox file is empty
// or starts (after blank lines) with a "From " line.
func (mb *mailbox) check() error {
	st, err := openStream(mb.path)
	if err != nil {
		return sources.Permanent(err)
	}
	defer st.close()
	r, err := st.readerAt(0)
	if err != nil {
		return sources.Permanent(err)
	}
	br := bufio.NewReaderSize(r, bufSize)
	for {
		line, err := br.ReadSlice('\n')
		if string(line) == "\n" || string(line) == "\r\n" {
			continue
		}
		if len(line) > 0 && !bytes.HasPrefix(line, []byte(fromPrefix)) || errors.Is(err, bufio.ErrBufferFull) {
			return sources.Permanent(fmt.Errorf("%s: %w (first line is not a \"From \" line)", mb.path, errNotMboxFile))
		}
		if err == io.EOF || err == nil {
			return nil
		}
		return sources.Permanent(fmt.Errorf("%s: %w", mb.path, err))
	}
}
