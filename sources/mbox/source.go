package mbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/mailferry/mailferry/sources"
)

// Options configure a Source.
type Options struct {
	// Format is the mbox variant: "mboxrd", "mboxo", "mboxcl" or
	// "mboxcl2"; "" detects it for each file (see the package comment).
	Format string

	// IndexDir, if set, is a directory where List keeps an index of
	// each mbox file it reads, so that the next List of an unchanged
	// file reads the index instead of the file, and the next List of a
	// file with mail appended reads only the new mail (see the package
	// comment). It is created if missing. The index is a cache: a
	// missing, damaged or outdated one only means reading the file.
	IndexDir string
}

// Source reads one mbox file, or a directory tree of them, as a
// sources.Source. It is used by one goroutine at a time.
type Source struct {
	opts  Options
	boxes []*mailbox     // sorted by name
	open  *mailbox       // the mailbox whose file is open, if any
	spare *messageReader // a closed reader, reused by Open

	scannedBytes int64 // bytes of mbox files read by scans (for tests)
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Mailboxer = (*Source)(nil)
)

// mailbox is one mbox file of a Source.
type mailbox struct {
	name    string
	path    string
	special []string
	st      *stream // open file, nil when closed

	scanned bool
	format  string
	msgs    []entry     // by offset
	fi      os.FileInfo // of the file when it was scanned
}

// New opens the mbox file at path as a source with one mailbox, INBOX.
// A directory is read as NewTree reads it. The file is only checked to
// start with a "From " line here; List reads it.
func New(path string, opts Options) (*Source, error) {
	if err := checkFormat(opts.Format); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, sources.Permanent(err)
	}
	if fi.IsDir() {
		return NewTree(path, opts)
	}
	mb := &mailbox{name: "INBOX", path: path}
	if err := mb.check(); err != nil {
		return nil, err
	}
	return &Source{opts: opts, boxes: []*mailbox{mb}}, nil
}

func checkFormat(f string) error {
	switch f {
	case "", FormatMboxrd, FormatMboxo, FormatMboxcl, FormatMboxcl2:
		return nil
	}
	return sources.Permanent(fmt.Errorf("unknown mbox format %q: use mboxrd, mboxo, mboxcl or mboxcl2, or leave it empty to detect it", f))
}

// List calls fn for every message, mailbox by mailbox in name order,
// each in file order. The first List of a mailbox reads its whole file,
// or its index (Options.IndexDir).
func (s *Source) List(ctx context.Context, fn func(sources.Message) error) error {
	for _, mb := range s.boxes {
		if err := s.scan(ctx, mb); err != nil {
			return err
		}
		for i := range mb.msgs {
			if err := fn(mb.message(&mb.msgs[i])); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open returns the bytes of a message listed by List, with CRLF line
// endings and "From " quoting removed. The reader reports an error at
// the end if the bytes differ from those List saw.
func (s *Source) Open(ctx context.Context, m sources.Message) (io.ReadCloser, error) {
	mb := s.mailbox(m.Mailbox)
	if mb == nil {
		return nil, sources.Permanent(fmt.Errorf("mbox: no mailbox %q", m.Mailbox))
	}
	if err := s.scan(ctx, mb); err != nil {
		return nil, err
	}
	off, _, _ := strings.Cut(m.ID, "-")
	n, err := strconv.ParseInt(off, 10, 64)
	i := sort.Search(len(mb.msgs), func(i int) bool { return mb.msgs[i].fromOff >= n })
	if err != nil || i == len(mb.msgs) || mb.message(&mb.msgs[i]).ID != m.ID {
		return nil, &sources.MessageError{Location: mb.path, Err: fmt.Errorf("no message %q in the mbox file; it changed since it was listed", m.ID)}
	}
	e := mb.msgs[i]
	st, err := s.stream(mb)
	if err != nil {
		return nil, err
	}
	r, err := st.readerAt(e.start)
	if err != nil {
		return nil, err
	}
	mr := s.spare
	s.spare = nil
	if mr == nil {
		mr = &messageReader{onClose: func(r *messageReader) { s.spare = r }}
	}
	mr.reset(r, e, quoteModeOf(mb.format), mb.location(&e))
	return mr, nil
}

// Format returns the variant used to read a mailbox ("INBOX" for a
// single file), reading the file if List has not yet done so.
func (s *Source) Format(ctx context.Context, mailbox string) (string, error) {
	mb := s.mailbox(mailbox)
	if mb == nil {
		return "", fmt.Errorf("mbox: no mailbox %q", mailbox)
	}
	if err := s.scan(ctx, mb); err != nil {
		return "", err
	}
	return mb.format, nil
}

// Mailboxes lists the mailboxes, one per file.
func (s *Source) Mailboxes(ctx context.Context) ([]sources.Mailbox, error) {
	out := make([]sources.Mailbox, len(s.boxes))
	for i, mb := range s.boxes {
		out[i] = sources.Mailbox{Name: mb.name, SpecialUse: mb.special, Subscribed: true}
	}
	return out, nil
}

// Close closes the open file.
func (s *Source) Close() error {
	if s.open == nil {
		return nil
	}
	err := s.open.st.close()
	s.open.st, s.open = nil, nil
	return err
}

// mailbox finds a mailbox by name; "" is INBOX.
func (s *Source) mailbox(name string) *mailbox {
	if name == "" || strings.EqualFold(name, "INBOX") {
		name = "INBOX"
	}
	for _, mb := range s.boxes {
		if mb.name == name {
			return mb
		}
	}
	return nil
}

// stream returns the open file of mb, closing another mailbox's file:
// a tree of thousands of files keeps one open.
func (s *Source) stream(mb *mailbox) (*stream, error) {
	if s.open == mb {
		return mb.st, nil
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	st, err := openStream(mb.path)
	if err != nil {
		return nil, sources.Permanent(err)
	}
	if mb.scanned {
		if err := mb.unchanged(st); err != nil {
			st.close()
			return nil, err
		}
	}
	mb.st, s.open = st, mb
	return st, nil
}

// message describes an entry as a sources.Message.
func (mb *mailbox) message(e *entry) sources.Message {
	return sources.Message{
		ID:        fmt.Sprintf("%d-%x", e.fromOff, e.sum),
		Mailbox:   mb.name,
		Size:      e.size,
		SizeExact: true,
		Flags:     e.flags,
		Date:      e.date,
		Location:  mb.location(e),
	}
}

func (mb *mailbox) location(e *entry) string {
	return mb.path + ":" + strconv.FormatInt(e.line, 10)
}

// unchanged checks that a file opened again after List is the file
// List read, not shortened. Growth is fine (mail appended to the end);
// a change in place shows in the digest check at the end of a message.
func (mb *mailbox) unchanged(st *stream) error {
	fi, err := st.f.Stat()
	if err != nil {
		return sources.Permanent(err)
	}
	if !os.SameFile(fi, mb.fi) || fi.Size() < mb.fi.Size() {
		return sources.Permanent(fmt.Errorf("%s: the file was replaced or shortened since it was listed; run again to list it anew", mb.path))
	}
	return nil
}
