package imap

import (
	"context"
	"fmt"

	goimap "github.com/emersion/go-imap/v2"
)

// Flags returns the current flags (without \Recent) of the given UIDs of
// a mailbox (UTF-8, "/"), read with EXAMINE and UID FETCH (FLAGS), for
// synchronising flags of messages copied earlier. UIDs no longer on the
// server are absent from the map. uidValidity must match the mailbox's,
// else nothing is returned and ok is false.
func (s *Source) Flags(ctx context.Context, mailboxName string, uidValidity uint32, uids []uint32) (flags map[uint32][]string, ok bool, err error) {
	name := normName(mailboxName)
	sess, err := s.pool.get(ctx)
	if err != nil {
		return nil, false, err
	}
	defer s.pool.put(sess)
	if err := sess.open(ctx, s.serverName(name), true); err != nil {
		return nil, false, fmt.Errorf("%s/%s: opening the mailbox: %w", s.where, name, err)
	}
	if sess.uidValidity != uidValidity {
		return nil, false, nil
	}
	flags = make(map[uint32][]string, len(uids))
	if len(uids) == 0 || sess.numMessages == 0 {
		return flags, true, nil
	}
	for len(uids) > 0 {
		n := min(len(uids), deleteBatch)
		var set goimap.UIDSet
		for _, u := range uids[:n] {
			set.AddNum(goimap.UID(u))
		}
		uids = uids[n:]
		if err := s.fetchFlags(ctx, sess, name, uidValidity, set, flags); err != nil {
			return nil, false, fmt.Errorf("%s/%s: reading flags: %w", s.where, name, err)
		}
	}
	return flags, true, nil
}

// fetchFlags reads the flags of set into flags.
func (s *Source) fetchFlags(ctx context.Context, sess *session, name string, uidValidity uint32, set goimap.UIDSet, flags map[uint32][]string) error {
	return sess.Do(ctx, func() error {
		cmd := sess.Fetch(set, &goimap.FetchOptions{UID: true, Flags: true})
		defer cmd.Close()
		for data := cmd.Next(); data != nil; data = cmd.Next() {
			buf, err := data.Collect()
			if err != nil {
				return err
			}
			if buf.UID != 0 && set.Contains(buf.UID) {
				flags[uint32(buf.UID)] = s.message(name, uidValidity, buf).Flags
			}
		}
		return cmd.Close()
	})
}
