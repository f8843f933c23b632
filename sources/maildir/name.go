package maildir

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// KeywordsFile is the name of the per-folder file that maps keyword
// letters to names, in Dovecot's format: lines "N name", letter 'a'+N.
const KeywordsFile = "dovecot-keywords"

// MaxKeywords is how many keywords a file name can carry (letters a..z).
const MaxKeywords = 26

// systemLetters maps the uppercase info letters to IMAP flags.
var systemLetters = map[byte]string{
	'D': `\Draft`,
	'F': `\Flagged`,
	'P': `$Forwarded`,
	'R': `\Answered`,
	'S': `\Seen`,
	'T': `\Deleted`,
}

// ParseName splits a Maildir file name into its unique part, its info
// (the text after the first ':', e.g. "2,FS") and the Dovecot extension
// fields between the unique part and the info (",S=123,W=130" gives
// S=123 and W=130; a field without '=' maps to ""). It accepts any input.
func ParseName(name string) (unique string, info string, fields map[string]string) {
	base := name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		base, info = name[:i], name[i+1:]
	}
	unique = base
	if i := strings.IndexByte(base, ','); i >= 0 {
		unique = base[:i]
		for _, f := range strings.Split(base[i+1:], ",") {
			if f == "" {
				continue
			}
			if fields == nil {
				fields = map[string]string{}
			}
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
	}
	return unique, info, fields
}

// InfoFlags returns the flags an info string ("2,FRa") stands for,
// keywords being looked up in keywords (index 0 is letter 'a'). Unknown
// letters and info not starting with "2," give no flags. The result is
// never nil.
func InfoFlags(info string, keywords []string) []string {
	flags := []string{}
	letters, ok := strings.CutPrefix(info, "2,")
	if !ok {
		return flags
	}
	seen := map[string]bool{}
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		var f string
		switch {
		case systemLetters[c] != "":
			f = systemLetters[c]
		case c >= 'a' && c <= 'z' && int(c-'a') < len(keywords):
			f = keywords[c-'a']
		}
		if f != "" && !seen[f] {
			seen[f] = true
			flags = append(flags, f)
		}
	}
	return flags
}

// SystemLetter returns the info letter for an IMAP system flag or
// $Forwarded, or 0 if flag has none (\Recent, unknown \Flags). The match
// is case-insensitive, as IMAP flags are.
func SystemLetter(flag string) byte {
	for c, f := range systemLetters {
		if strings.EqualFold(f, flag) {
			return c
		}
	}
	return 0
}

// Info returns the info string ("2,FSa") for the given system letters
// and keyword indexes, letters sorted as Dovecot writes them.
func Info(letters []byte) string {
	b := append([]byte(nil), letters...)
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	out := make([]byte, 0, len(b))
	for i, c := range b {
		if i == 0 || c != b[i-1] {
			out = append(out, c)
		}
	}
	return "2," + string(out)
}

// ReadKeywords reads dir's dovecot-keywords file and returns the keyword
// names by index (gaps are ""). A missing file gives no keywords.
func ReadKeywords(dir string) ([]string, error) {
	path := filepath.Join(dir, KeywordsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("maildir: read keywords: %w", err)
	}
	defer f.Close()
	var kw []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		num, name, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n >= MaxKeywords || name == "" {
			continue // Dovecot ignores lines it cannot parse, so do we
		}
		for len(kw) <= n {
			kw = append(kw, "")
		}
		kw[n] = name
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("maildir: read keywords %s: %w", path, err)
	}
	return kw, nil
}
