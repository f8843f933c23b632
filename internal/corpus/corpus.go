// Package corpus generates deterministic sample mail for the demo, the
// tests and the benchmark: realistic headers, dot-stuffing traps, 8-bit
// text and a spread of sizes.
package corpus

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"time"
)

// Message returns message i of a corpus with the given seed, of roughly
// size bytes (at least a few hundred), with CRLF line endings.
func Message(seed uint64, i int, size int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	date := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(9 * 365 * 24 * time.Hour)))).Truncate(time.Second)
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <sender%d@example.org>\r\n", i%97)
	fmt.Fprintf(&b, "Received: from mx%d.example.org (mx%d.example.org [192.0.2.%d])\r\n\tby mail.example.com with ESMTPS id %08x\r\n\tfor <alice@example.com>; %s\r\n",
		i%7, i%7, i%250+1, r.Uint32(), date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Add(-time.Duration(r.IntN(300))*time.Second).Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <sender%d@example.org>\r\n", names[i%len(names)], i%97)
	b.WriteString("To: Alice <alice@example.com>\r\n")
	fmt.Fprintf(&b, "Subject: %s #%d\r\n", subjects[i%len(subjects)], i)
	fmt.Fprintf(&b, "Message-ID: <%d.%08x@example.org>\r\n", i, r.Uint32())
	b.WriteString("MIME-Version: 1.0\r\n")
	if size <= 8192 {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		writeText(&b, r, size)
		return b.Bytes()
	}
	boundary := fmt.Sprintf("=_b%08x", r.Uint32())
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary)
	writeText(&b, r, 2000)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"file%d.bin\"\r\n\r\n", boundary, i)
	raw := make([]byte, 57)
	for b.Len() < size-len(boundary)-8 {
		for k := range raw {
			raw[k] = byte(r.Uint32())
		}
		b.WriteString(base64.StdEncoding.EncodeToString(raw))
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func writeText(b *bytes.Buffer, r *rand.Rand, size int) {
	start := b.Len()
	line := 0
	for b.Len()-start < size {
		switch line % 17 {
		case 3:
			b.WriteString(".\r\n") // a lone dot: POP3 must stuff it
		case 5:
			b.WriteString("..leading dots stay as they are\r\n")
		case 8:
			b.WriteString("From the start of a line, as mbox fears\r\n")
		case 11:
			b.WriteString("Grüße aus Köln, ça va? 日本語のテキスト\r\n")
		default:
			for w := 0; w < 10; w++ {
				b.WriteString(words[r.IntN(len(words))])
				b.WriteByte(' ')
			}
			b.WriteString("\r\n")
		}
		line++
	}
}

// Sizes returns n message sizes with a realistic spread: mostly a few
// KB, some tens of KB, a few with attachments of hundreds of KB to MB.
func Sizes(seed uint64, n int) []int {
	r := rand.New(rand.NewPCG(seed, 0))
	out := make([]int, n)
	for i := range out {
		switch p := r.IntN(100); {
		case p < 70:
			out[i] = 1500 + r.IntN(6000)
		case p < 92:
			out[i] = 10_000 + r.IntN(90_000)
		case p < 99:
			out[i] = 200_000 + r.IntN(800_000)
		default:
			out[i] = 2_000_000 + r.IntN(6_000_000)
		}
	}
	return out
}

var names = []string{"Bob Example", "Carol Müller", "Dave O'Neil", "Eve Zhang", "Frank Østergaard", "Grace Hopper"}
var subjects = []string{"Quarterly report", "Re: lunch?", "Invoice 2023-114", "Fwd: photos", "Meeting notes", "Re: Re: the plan"}
var words = []string{"mail", "ferry", "message", "archive", "server", "quota", "folder", "lorem", "ipsum", "dolor", "amet", "backup", "journal", "byte", "exact", "once"}

// Mixed is n messages of realistic sizes (capped at maxSize) plus the
// cases that trip up exactly-once copying: identical twins, which must
// both arrive, a message without Message-ID or Date, dot lines and an
// empty body.
func Mixed(seed uint64, n, maxSize int) [][]byte {
	var msgs [][]byte
	for i, size := range Sizes(seed, n) {
		msgs = append(msgs, Message(seed, i, min(size, maxSize)))
	}
	twin := []byte("From: twin@example.com\r\nSubject: twin\r\n\r\nsame\r\n")
	return append(msgs, twin, twin,
		[]byte("Subject: no message-id, dots\r\n\r\n.\r\n..\r\n.x\r\n"),
		[]byte("Subject: empty body\r\n\r\n"))
}
