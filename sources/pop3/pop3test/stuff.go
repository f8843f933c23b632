package pop3test

import (
	"bytes"
	"io"
)

var crlf = []byte("\r\n")

// DotStuff writes msg as the body of a multi-line POP3 response: every
// line starting with "." gets another ".", a CRLF is added if msg does
// not end with one (as real servers do), and the terminating ".\r\n"
// follows. Lines end with CRLF only; a bare LF is an ordinary byte.
func DotStuff(w io.Writer, msg []byte) error {
	if err := writeStuffed(w, msg); err != nil {
		return err
	}
	if len(msg) > 0 && !bytes.HasSuffix(msg, crlf) {
		if _, err := w.Write(crlf); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, ".\r\n")
	return err
}

// DeliveredSize is the number of bytes a client gets for msg after
// undoing DotStuff: len(msg), plus 2 if DotStuff adds a final CRLF.
func DeliveredSize(msg []byte) int64 {
	if len(msg) > 0 && !bytes.HasSuffix(msg, crlf) {
		return int64(len(msg)) + 2
	}
	return int64(len(msg))
}

// writeStuffed writes msg with dot-stuffing but no terminator.
func writeStuffed(w io.Writer, msg []byte) error {
	for len(msg) > 0 {
		if msg[0] == '.' {
			if _, err := io.WriteString(w, "."); err != nil {
				return err
			}
		}
		end := len(msg)
		if i := bytes.Index(msg, crlf); i >= 0 {
			end = i + 2
		}
		if _, err := w.Write(msg[:end]); err != nil {
			return err
		}
		msg = msg[end:]
	}
	return nil
}
