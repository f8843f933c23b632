package imaptarget

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
)

// systemFlags are the flags APPEND may set, by lower-case name.
var systemFlags = map[string]imap.Flag{
	`\seen`:     imap.FlagSeen,
	`\answered`: imap.FlagAnswered,
	`\flagged`:  imap.FlagFlagged,
	`\deleted`:  imap.FlagDeleted,
	`\draft`:    imap.FlagDraft,
}

// appendFlags returns the flags to send with APPEND: system flags in
// canonical case, and the keywords the mailbox can store. \Recent is
// left out silently (no client may set it); everything else left out is
// recorded for DroppedFlags.
func (t *Target) appendFlags(ctx context.Context, c *imapconn.Conn, name string, flags []string) ([]imap.Flag, error) {
	var out []imap.Flag
	var keywords []string
	seen := make(map[string]bool)
	for _, f := range flags {
		lower := strings.ToLower(f)
		if f == "" || seen[lower] || lower == `\recent` {
			continue
		}
		seen[lower] = true
		if f[0] == '\\' {
			if sf, ok := systemFlags[lower]; ok {
				out = append(out, sf)
			} else {
				t.dropped[f] = true
			}
			continue
		}
		if !validKeyword(f) {
			t.dropped[f] = true
			continue
		}
		keywords = append(keywords, f)
	}
	if len(keywords) == 0 {
		return out, nil
	}
	perm, known, err := t.permanentFlags(ctx, c, name)
	if err != nil {
		return nil, err
	}
	for _, kw := range keywords {
		if !known || allows(perm, kw) {
			out = append(out, imap.Flag(kw))
		} else {
			t.dropped[kw] = true
		}
	}
	return out, nil
}

// permanentFlags returns the mailbox's PERMANENTFLAGS from a SELECT
// (EXAMINE reports none), cached per mailbox. known is false if the
// mailbox could not be selected: then any flag is tried and APPEND
// reports what is wrong with the mailbox.
//
// go-imap reports an absent PERMANENTFLAGS response and an empty list
// "()" alike, as nil. RFC 3501 says an absent response means "all
// flags", but every common server sends it on SELECT, and an empty list
// means no keyword can be stored; nil is taken as "no keywords" so that
// the APPEND is not rejected, and the keywords show in DroppedFlags.
func (t *Target) permanentFlags(ctx context.Context, c *imapconn.Conn, name string) (perm []imap.Flag, known bool, err error) {
	if perm, ok := t.permFlags[name]; ok {
		return perm, true, nil
	}
	err = c.Do(ctx, func() error {
		sel, err := c.Select(name, nil).Wait()
		if err != nil {
			return err
		}
		perm = sel.PermanentFlags
		return nil
	})
	var ie *imap.Error
	if errors.As(err, &ie) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, t.wrap("selecting mailbox", name, err)
	}
	t.permFlags[name] = perm
	return perm, true, nil
}

func allows(perm []imap.Flag, kw string) bool {
	for _, p := range perm {
		if p == imap.FlagWildcard || strings.EqualFold(string(p), kw) {
			return true
		}
	}
	return false
}

// validKeyword reports whether kw is an IMAP atom usable as a keyword.
func validKeyword(kw string) bool {
	for i := 0; i < len(kw); i++ {
		switch ch := kw[i]; {
		case ch <= ' ' || ch >= 0x7f:
			return false
		case strings.IndexByte(`(){%*"\]`, ch) >= 0:
			return false
		}
	}
	return kw != ""
}
