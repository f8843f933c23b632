package maildir

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// mbase64 is the base64 variant of modified UTF-7 (RFC 3501 5.1.3):
// ',' instead of '/', no padding.
var mbase64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding).Strict()

// EncodeUTF7 encodes a UTF-8 folder name in IMAP modified UTF-7, the
// form Dovecot uses for folder names on disk ("Entwürfe" becomes
// "Entw&APw-rfe"). Invalid UTF-8 is encoded as U+FFFD.
func EncodeUTF7(s string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		u := utf16.Encode(run)
		raw := make([]byte, 0, 2*len(u))
		for _, c := range u {
			raw = append(raw, byte(c>>8), byte(c))
		}
		b.WriteByte('&')
		b.WriteString(mbase64.EncodeToString(raw))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		run = append(run, r)
	}
	flush()
	return b.String()
}

var errUTF7 = errors.New("not valid modified UTF-7")

// DecodeUTF7 decodes an IMAP modified UTF-7 folder name to UTF-8. Like
// Dovecot it is strict: bytes outside printable ASCII, bad base64, odd
// UTF-16, unpaired surrogates and needlessly encoded ASCII are errors.
func DecodeUTF7(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", errUTF7
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", errUTF7
		}
		enc := s[i+1 : i+1+end]
		i += end + 1
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mbase64.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", errUTF7
		}
		u := make([]uint16, len(raw)/2)
		for j := range u {
			u[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		for j := 0; j < len(u); j++ {
			r := rune(u[j])
			if utf16.IsSurrogate(r) {
				if j+1 >= len(u) {
					return "", errUTF7
				}
				r = utf16.DecodeRune(r, rune(u[j+1]))
				if r == utf8.RuneError {
					return "", errUTF7
				}
				j++
			}
			if r >= 0x20 && r <= 0x7e {
				return "", errUTF7
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
