package pop3test

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
)

// transaction runs a command of the TRANSACTION state; false ends the
// session.
func (ss *session) transaction(verb, arg string) bool {
	switch verb {
	case "STAT":
		var n int
		var size int64
		for i, e := range ss.box {
			if !ss.deleted[i] {
				n++
				size += DeliveredSize(e.raw)
			}
		}
		ss.reply("+OK %d %d", n, size)
	case "LIST", "UIDL":
		if verb == "UIDL" && ss.s.noUIDL {
			ss.reply("-ERR command not implemented")
			return true
		}
		ss.scan(verb, arg)
	case "RETR":
		i, ok := ss.message(arg)
		ss.s.mu.Lock()
		refused := ss.s.refuse[i]
		ss.s.mu.Unlock()
		switch {
		case ok && refused:
			ss.reply("-ERR message %d was deleted by another session", i+1)
		case ok:
			return ss.retr(i)
		}
	case "TOP":
		num, lines, _ := strings.Cut(arg, " ")
		i, ok := ss.message(num)
		k, err := strconv.Atoi(lines)
		if ok && (err != nil || k < 0) {
			ss.reply("-ERR bad line count")
		} else if ok {
			ss.reply("+OK top of message follows")
			DotStuff(ss.bw, top(ss.box[i].raw, k))
			ss.bw.Flush()
		}
	case "DELE":
		if i, ok := ss.message(arg); ok {
			ss.deleted[i] = true
			ss.s.mu.Lock()
			ss.s.deleted++
			ss.s.mu.Unlock()
			ss.reply("+OK message %d deleted", i+1)
		}
	case "RSET":
		clear(ss.deleted)
		ss.reply("+OK")
	default:
		ss.reply("-ERR unknown command %s", verb)
	}
	return true
}

// scan answers LIST or UIDL, for one message or all.
func (ss *session) scan(verb, arg string) {
	field := func(i int) string {
		if verb == "UIDL" {
			return ss.box[i].uid
		}
		return strconv.FormatInt(DeliveredSize(ss.box[i].raw), 10)
	}
	if arg != "" {
		if i, ok := ss.message(arg); ok {
			ss.reply("+OK %d %s", i+1, field(i))
		}
		return
	}
	ss.bw.WriteString("+OK listing follows\r\n")
	for i := range ss.box {
		if !ss.deleted[i] {
			ss.bw.WriteString(strconv.Itoa(i+1) + " " + field(i) + "\r\n")
		}
	}
	ss.reply(".")
}

// message parses a message number, answering -ERR if it is not usable.
func (ss *session) message(arg string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n < 1 || n > len(ss.box) {
		ss.reply("-ERR no such message")
		return 0, false
	}
	if ss.deleted[n-1] {
		ss.reply("-ERR message %d already deleted", n)
		return 0, false
	}
	return n - 1, true
}

// retr sends message i, or part of it if a FailRetrAt fault is due.
func (ss *session) retr(i int) bool {
	raw := ss.box[i].raw
	s := ss.s
	s.mu.Lock()
	f := s.failRetr
	if f != nil && f.index == i {
		s.failRetr = nil
	} else {
		f = nil
	}
	s.retrs++
	tr := s.trickle
	s.mu.Unlock()
	ss.reply("+OK %d octets", DeliveredSize(raw))
	var w io.Writer = ss.bw
	if tr != nil {
		w = &trickleWriter{ss.bw, *tr}
	}
	if f != nil {
		writeStuffed(w, raw[:min(max(f.offset, 0), len(raw))])
		ss.bw.Flush()
		return false // drop the connection
	}
	DotStuff(w, raw)
	ss.bw.Flush()
	return true
}

// trickleWriter sends at most chunk bytes at a time, pausing between.
type trickleWriter struct {
	bw *bufio.Writer
	trickle
}

func (t *trickleWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), t.chunk)
		if _, err := t.bw.Write(p[:k]); err != nil {
			return n, err
		}
		if err := t.bw.Flush(); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
		time.Sleep(t.pause)
	}
	return n, nil
}

// top returns the header of raw and the first n lines of its body.
func top(raw []byte, n int) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return raw
	}
	end += 4
	for ; n > 0 && end < len(raw); n-- {
		i := bytes.Index(raw[end:], crlf)
		if i < 0 {
			return raw
		}
		end += i + 2
	}
	return raw[:end]
}
