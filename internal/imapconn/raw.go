package imapconn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/sources"
)

// maxLine bounds a response line read by ReadResponse (literals inside
// untagged responses are skipped, not counted).
const maxLine = 64 << 10

// Response is one server response read by ReadResponse.
type Response struct {
	Tag  string // the command's tag, "*" for untagged data, "+" for a continuation request
	Type string // OK, NO, BAD, BYE, PREAUTH, or the untagged keyword ("CAPABILITY", "3" for "* 3 EXISTS")
	Code string // response code, upper case ("APPENDUID"), if any
	Args string // the response code's arguments ("38505 3955:3957")
	Text string // human-readable text
}

// Err returns the tagged NO or BAD as an *imap.Error (classified like
// go-imap's errors by Classify), or nil for OK.
func (r Response) Err() error {
	switch r.Type {
	case "OK":
		return nil
	case "NO", "BAD":
		return &imap.Error{Type: imap.StatusResponseType(r.Type), Code: imap.ResponseCode(r.Code), Text: r.Text}
	}
	return fmt.Errorf("unexpected response %q %q: %s", r.Tag, r.Type, r.Text)
}

// ReadResponse reads one response line. Literals in untagged data are
// read and dropped; the line around them is kept.
func ReadResponse(r *bufio.Reader) (Response, error) {
	var line []byte
	for {
		part, err := readLine(r, maxLine-len(line))
		if err != nil {
			return Response{}, err
		}
		line = append(line, part...)
		n, ok := literalSuffix(part)
		if !ok {
			break
		}
		if _, err := io.CopyN(io.Discard, r, n); err != nil {
			return Response{}, fmt.Errorf("reading a literal in the server's response: %w", err)
		}
	}
	return parseResponse(string(line))
}

func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("reading the server's response: %w", err)
		}
		if len(line) > limit {
			return nil, fmt.Errorf("server response line longer than %d bytes", maxLine)
		}
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// literalSuffix reports whether line ends with a literal's "{n}".
func literalSuffix(line []byte) (int64, bool) {
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(string(line[i+1:len(line)-1]), "+"), 10, 64)
	return n, err == nil && n >= 0
}

func parseResponse(line string) (Response, error) {
	tag, rest, _ := strings.Cut(line, " ")
	if tag == "" {
		return Response{}, fmt.Errorf("malformed server response %q", clip(line))
	}
	resp := Response{Tag: tag}
	if tag == "+" {
		resp.Text = rest
		return resp, nil
	}
	typ, rest, _ := strings.Cut(rest, " ")
	resp.Type = strings.ToUpper(typ)
	if tag == "*" && resp.Type != "" && resp.Type[0] >= '0' && resp.Type[0] <= '9' {
		resp.Text = rest // "* 3 EXISTS"
		return resp, nil
	}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			code := rest[1:end]
			resp.Code, resp.Args, _ = strings.Cut(code, " ")
			resp.Code = strings.ToUpper(resp.Code)
			rest = strings.TrimPrefix(rest[end+1:], " ")
		}
	}
	resp.Text = rest
	return resp, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// startTLS reads the greeting, upgrades the connection with STARTTLS and
// returns the TLS connection with a greeting to replay to go-imap (which
// expects one on a new connection). Doing this here rather than with
// imapclient.NewStartTLS keeps the encrypted connection in our hands, so
// that Raw works on it too.
func (c *Conn) startTLS(ctx context.Context, config *tls.Config) (*tls.Conn, []byte, error) {
	addr := c.cfg.Addr
	r := bufio.NewReaderSize(c.raw, 4<<10)
	greeting, err := ReadResponse(r)
	if err != nil {
		return nil, nil, fmt.Errorf("imap %s: greeting: %w", addr, err)
	}
	switch {
	case greeting.Tag != "*":
		return nil, nil, fmt.Errorf("imap %s: greeting: unexpected %q", addr, greeting.Tag)
	case greeting.Type == "BYE":
		return nil, nil, fmt.Errorf("imap %s: server refused the connection: %s", addr, greeting.Text)
	case greeting.Type == "PREAUTH":
		return nil, nil, sources.Permanent(fmt.Errorf("imap %s: server sent PREAUTH on an unencrypted connection; refusing it before STARTTLS", addr))
	}
	if _, err := io.WriteString(c.raw, "MF0 STARTTLS\r\n"); err != nil {
		return nil, nil, fmt.Errorf("imap %s: STARTTLS: %w", addr, err)
	}
	for {
		resp, err := ReadResponse(r)
		if err != nil {
			return nil, nil, fmt.Errorf("imap %s: STARTTLS: %w", addr, err)
		}
		if resp.Tag != "MF0" {
			continue // untagged data before the answer
		}
		if err := resp.Err(); err != nil {
			ie := &imap.Error{}
			if !errors.As(err, &ie) {
				return nil, nil, fmt.Errorf("imap %s: STARTTLS: %w", addr, err)
			}
			return nil, nil, sources.Permanent(fmt.Errorf("imap %s: server refused STARTTLS (%s); not sending the password in clear text: use imaps:// (port 993) for implicit TLS, or ?tls=none to connect without encryption", addr, describe(ie)))
		}
		break
	}
	if r.Buffered() > 0 {
		// Bytes sent before the handshake would be taken as sent under
		// TLS (the STARTTLS command injection attack): refuse.
		return nil, nil, sources.Permanent(fmt.Errorf("imap %s: server sent data after accepting STARTTLS, before the TLS handshake; refusing the connection", addr))
	}
	tlsConn := tls.Client(c.raw, config)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		return nil, nil, tlsError(c.cfg, err)
	}
	return tlsConn, []byte("* OK TLS established\r\n"), nil
}
