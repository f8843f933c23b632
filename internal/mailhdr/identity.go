package mailhdr

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// IdentityFields are the header fields that, with the size, identify a
// message for deduplication. The IMAP target fetches exactly these with
// BODY.PEEK[HEADER.FIELDS (...)].
var IdentityFields = []string{"Message-ID", "Date", "From", "To", "Subject", "Received"}

// Identity returns the key under which a message is recognised on a
// target that has no journal entry for it: a digest of its exact size
// and the unfolded values of IdentityFields, in header order. header may
// be the whole header or only those fields.
//
// Two different messages collide only if they agree on size and all of
// these fields; two identical messages share a key and are counted, so
// both are copied.
func Identity(size int64, header []byte) string {
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(size, 10)))
	for _, f := range Fields(header) {
		if !isIdentityField(f.Name) {
			continue
		}
		h.Write([]byte{0})
		h.Write([]byte(strings.ToLower(f.Name)))
		h.Write([]byte{':'})
		h.Write([]byte(strings.Join(strings.Fields(f.Value), " ")))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func isIdentityField(name string) bool {
	for _, n := range IdentityFields {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}
