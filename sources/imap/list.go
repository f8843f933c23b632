package imap

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailferry/mailferry/sources"
)

// List reports the messages of every mailbox Mailboxes reports, mailbox
// by mailbox (INBOX first), in UID order. For each mailbox it sends
// EXAMINE and one UID FETCH (UID FLAGS INTERNALDATE RFC822.SIZE) whose
// answers are passed to fn as they arrive; with Options.Since only UIDs
// above the high-water mark are fetched.
//
// fn runs while the FETCH is in progress; it should be quick (the
// engine only records the message). The idle watchdog is paused while
// fn runs. fn must not call Open on a source with one connection.
//
// Mailboxes are listed over up to as many connections as the source
// has, the EXAMINE and FETCH of the next ones sent while an earlier one
// is being reported (on a distant server each is a round trip); fn still
// gets one mailbox after the other, in order.
func (s *Source) List(ctx context.Context, fn func(sources.Message) error) error {
	boxes, err := s.selected(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.listed = boxes
	s.mu.Unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// turn[i] is closed once mailbox i may report: when i-1 is done.
	turn := make([]chan struct{}, len(boxes)+1)
	for i := range turn {
		turn[i] = make(chan struct{})
	}
	close(turn[0])
	slots := make(chan struct{}, cap(s.pool.sem))
	var wg sync.WaitGroup
launch:
	for i, b := range boxes {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			err := s.listMailbox(ctx, b, s.opts.Since[b.name], fn, turn[i])
			if err == nil {
				err = await(ctx, turn[i])
			}
			if err != nil {
				cancel(err)
				return
			}
			close(turn[i+1])
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// await waits until ch is closed or ctx is done.
func await(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// now is a closed channel: a mailbox listed alone reports at once.
var now = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// ListSince reports the messages of one mailbox (UTF-8, "/") whose UID
// is above afterUID, if the mailbox's UIDVALIDITY still equals
// uidValidity; otherwise every message of the mailbox. MailboxStatus
// tells afterwards which UIDVALIDITY was found.
func (s *Source) ListSince(ctx context.Context, mailboxName string, uidValidity, afterUID uint32, fn func(sources.Message) error) error {
	name := normName(mailboxName)
	b := mailbox{name: name, server: s.serverName(name)}
	return s.listMailbox(ctx, b, HighWater{UIDValidity: uidValidity, UID: afterUID}, fn, now)
}

// listMailbox examines b and reports its messages above hw, once turn is
// closed.
func (s *Source) listMailbox(ctx context.Context, b mailbox, hw HighWater, fn func(sources.Message) error, turn <-chan struct{}) error {
	sess, err := s.pool.get(ctx)
	if err != nil {
		return err
	}
	defer s.pool.put(sess)
	// Always a fresh EXAMINE: UIDNEXT must be current.
	if err := sess.open(ctx, b.server, true); err != nil {
		var ie *goimap.Error
		if errors.As(err, &ie) && ie.Code == goimap.ResponseCodeNonExistent {
			return nil // deleted since LIST: nothing to copy
		}
		return fmt.Errorf("%s: opening mailbox %q: %w", s.where, b.name, err)
	}
	s.mu.Lock()
	s.status[b.name] = boxStatus{uidValidity: sess.uidValidity, uidNext: uint32(sess.uidNext), modSeq: sess.modSeq}
	s.mu.Unlock()

	from := goimap.UID(1)
	var changedSince uint64
	switch {
	case hw.UIDValidity != sess.uidValidity || hw.UID == 0:
	case hw.ModSeq > 0 && sess.modSeq > 0:
		// CONDSTORE: everything changed or added since the mark, old
		// messages with new flags included.
		if sess.modSeq <= hw.ModSeq {
			return nil
		}
		changedSince = hw.ModSeq
	default:
		from = goimap.UID(hw.UID) + 1
	}
	if sess.numMessages == 0 || (changedSince == 0 && sess.uidNext != 0 && from >= sess.uidNext) {
		return nil
	}
	validity := sess.uidValidity
	var cbErr error
	err = sess.Do(ctx, func() error {
		// "from:*" always matches the last message, even when its UID is
		// below from; go-imap drops such answers and so does the loop.
		cmd := sess.Fetch(goimap.UIDSet{{Start: from, Stop: 0}}, &goimap.FetchOptions{
			UID: true, Flags: true, InternalDate: true, RFC822Size: true, ChangedSince: changedSince,
		})
		defer cmd.Close()
		sess.End() // waiting for an earlier mailbox is not the server's silence
		err := await(ctx, turn)
		sess.Begin()
		if err != nil {
			return err
		}
		for {
			data := cmd.Next()
			if data == nil {
				break
			}
			buf, err := data.Collect()
			if err != nil {
				return err
			}
			if buf.UID < from {
				continue
			}
			m := s.message(b.name, validity, buf)
			sess.End() // fn's time is not the server's silence
			cbErr = fn(m)
			sess.Begin()
			if cbErr != nil {
				return cbErr
			}
		}
		return cmd.Close()
	})
	if cbErr != nil {
		return cbErr
	}
	if err != nil {
		return fmt.Errorf("%s: listing mailbox %q: %w", s.where, b.name, err)
	}
	return nil
}

// message turns a FETCH answer into a sources.Message.
func (s *Source) message(mailbox string, uidValidity uint32, buf *imapclient.FetchMessageBuffer) sources.Message {
	return sources.Message{
		ID:        FormatID(uidValidity, uint32(buf.UID)),
		Mailbox:   mailbox,
		Size:      buf.RFC822Size,
		SizeExact: true,
		Flags:     s.shared.flagList(buf.Flags),
		Date:      s.shared.date(buf.InternalDate),
		Location:  s.messageLocation(mailbox, uint32(buf.UID)),
	}
}

// FormatID returns the Message.ID of a message: "UIDVALIDITY/UID".
func FormatID(uidValidity, uid uint32) string {
	return strconv.FormatUint(uint64(uidValidity), 10) + "/" + strconv.FormatUint(uint64(uid), 10)
}

// ParseID splits a Message.ID made by FormatID.
func ParseID(id string) (uidValidity, uid uint32, err error) {
	v, u, ok := strings.Cut(id, "/")
	if ok {
		var vv, uu uint64
		vv, err = strconv.ParseUint(v, 10, 32)
		if err == nil {
			uu, err = strconv.ParseUint(u, 10, 32)
		}
		// UIDVALIDITY 0 is invalid but seen on broken servers: accept it.
		if err == nil && uu != 0 {
			return uint32(vv), uint32(uu), nil
		}
	}
	return 0, 0, fmt.Errorf("imap source: malformed message ID %q, want UIDVALIDITY/UID", id)
}
