package mailhdr

import (
	"sort"
	"strconv"
	"strings"
)

// Mozilla status bits (Thunderbird's X-Mozilla-Status header).
const (
	mozRead      = 0x0001
	mozReplied   = 0x0002
	mozMarked    = 0x0004
	mozExpunged  = 0x0008
	mozForwarded = 0x1000
)

// Flags returns the IMAP flags and keywords that mail programs recorded
// in the header: Status: (R gives \Seen), X-Status: (A \Answered,
// F \Flagged, T \Draft, D \Deleted), Thunderbird's X-Mozilla-Status bits
// and X-Mozilla-Keys, and X-Keywords: (Dovecot, mutt). The result is
// sorted and free of duplicates; nil if the header records nothing.
func Flags(header []byte) []string {
	set := map[string]bool{}
	for _, f := range Fields(header) {
		switch strings.ToLower(f.Name) {
		case "status":
			if strings.ContainsRune(f.Value, 'R') {
				set[`\Seen`] = true
			}
		case "x-status":
			for _, c := range f.Value {
				switch c {
				case 'A':
					set[`\Answered`] = true
				case 'F':
					set[`\Flagged`] = true
				case 'T':
					set[`\Draft`] = true
				case 'D':
					set[`\Deleted`] = true
				}
			}
		case "x-mozilla-status":
			bits, err := strconv.ParseUint(strings.TrimSpace(f.Value), 16, 32)
			if err != nil {
				continue
			}
			if bits&mozRead != 0 {
				set[`\Seen`] = true
			}
			if bits&mozReplied != 0 {
				set[`\Answered`] = true
			}
			if bits&mozMarked != 0 {
				set[`\Flagged`] = true
			}
			if bits&mozExpunged != 0 {
				set[`\Deleted`] = true
			}
			if bits&mozForwarded != 0 {
				set[`$Forwarded`] = true
			}
		case "x-gmail-labels":
			gmailLabels(f.Value, set)
		case "x-mozilla-keys", "x-keywords":
			for _, kw := range strings.FieldsFunc(f.Value, func(r rune) bool {
				return r == ',' || r == ' ' || r == '\t'
			}) {
				if validKeyword(kw) {
					set[kw] = true
				}
			}
		}
	}
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// gmailLabels maps Google Takeout's X-Gmail-Labels: "Opened" gives
// \Seen, "Starred" \Flagged, "Drafts" \Draft; the labels that are
// folders or states in Gmail's own interface (Inbox, Sent, Important,
// Archived, Spam, Trash, Unread, Category ...) are left out; every other
// label becomes a keyword (spaces and characters an IMAP keyword cannot
// hold turned into "_"), so a message with several labels is copied once
// and keeps all of them.
func gmailLabels(v string, set map[string]bool) {
	for _, l := range strings.Split(v, ",") {
		l = strings.TrimSpace(l)
		switch lower := strings.ToLower(l); {
		case l == "":
		case lower == "opened":
			set[`\Seen`] = true
		case lower == "starred":
			set[`\Flagged`] = true
		case lower == "drafts" || lower == "draft":
			set[`\Draft`] = true
		case lower == "inbox" || lower == "sent" || lower == "important" || lower == "archived" ||
			lower == "spam" || lower == "trash" || lower == "unread" || lower == "chat" ||
			strings.HasPrefix(lower, "category "):
		default:
			kw := []byte(l)
			for i, c := range kw {
				if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"]\`, c) >= 0 {
					kw[i] = '_'
				}
			}
			set[string(kw)] = true
		}
	}
}

// validKeyword reports whether kw can be an IMAP keyword (an atom that
// is not a system flag).
func validKeyword(kw string) bool {
	if kw == "" || kw[0] == '\\' {
		return false
	}
	for i := 0; i < len(kw); i++ {
		c := kw[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"]\`, c) >= 0 {
			return false
		}
	}
	return true
}
