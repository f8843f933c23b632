package pop3

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// parseStatus parses a status line: "+OK text" or "-ERR text". Anything
// else is a protocol error.
func parseStatus(line []byte) (ok bool, text string, err error) {
	switch {
	case bytes.HasPrefix(line, []byte("+OK")):
		ok, line = true, line[3:]
	case bytes.HasPrefix(line, []byte("-ERR")):
		line = line[4:]
	default:
		return false, "", fmt.Errorf("malformed server response %q", clip(line))
	}
	return ok, string(bytes.TrimSpace(line)), nil
}

// responseCode splits an RFC 2449 response code such as "[IN-USE]" off
// the start of a -ERR text.
func responseCode(text string) (code, rest string) {
	if !strings.HasPrefix(text, "[") {
		return "", text
	}
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return "", text
	}
	return strings.ToUpper(text[1:end]), strings.TrimSpace(text[end+1:])
}

// clip shortens b for quoting in an error message.
func clip(b []byte) []byte {
	if len(b) > 100 {
		return append(b[:100:100], "..."...)
	}
	return b
}

// send writes one command line. verb names the command in errors.
func (c *Client) send(ctx context.Context, verb, line string) error {
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.ioError(ctx, verb, err)
	}
	return nil
}

// status reads a status line; -ERR becomes *Error.
func (c *Client) status(ctx context.Context, verb string) (string, error) {
	line, err := readLine(c.br)
	if err != nil {
		return "", c.ioError(ctx, verb, err)
	}
	return c.statusOf(verb, line)
}

// statusOf interprets a status line read for verb.
func (c *Client) statusOf(verb string, line []byte) (string, error) {
	ok, text, err := parseStatus(line)
	if err != nil {
		// We no longer know where responses start.
		err = fmt.Errorf("pop3 %s: %w", verb, err)
		c.fail(err)
		return "", err
	}
	if !ok {
		code, _ := responseCode(text)
		return "", &Error{Command: verb, Code: code, Text: text}
	}
	return text, nil
}

// cmd sends a command line and reads its status line.
func (c *Client) cmd(ctx context.Context, verb, line string) (string, error) {
	end, err := c.begin(ctx, verb)
	if err != nil {
		return "", err
	}
	defer end()
	if err := c.send(ctx, verb, line); err != nil {
		return "", err
	}
	return c.status(ctx, verb)
}

// readListing reads the lines of a multi-line response up to the
// terminating "." line, undoing dot-stuffing, and calls fn for each.
func (c *Client) readListing(ctx context.Context, verb string, fn func(line []byte) error) error {
	for {
		line, err := readLine(c.br)
		if err != nil {
			return c.ioError(ctx, verb, err)
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				return nil
			}
			line = line[1:]
		}
		if err := fn(line); err != nil {
			// Skip the rest so the connection stays in step.
			for {
				line, rerr := readLine(c.br)
				if rerr != nil {
					c.ioError(ctx, verb, rerr)
					break
				}
				if len(line) == 1 && line[0] == '.' {
					break
				}
			}
			return fmt.Errorf("pop3 %s: %w", verb, err)
		}
	}
}
