package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/internal/mailhdr"
)

// corpusSpec describes one deterministic corpus at scale 1.
type corpusSpec struct {
	name    string   // small, mixed, large
	user    string   // the source account holding it
	seed    uint64   // corpus.Message seed
	count   int      // messages at scale 1
	folders []string // message i goes to folders[i%len(folders)]
	size    func(seed uint64, n int) []int
}

// corpusSpecs are the corpora of the Dovecot cases.
var corpusSpecs = []corpusSpec{
	{name: "small", user: "alice", seed: 1, count: 20_000, folders: []string{"INBOX", "Work", "Lists", "Archive"},
		size: func(_ uint64, n int) []int { return repeat(4096, n) }},
	// small-10x is the small corpus grown tenfold (its first messages
	// are the small corpus's), for the imap-grow case.
	{name: "small-10x", user: "alice-10x", seed: 1, count: 200_000, folders: []string{"INBOX", "Work", "Lists", "Archive"},
		size: func(_ uint64, n int) []int { return repeat(4096, n) }},
	{name: "mixed", user: "alice-mixed", seed: 2, count: 2_000, folders: []string{"INBOX", "Work", "Lists", "Archive"},
		size: corpus.Sizes},
	{name: "large", user: "alice-large", seed: 3, count: 50, folders: []string{"INBOX"},
		size: func(_ uint64, n int) []int { return repeat(10_000_000, n) }},
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// password is the source account's password.
func (c corpusSpec) password() string {
	if pw, ok := dovecottest.DefaultUsers[c.user]; ok {
		return pw
	}
	return "src-pw"
}

// scaled returns the message count at scale (at least one message).
func (c corpusSpec) scaled(scale float64) int {
	return max(1, int(math.Round(float64(c.count)*scale)))
}

// seeded is a corpus stored in its source account.
type seeded struct {
	spec                corpusSpec
	messages            int
	bytes               int64
	inboxMsgs           int // the part POP3 sees
	inboxBytes          int64
	foldersDesc         string // e.g. "4 folders"
	minSize, maxSize    int
	generated, indexing time.Duration
}

// corpus returns the named corpus, storing it in its account first if
// this run has not done so yet.
func (l *lab) corpus(name string) (*seeded, error) {
	if s, ok := l.corpora[name]; ok {
		return s, nil
	}
	var spec corpusSpec
	for _, c := range corpusSpecs {
		if c.name == name {
			spec = c
		}
	}
	if spec.name == "" {
		return nil, fmt.Errorf("no corpus %q", name)
	}
	s, err := l.seed(spec)
	if err != nil {
		return nil, fmt.Errorf("store the %s corpus in %s's account: %w", name, spec.user, err)
	}
	l.corpora[name] = s
	fmt.Fprintf(os.Stderr, "bench: %s corpus: %d messages, %.1f MB in %s's account (written in %.1fs, indexed by Dovecot in %.1fs)\n",
		name, s.messages, float64(s.bytes)/1e6, spec.user, s.generated.Seconds(), s.indexing.Seconds())
	return s, nil
}

// seed writes the corpus straight into the account's Maildir (much
// quicker than delivering 20,000 messages one by one), with flags in
// the file names and each message's arrival date as its mtime, which
// Dovecot reports as INTERNALDATE; then it lets Dovecot index the
// account and checks the count.
func (l *lab) seed(spec corpusSpec) (*seeded, error) {
	start := time.Now()
	n := spec.scaled(l.scale)
	s := &seeded{spec: spec, minSize: math.MaxInt}
	root := l.srv.MaildirPath(spec.user)
	dirs := map[string]string{}
	for _, f := range spec.folders {
		d := root
		if f != "INBOX" {
			d = filepath.Join(root, "."+strings.ReplaceAll(f, "/", "."))
		}
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := l.mkdirOwned(filepath.Join(d, sub)); err != nil {
				return nil, err
			}
		}
		dirs[f] = d
	}
	sizes := spec.size(spec.seed, n)
	for i := 0; i < n; i++ {
		m := corpus.Message(spec.seed, i, sizes[i])
		folder := spec.folders[i%len(spec.folders)]
		date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		if end := mailhdr.HeaderEnd(m); end > 0 {
			if d, ok := mailhdr.ArrivalDate(m[:end]); ok {
				date = d
			}
		}
		flags := ""
		switch {
		case i%17 == 0:
			flags = "FS"
		case i%3 != 0:
			flags = "S"
		}
		name := fmt.Sprintf("%d.M%dP%d.bench,S=%d:2,%s", date.Unix(), i, spec.seed, len(m), flags)
		p := filepath.Join(dirs[folder], "cur", name)
		if err := os.WriteFile(p, m, 0o600); err != nil {
			return nil, err
		}
		if err := os.Chown(p, l.uid, l.gid); err != nil {
			return nil, err
		}
		if err := os.Chtimes(p, date, date); err != nil {
			return nil, err
		}
		s.messages++
		s.bytes += int64(len(m))
		s.minSize, s.maxSize = min(s.minSize, len(m)), max(s.maxSize, len(m))
		if folder == "INBOX" {
			s.inboxMsgs++
			s.inboxBytes += int64(len(m))
		}
	}
	s.generated = time.Since(start)
	start = time.Now()
	got, err := l.countIMAP(spec.user)
	if err != nil {
		return nil, err
	}
	if got != s.messages {
		return nil, fmt.Errorf("dovecot sees %d messages, want %d", got, s.messages)
	}
	s.indexing = time.Since(start)
	s.foldersDesc = fmt.Sprintf("%d folder", len(spec.folders))
	if len(spec.folders) > 1 {
		s.foldersDesc += "s"
	}
	return s, nil
}

// mkdirOwned creates dir and its missing parents below the server's
// mail directory, owned by the mail user.
func (l *lab) mkdirOwned(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := l.mkdirOwned(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	return os.Chown(dir, l.uid, l.gid)
}

// describe is a short description of the corpus for case titles.
func (s *seeded) describe() string {
	switch s.spec.name {
	case "small", "small-10x":
		return fmt.Sprintf("%s x ~4 KB, %s", thousands(s.messages), s.foldersDesc)
	case "large":
		return fmt.Sprintf("%d x 10 MB", s.messages)
	}
	return fmt.Sprintf("%s mixed, %.0f MB", thousands(s.messages), float64(s.bytes)/1e6)
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
