package imap

import (
	"context"
	"errors"
	"fmt"
	"io"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/sources"
)

var _ sources.Streamer = (*Source)(nil)

// errBodyBeforeUID is returned when a FETCH response delivers the body
// before the UID that says which message it is.
var errBodyBeforeUID = errors.New("the server sent a message body before its UID")

// OpenEach reads msgs with one UID FETCH of their UID set
// (BODY.PEEK[]), streaming each literal from the socket to fn: one round
// trip for the whole set instead of one per message. msgs must share a
// mailbox and UIDVALIDITY; a changed UIDVALIDITY is a *MessageError for
// the set, which the caller then reads with Open (reporting each).
func (s *Source) OpenEach(ctx context.Context, msgs []sources.Message, fn func(i int, r io.Reader) error) error {
	if len(msgs) == 0 {
		return nil
	}
	mailbox := msgs[0].Mailbox
	byUID := make(map[goimap.UID]int, len(msgs))
	var set goimap.UIDSet
	var validity uint32
	for i, m := range msgs {
		v, uid, err := ParseID(m.ID)
		if err != nil || m.Mailbox != mailbox || (i > 0 && v != validity) {
			return fmt.Errorf("imap source: OpenEach needs messages of one mailbox and UIDVALIDITY")
		}
		validity = v
		byUID[goimap.UID(uid)] = i
		set.AddNum(goimap.UID(uid))
	}
	loc := s.messageLocation(normName(mailbox), 0)
	sess, err := s.pool.getFor(ctx, s.serverName(mailbox))
	if err != nil {
		return err
	}
	if err := sess.examine(ctx, s.serverName(mailbox)); err != nil {
		s.pool.put(sess)
		return fmt.Errorf("%s: opening the mailbox: %w", loc, err)
	}
	if sess.uidValidity != validity {
		s.pool.put(sess)
		return &sources.MessageError{Location: loc, Err: fmt.Errorf("UIDVALIDITY changed (listed under %d, the server now says %d)", validity, sess.uidValidity)}
	}
	sess.Begin()
	stop := context.AfterFunc(ctx, sess.Abort)
	r := &messageReader{s: s, sess: sess, stop: stop, ctx: ctx, loc: loc}
	r.cmd = sess.Fetch(set, &goimap.FetchOptions{
		UID:         true,
		BodySection: []*goimap.FetchItemBodySection{{Peek: true}},
	})
	err = r.each(byUID, msgs, fn)
	if err != nil {
		r.sess.Abort() // the rest of the answer is not read
	}
	if ferr := r.finish(err != nil); err == nil {
		err = ferr
	}
	s.pool.put(sess)
	return err
}

// each hands every message of the FETCH answer to fn.
func (r *messageReader) each(byUID map[goimap.UID]int, msgs []sources.Message, fn func(i int, r io.Reader) error) error {
	for {
		msg := r.cmd.Next()
		if msg == nil {
			return nil
		}
		i, lit, err := r.item(msg, byUID)
		if err != nil {
			return err
		}
		if lit == nil {
			continue // not a message we asked for (an unsolicited FETCH)
		}
		r.lit, r.left, r.err, r.loc = lit, lit.Size(), nil, msgs[i].Location
		if err := fn(i, r); err != nil {
			return err
		}
		if r.left > 0 {
			return fmt.Errorf("%s: %d bytes of the message were not read", r.loc, r.left)
		}
	}
}

// item reads one FETCH response up to its body literal.
func (r *messageReader) item(msg *imapclient.FetchMessageData, byUID map[goimap.UID]int) (int, goimap.LiteralReader, error) {
	i, seenUID := -1, false
	for {
		item := msg.Next()
		if item == nil {
			return 0, nil, nil
		}
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			seenUID = true
			i = -1
			if j, ok := byUID[it.UID]; ok {
				i = j
			}
		case imapclient.FetchItemDataBodySection:
			switch {
			case !seenUID:
				return 0, nil, errBodyBeforeUID
			case i < 0: // not one we asked for
				if it.Literal != nil {
					if _, err := io.Copy(io.Discard, it.Literal); err != nil {
						return 0, nil, r.fail("reading the server's answer", err)
					}
				}
				continue
			case it.Literal == nil:
				return 0, nil, &sources.MessageError{Location: r.loc, Err: errors.New("the server sent NIL instead of the message body")}
			}
			return i, it.Literal, nil
		}
	}
}
