package localtarget

import (
	"compress/gzip"
	"encoding/hex"
	"errors"
	"fmt"
	bmaildir "github.com/mailferry/mailferry/backup/maildir"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/mailferry/mailferry/backup/manifest"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/mbox"
)

// mboxBackend appends messages to one mboxrd file per folder.
type mboxBackend struct {
	root     string
	compress string
	fault    func(op, path string) error

	mu    sync.Mutex
	files map[string]*mboxFile
}

// mboxFile is the state of one mbox file; mu serialises its appends.
type mboxFile struct {
	mu     sync.Mutex
	loaded bool
	end    int64 // committed length: the manifest accounts for every byte before it
	gz     *gzip.Writer
	zs     *zstd.Encoder
}

func openMbox(root string, opts Options) (*mboxBackend, error) {
	switch opts.Compress {
	case CompressNone, CompressGzip, CompressZstd:
	default:
		return nil, sources.Permanent(fmt.Errorf("mbox: unknown compression %q (want gzip or zstd)", opts.Compress))
	}
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		return nil, sources.Permanent(fmt.Errorf("mbox: %s is a file; an mbox backup is a directory holding one mbox file per folder", root))
	}
	if err := mkdirs(root); err != nil {
		return nil, fsError("mbox: create "+root, err)
	}
	return &mboxBackend{root: root, compress: opts.Compress, fault: opts.Fault, files: map[string]*mboxFile{}}, nil
}

// path returns the file of folder: "INBOX", "Work.sbd/Projects" as
// Thunderbird names them, with ".gz" or ".zst" when compressed.
func (b *mboxBackend) path(folder string) (string, error) {
	if folder == "" {
		folder = "INBOX"
	}
	parts := strings.Split(folder, "/")
	for _, p := range parts {
		if p == "" || p[0] == '.' || strings.ContainsAny(p, "\x00\\") {
			return "", &sources.MessageError{Location: folder, Err: fmt.Errorf("mbox: folder name %q cannot be a file name (rename the folder with --folder-map)", folder)}
		}
	}
	for i := range parts[:len(parts)-1] {
		parts[i] += ".sbd"
	}
	name := filepath.Join(append([]string{b.root}, parts...)...)
	switch b.compress {
	case CompressGzip:
		name += ".gz"
	case CompressZstd:
		name += ".zst"
	}
	return name, nil
}

func (b *mboxBackend) ensure(folder string) error {
	path, err := b.path(folder)
	if err != nil {
		return err
	}
	if err := mkdirs(filepath.Dir(path)); err != nil {
		return fsError("mbox: create folder "+fmt.Sprintf("%q", folder), err)
	}
	return nil
}

func (b *mboxBackend) file(path string) *mboxFile {
	b.mu.Lock()
	defer b.mu.Unlock()
	mf := b.files[path]
	if mf == nil {
		mf = &mboxFile{}
		b.files[path] = mf
	}
	return mf
}

// load learns the committed length of the file from its manifest. A
// file without a manifest gets one that starts with its current length,
// so mail already in it is left alone.
func (b *mboxBackend) load(path string, mf *mboxFile) error {
	if mf.loaded {
		return nil
	}
	mpath := manifest.MboxPath(path)
	entries, _, err := manifest.Read(mpath)
	if err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	if len(entries) == 0 {
		var size int64
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fsError("mbox: open "+path, err)
		}
		if err := manifest.Append(mpath, manifest.Entry{Kind: manifest.KindStart, End: size}); err != nil {
			return fsError("mbox: create the manifest of "+path, err)
		}
		entries = append(entries, manifest.Entry{Kind: manifest.KindStart, End: size})
	}
	for _, e := range entries {
		mf.end = max(mf.end, e.End)
	}
	mf.loaded = true
	return nil
}

func (b *mboxBackend) append(folder string, m target.Message, r io.Reader) (target.Receipt, error) {
	path, err := b.path(folder)
	if err != nil {
		return target.Receipt{}, err
	}
	if err := b.ensure(folder); err != nil {
		return target.Receipt{}, err
	}
	mf := b.file(path)
	mf.mu.Lock()
	defer mf.mu.Unlock()
	if err := b.load(path, mf); err != nil {
		return target.Receipt{}, err
	}
	e, err := b.write(path, mf, m, r)
	if err != nil {
		return target.Receipt{}, err
	}
	if err := checkStored(path, e); err != nil {
		truncate(path, mf.end)
		return target.Receipt{}, err
	}
	if err := manifest.Append(manifest.MboxPath(path), e); err != nil {
		truncate(path, mf.end)
		return target.Receipt{}, fsError("mbox: record a message in the manifest of "+path, err)
	}
	mf.end = e.End
	return target.Receipt{Ref: fmt.Sprintf("%s@%d#sha256:%s", folder, e.Offset, e.SHA256)}, nil
}

// write appends the message at the committed end of the file (dropping
// whatever an interrupted append left after it) and syncs it. On failure
// the file is cut back to the committed end.
func (b *mboxBackend) write(path string, mf *mboxFile, m target.Message, r io.Reader) (e manifest.Entry, err error) {
	what := "mbox: append to " + path
	if b.fault != nil {
		if err := b.fault("create", path); err != nil {
			return e, fsError(what, err)
		}
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return e, fsError(what, err)
	}
	defer func() {
		if err != nil {
			f.Truncate(mf.end)
		}
		f.Close()
	}()
	fi, err := f.Stat()
	if err != nil {
		return e, fsError(what, err)
	}
	if fi.Size() < mf.end {
		return e, sources.Permanent(fmt.Errorf("%s: the file is %d bytes, shorter than the %d its manifest records: the backup was changed or damaged (run \"mailferry verify\")", what, fi.Size(), mf.end))
	}
	if fi.Size() > mf.end {
		if err := f.Truncate(mf.end); err != nil {
			return e, fsError(what, err)
		}
	}
	if _, err := f.Seek(mf.end, io.SeekStart); err != nil {
		return e, fsError(what, err)
	}
	fw := &faultWriter{w: f, path: path, fault: b.fault}
	var dst io.Writer = fw
	var zc io.WriteCloser
	switch b.compress {
	case CompressGzip:
		if mf.gz == nil {
			mf.gz = gzip.NewWriter(fw)
		}
		mf.gz.Reset(fw)
		dst, zc = mf.gz, mf.gz
	case CompressZstd:
		if mf.zs == nil {
			if mf.zs, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20)); err != nil {
				return e, err
			}
		}
		mf.zs.Reset(fw)
		dst, zc = mf.zs, mf.zs
	}
	w, err := mbox.NewWriter(dst, mbox.FormatMboxrd)
	if err != nil {
		return e, err
	}
	rec := newReceived(r)
	if err := w.WriteMessage("MAILER-DAEMON", m.Date, rec); err != nil {
		if fw.err != nil {
			return e, fsError(what, fw.err)
		}
		return e, err
	}
	if zc != nil {
		if err := zc.Close(); err != nil {
			return e, fsError(what, err)
		}
	}
	if rec.n != m.Size {
		return e, fmt.Errorf("%s: %w (%d, want %d)", what, errShort, rec.n, m.Size)
	}
	if b.fault != nil {
		if err := b.fault("sync", path); err != nil {
			return e, fsError(what, err)
		}
	}
	if err := f.Sync(); err != nil {
		return e, fsError(what, err)
	}
	if statErr != nil {
		if err := manifest.SyncDir(filepath.Dir(path)); err != nil {
			return e, fsError(what, err)
		}
	}
	return manifest.Entry{
		Offset: mf.end, End: mf.end + fw.n,
		Size: rec.n, SHA256: hex.EncodeToString(rec.h.Sum(nil)), AddedNewline: rec.n > 0 && rec.last != '\n',
		Flags: m.Flags, Date: m.Date, Identity: rec.identity(),
	}, nil
}

// truncate cuts an interrupted append back off the file; if that fails,
// the next append does it.
func truncate(path string, size int64) { os.Truncate(path, size) }

// index counts the identities the manifest records for folder's file.
func (b *mboxBackend) index(folder string, counts map[string]int) error {
	path, err := b.path(folder)
	if err != nil {
		return nil
	}
	entries, _, err := manifest.Read(manifest.MboxPath(path))
	if err != nil {
		return fmt.Errorf("mbox: index %q: %w", folder, err)
	}
	for _, e := range entries {
		if e.Kind == manifest.KindMessage && e.Identity != "" {
			counts[e.Identity]++
		}
	}
	return nil
}

var yearDirMbox = regexp.MustCompile(`^([0-9]{4})\.sbd$`)

func (b *mboxBackend) years() ([]string, error) { return yearsIn(b.root, yearDirMbox) }

// mkdirs creates dir and its missing parents; see bmaildir.MkdirAll.
func mkdirs(dir string) error { return bmaildir.MkdirAll(dir) }
