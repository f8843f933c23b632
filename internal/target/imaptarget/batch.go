package imaptarget

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources/maildir"
)

var _ target.Batcher = (*Target)(nil)

// dateTimeLayout is IMAP's date-time (RFC 3501 9).
const dateTimeLayout = "_2-Jan-2006 15:04:05 -0700"

// AppendBatch stores items in mailbox with one MULTIAPPEND command
// (RFC 3502): the server stores all of them or none, in one transaction,
// which is several times faster than one APPEND per message (each
// APPEND is a transaction of its own on Dovecot, with its own fsync).
// go-imap has no MULTIAPPEND, so the command is written on the
// connection directly (imapconn.Conn.Raw), with non-synchronizing
// literals where the server offers LITERAL+.
//
// Where the server lacks MULTIAPPEND, or for a single item, each item is
// appended with Append.
func (t *Target) AppendBatch(ctx context.Context, mailbox string, items []target.Item) ([]target.Receipt, error) {
	c, err := t.session(ctx)
	if err != nil {
		return nil, err
	}
	if len(items) < 2 || !t.canMultiAppend(c) {
		return t.appendEach(ctx, mailbox, items)
	}
	name := t.serverName(mailbox)
	if limit, ok := c.AppendLimit(); ok && !t.ignoreAppendLimit {
		for _, it := range items {
			if it.Size > limit {
				return t.appendEach(ctx, mailbox, items) // refuses that one alone
			}
		}
	}
	flags := make([][]imap.Flag, len(items))
	for i, it := range items {
		if flags[i], err = t.appendFlags(ctx, c, name, it.Flags); err != nil {
			return nil, err
		}
	}
	var resp imapconn.Response
	err = c.Raw(ctx, func(r *bufio.Reader, w *bufio.Writer) error {
		t.seq++
		var err error
		resp, err = multiAppend(r, w, "MF"+strconv.Itoa(t.seq), name, c.Caps(), items, flags)
		return err
	})
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeOverQuota {
		// The batch as a whole does not fit: store what fits, so that
		// the job stops where the quota does.
		return t.appendEach(ctx, mailbox, items)
	}
	if err != nil {
		return nil, t.appendError(mailbox, name, err)
	}
	return appendUIDs(resp, len(items)), nil
}

// appendEach appends items one at a time.
func (t *Target) appendEach(ctx context.Context, mailbox string, items []target.Item) ([]target.Receipt, error) {
	receipts := make([]target.Receipt, 0, len(items))
	for _, it := range items {
		rc, err := t.Append(ctx, mailbox, it.Message, bytes.NewReader(it.Data))
		if err != nil {
			return receipts, err
		}
		receipts = append(receipts, rc)
	}
	return receipts, nil
}

func (t *Target) canMultiAppend(c *imapconn.Conn) bool {
	caps := c.Caps()
	// An IMAP4rev2 server takes mailbox names in UTF-8, which go-imap
	// handles; this path writes modified UTF-7.
	return !t.noMultiAppend && c.CanRaw() && caps.Has(imap.CapMultiAppend) && !caps.Has(imap.CapIMAP4rev2)
}

// multiAppend writes one MULTIAPPEND command and reads its result.
func multiAppend(r *bufio.Reader, w *bufio.Writer, tag, name string, caps imap.CapSet, items []target.Item, flags [][]imap.Flag) (imapconn.Response, error) {
	w.WriteString(tag + " APPEND ")
	w.WriteString(quoteMailbox(name))
	for i, it := range items {
		w.WriteByte(' ')
		if len(flags[i]) > 0 {
			w.WriteByte('(')
			for j, f := range flags[i] {
				if j > 0 {
					w.WriteByte(' ')
				}
				w.WriteString(string(f))
			}
			w.WriteString(") ")
		}
		w.WriteString(`"` + it.Date.Format(dateTimeLayout) + `" `)
		nonSync := caps.Has(imap.CapLiteralPlus) || (caps.Has(imap.CapLiteralMinus) && it.Size <= 4096)
		if nonSync {
			fmt.Fprintf(w, "{%d+}\r\n", len(it.Data))
		} else {
			fmt.Fprintf(w, "{%d}\r\n", len(it.Data))
			if err := w.Flush(); err != nil {
				return imapconn.Response{}, err
			}
			resp, err := awaitContinuation(r, tag)
			if err != nil || resp.Tag == tag {
				return resp, firstErr(err, resp)
			}
		}
		w.Write(it.Data)
	}
	w.WriteString("\r\n")
	if err := w.Flush(); err != nil {
		return imapconn.Response{}, err
	}
	for {
		resp, err := imapconn.ReadResponse(r)
		if err != nil {
			return resp, err
		}
		if resp.Tag == tag {
			return resp, resp.Err()
		}
		if resp.Tag == "*" && resp.Type == "BYE" {
			return resp, fmt.Errorf("server is closing the connection: %s", resp.Text)
		}
	}
}

// awaitContinuation reads up to the server's continuation request, or
// its tagged refusal of the command.
func awaitContinuation(r *bufio.Reader, tag string) (imapconn.Response, error) {
	for {
		resp, err := imapconn.ReadResponse(r)
		if err != nil || resp.Tag == "+" || resp.Tag == tag {
			return resp, err
		}
		if resp.Type == "BYE" {
			return resp, fmt.Errorf("server is closing the connection: %s", resp.Text)
		}
	}
}

func firstErr(err error, resp imapconn.Response) error {
	if err != nil {
		return err
	}
	if err := resp.Err(); err != nil {
		return err
	}
	return errors.New("server ended the APPEND before its messages were sent")
}

// quoteMailbox encodes a mailbox name as go-imap does for a server
// without UTF-8 names: INBOX as is, others in modified UTF-7, quoted.
func quoteMailbox(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	s := maildir.EncodeUTF7(name)
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// appendUIDs reads the receipts from APPENDUID (RFC 4315); without it,
// or if it does not list one UID per message, the receipts carry no
// reference.
func appendUIDs(resp imapconn.Response, n int) []target.Receipt {
	receipts := make([]target.Receipt, n)
	if resp.Code != "APPENDUID" {
		return receipts
	}
	validity, set, _ := strings.Cut(resp.Args, " ")
	var uids []string
	for _, part := range strings.Split(set, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		if !isRange {
			uids = append(uids, lo)
			continue
		}
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b, err2 := strconv.ParseUint(hi, 10, 32)
		if err1 != nil || err2 != nil || max(a, b)-min(a, b) >= uint64(n) {
			return receipts
		}
		for u := min(a, b); u <= max(a, b); u++ {
			uids = append(uids, strconv.FormatUint(u, 10))
		}
	}
	if len(uids) != n {
		return receipts
	}
	for i, u := range uids {
		receipts[i].Ref = validity + "/" + u
	}
	return receipts
}
