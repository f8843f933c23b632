package localtarget

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"

	bmaildir "github.com/mailferry/mailferry/backup/maildir"
	"github.com/mailferry/mailferry/backup/manifest"
	"github.com/mailferry/mailferry/internal/mailhdr"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
	srcmaildir "github.com/mailferry/mailferry/sources/maildir"
)

// maildirBackend stores one file per message through backup/maildir.
type maildirBackend struct {
	store  *bmaildir.Store
	root   string
	layout srcmaildir.Layout

	mu    sync.Mutex
	locks map[string]*sync.Mutex // per manifest
}

func openMaildir(root string, opts Options) (*maildirBackend, error) {
	layout := opts.Layout
	if layout == srcmaildir.LayoutAuto {
		layout = srcmaildir.LayoutMaildirPP
	}
	st, err := bmaildir.OpenLayout(root, layout)
	if err != nil {
		return nil, err
	}
	st.Fault = opts.Fault
	return &maildirBackend{store: st, root: root, layout: layout, locks: map[string]*sync.Mutex{}}, nil
}

func (b *maildirBackend) ensure(folder string) error {
	if err := b.store.EnsureMailbox(folder); err != nil {
		return folderError(folder, err)
	}
	return nil
}

// folderError turns a mailbox name the layout cannot hold into a
// per-message failure, so the other folders are still backed up.
func folderError(folder string, err error) error {
	if sources.IsPermanent(err) {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &sources.MessageError{Location: folder, Err: fmt.Errorf("%w (rename the folder with --folder-map)", err)}
}

func (b *maildirBackend) lock(path string) *sync.Mutex {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.locks[path]
	if l == nil {
		l = &sync.Mutex{}
		b.locks[path] = l
	}
	return l
}

func (b *maildirBackend) append(folder string, m target.Message, r io.Reader) (target.Receipt, error) {
	dir, err := srcmaildir.FolderDir(b.root, b.layout, folder)
	if err != nil {
		return target.Receipt{}, folderError(folder, err)
	}
	rec := newReceived(r)
	name, digest, err := b.store.Deliver(folder, m.Flags, m.Date, rec)
	if err != nil {
		return target.Receipt{}, err
	}
	path := filepath.Join(dir, "cur", name)
	if rec.n != m.Size {
		os.Remove(path)
		return target.Receipt{}, fmt.Errorf("maildir: deliver to %q: %w (%d, want %d)", folder, errShort, rec.n, m.Size)
	}
	if err := b.store.Verify(folder, name, digest); err != nil {
		// The copy on disk is not what was written: take it away so
		// that no index counts it, and let the engine try again.
		os.Remove(path)
		return target.Receipt{}, err
	}
	unique, _, _ := srcmaildir.ParseName(name)
	mpath := filepath.Join(dir, manifest.FileName)
	l := b.lock(mpath)
	l.Lock()
	err = manifest.Append(mpath, manifest.Entry{
		File: unique, Size: rec.n, SHA256: digest, Flags: m.Flags, Date: m.Date, Identity: rec.identity(),
	})
	l.Unlock()
	if err != nil {
		// The message is stored and verified; the engine retries and
		// finds it through Index. Only the manifest misses it.
		return target.Receipt{}, fsError("maildir: record "+path+" in the manifest", err)
	}
	return target.Receipt{Ref: folder + "/" + name + "#sha256:" + digest}, nil
}

// index counts the identities of every message file in the folder's
// cur/ and new/. The size is the one a reader delivers (after LF to
// CRLF): Dovecot's W= field when the name carries a matching S=, which
// every file this package writes does, else counted by reading the file.
func (b *maildirBackend) index(folder string, counts map[string]int) error {
	dir, err := srcmaildir.FolderDir(b.root, b.layout, folder)
	if err != nil {
		return nil // a name the layout cannot hold holds no messages
	}
	br := bufio.NewReaderSize(nil, maxHeader)
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("maildir: index %q: %w", folder, err)
		}
		for _, ent := range ents {
			if !ent.Type().IsRegular() || ent.Name()[0] == '.' {
				continue
			}
			id, err := fileIdentity(filepath.Join(dir, sub, ent.Name()), br)
			if errors.Is(err, fs.ErrNotExist) {
				continue // renamed by a mail program meanwhile
			}
			if err != nil {
				return fmt.Errorf("maildir: index %q: %w", folder, err)
			}
			counts[id]++
		}
	}
	return nil
}

// fileIdentity reads the header of a message file and returns its
// identity.
func fileIdentity(path string, br *bufio.Reader) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	br.Reset(f)
	header := mailhdr.Peek(br)
	_, _, fields := srcmaildir.ParseName(filepath.Base(path))
	size := int64(-1)
	if s, err := strconv.ParseInt(fields["S"], 10, 64); err == nil && s == fi.Size() {
		if w, err := strconv.ParseInt(fields["W"], 10, 64); err == nil {
			size = w
		}
	}
	if size < 0 {
		if size, err = crlfSize(br); err != nil {
			return "", err
		}
	}
	return mailhdr.Identity(size, header), nil
}

// crlfSize reads r to the end and returns its size with every bare LF
// counted as CRLF.
func crlfSize(r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	prevCR := false
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' && !prevCR {
				n++
			}
			prevCR = c == '\r'
		}
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// yearDir matches top-level year folders: ".2023.INBOX" (Maildir++) or
// "2023" (fs).
var yearDirPP = regexp.MustCompile(`^\.([0-9]{4})(\.|$)`)
var yearDirFS = regexp.MustCompile(`^([0-9]{4})$`)

func (b *maildirBackend) years() ([]string, error) {
	re := yearDirFS
	if b.layout == srcmaildir.LayoutMaildirPP {
		re = yearDirPP
	}
	return yearsIn(b.root, re)
}

// yearsIn returns, sorted and once each, the first submatch of re in the
// names of root's directories.
func yearsIn(root string, re *regexp.Regexp) ([]string, error) {
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", root, err)
	}
	seen := map[string]bool{}
	var years []string
	for _, e := range ents {
		if m := re.FindStringSubmatch(e.Name()); m != nil && e.IsDir() && !seen[m[1]] {
			seen[m[1]] = true
			years = append(years, m[1])
		}
	}
	sort.Strings(years)
	return years, nil
}
