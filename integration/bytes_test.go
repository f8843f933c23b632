package integration

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fidelityCorpus are the messages that must survive POP3 -> IMAP byte
// for byte, by name.
func fidelityCorpus() []struct {
	name string
	raw  []byte
} {
	twin := []byte("From: twin@example.com\r\nSubject: identical twins\r\nMessage-ID: <twin@example.com>\r\n\r\nsame bytes\r\n")
	return []struct {
		name string
		raw  []byte
	}{
		{"dot-stuffing", []byte("From: dots@example.com\r\nSubject: dots\r\nMessage-ID: <dots@example.com>\r\n\r\n" +
			".\r\n..\r\n...three\r\n.x\r\n. \r\nline\r\n.\r\n")},
		{"5000-byte line", []byte("Subject: long line\r\nMessage-ID: <long@example.com>\r\n\r\n" + strings.Repeat("a", 5000) + "\r\nend\r\n")},
		{"1000001-byte line", []byte("Subject: huge line\r\nMessage-ID: <huge@example.com>\r\n\r\n." + strings.Repeat("b", 1_000_000) + "\r\n")},
		{"8-bit headers", []byte("From: J\xc3\xbcrgen M\xc3\xbcller <j@example.com>\r\nSubject: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\r\n" +
			"Message-ID: <8bit@example.com>\r\n\r\nK\xc3\xb6rper \xf0\x9f\x93\xa8\r\n")},
		{"no Message-ID", []byte("From: nomsgid@example.com\r\nSubject: no id\r\nDate: Mon, 2 Jan 2006 15:04:05 -0700\r\n\r\nbody\r\n")},
		{"shared Message-ID a", []byte("From: a@example.com\r\nSubject: first of two\r\nMessage-ID: <shared@example.com>\r\n\r\nfirst\r\n")},
		{"shared Message-ID b", []byte("From: a@example.com\r\nSubject: second of two\r\nMessage-ID: <shared@example.com>\r\n\r\nsecond\r\n")},
		{"twin 1", twin},
		{"twin 2", twin},
		{"empty body", []byte("Subject: empty body\r\nMessage-ID: <empty@example.com>\r\n\r\n")},
		{"no final CRLF", []byte("Subject: unterminated\r\nMessage-ID: <unterminated@example.com>\r\n\r\nlast line")},
		{"bare LF inside", []byte("Subject: bare lf\r\nMessage-ID: <lf@example.com>\r\n\r\none\ntwo\r\n")},
	}
}

// crlf returns b with every bare LF turned into CRLF.
func crlf(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/50)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// writeHugeMessage writes a message of about size bytes to a file in dir
// (lines of varying length, some starting with a dot) and returns the
// path and the SHA-256 of its bytes.
func writeHugeMessage(t *testing.T, dir string, size int) (string, [32]byte) {
	t.Helper()
	path := filepath.Join(dir, "huge.eml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := bufio.NewWriterSize(f, 1<<16)
	out := func(s []byte) { w.Write(s); h.Write(s) }
	out([]byte("From: big@example.com\r\nSubject: 50 MB\r\nMessage-ID: <huge@example.com>\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"))
	rng := rand.New(rand.NewPCG(50, 50))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	line := make([]byte, 0, 1000)
	written := 0
	for written < size {
		line = line[:0]
		n := 1 + rng.IntN(990)
		if rng.IntN(50) == 0 {
			line = append(line, '.')
		}
		for len(line) < n {
			line = append(line, alphabet[rng.IntN(len(alphabet))])
		}
		line = append(line, '\r', '\n')
		out(line)
		written += len(line)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return path, sum
}

// TestPOP3ToIMAPByteExact migrates a maildrop full of traps (dot
// stuffing, endless lines, 8-bit headers, missing and shared
// Message-IDs, identical twins, an empty body, 50 MB) and checks that
// the target holds exactly what POP3 RETR delivered, each message once.
func TestPOP3ToIMAPByteExact(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	msgs := fidelityCorpus()
	for _, m := range msgs {
		srv.Deliver(t, "alice", "INBOX", m.raw)
	}
	hugePath, hugeSum := writeHugeMessage(t, t.TempDir(), 50<<20)
	appendFile(t, srv, "alice", "INBOX", hugePath)

	// What POP3 serves is what was delivered, except that Dovecot turns
	// bare LF into CRLF and ends an unterminated last line: the fixtures
	// really are on the source.
	served := popMessages(t, srv, "alice")
	if len(served) != len(msgs)+1 {
		t.Fatalf("POP3 LIST as alice = %d messages, want %d", len(served), len(msgs)+1)
	}
	for i, m := range msgs {
		want := crlf(m.raw)
		if !bytes.HasSuffix(want, []byte("\r\n")) {
			want = append(want, "\r\n"...)
		}
		if !bytes.Equal(served[i].Body, want) {
			t.Fatalf("POP3 RETR %d (%s) = %.200q, want %.200q", i+1, m.name, served[i].Body, want)
		}
	}
	if got := served[len(msgs)].Sum; got != hugeSum {
		t.Fatalf("POP3 RETR of the 50 MB message: sha256 %x, want %x", got, hugeSum)
	}

	j, state := newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", "")), statePath(t)
	sum := mustRun(t, j, state)
	if sum.Copied != int64(len(served)) {
		t.Errorf("migrate.Run: Copied = %d, want %d", sum.Copied, len(served))
	}
	// A second run finds everything done.
	if sum := mustRun(t, j, state); sum.Copied != 0 || sum.AlreadyThere != int64(len(served)) {
		t.Errorf("second migrate.Run: Copied = %d, AlreadyThere = %d, want 0, %d", sum.Copied, sum.AlreadyThere, len(served))
	}

	got := fetchMailbox(t, srv, "bob", "INBOX")
	if len(got) != len(served) {
		t.Errorf("bob's INBOX holds %d messages, want %d", len(got), len(served))
	}
	have := counts(got)
	want := counts(served)
	for i, s := range served {
		name := "50 MB message"
		if i < len(msgs) {
			name = msgs[i].name
		}
		if have[s.Sum] != want[s.Sum] {
			t.Errorf("bob's INBOX holds %d copies of %q (%s), want %d", have[s.Sum], name, s, want[s.Sum])
		}
	}
	for _, g := range got {
		if want[g.Sum] == 0 {
			t.Errorf("bob's INBOX holds a message POP3 never served: %s %.200q", g, g.Body)
		}
		if len(g.Flags) != 0 {
			t.Errorf("bob's message %s has flags %v, want none", g, g.Flags)
		}
	}
}

// TestPOP3ToIMAPNULByte migrates a message holding a NUL byte. IMAP
// FETCH BODY[] cannot show a NUL (Dovecot sends 0x80 instead), so the
// copy is read back over bob's POP3, which serves the stored bytes.
func TestPOP3ToIMAPNULByte(t *testing.T) {
	t.Parallel()
	srv := startDovecot(t)
	raw := []byte("Subject: nul\r\nMessage-ID: <nul@example.com>\r\n\r\na\x00b\r\n")
	want := deliverAll(t, srv, "alice", [][]byte{raw})
	if !bytes.Equal(want[0].Body, raw) {
		t.Fatalf("POP3 RETR 1 as alice = %q, want %q", want[0].Body, raw)
	}
	mustRun(t, newJob(t, popURL(srv, "alice"), imapURL(srv, "bob", "")), statePath(t))
	checkExactlyOnce(t, "bob's INBOX, read over POP3", popMessages(t, srv, "bob"), want)
}
