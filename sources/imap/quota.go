package imap

import (
	"context"
	"fmt"

	goimap "github.com/emersion/go-imap/v2"
)

// Quota reports the account's storage use and limit in bytes from
// GETQUOTAROOT INBOX (RFC 9208), for before/after reports. ok is false
// if the server has no QUOTA extension or states no storage limit.
func (s *Source) Quota(ctx context.Context) (used, limit int64, ok bool, err error) {
	if !s.caps.Has(goimap.CapQuota) {
		return 0, 0, false, nil
	}
	sess, err := s.pool.get(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer s.pool.put(sess)
	err = sess.Do(ctx, func() error {
		roots, err := sess.GetQuotaRoot("INBOX").Wait()
		if err != nil {
			return err
		}
		for _, q := range roots {
			if r, has := q.Resources[goimap.QuotaResourceStorage]; has {
				// STORAGE is counted in units of 1024 octets.
				used += r.Usage * 1024
				limit += r.Limit * 1024
				ok = true
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("%s: reading the quota: %w", s.where, err)
	}
	return used, limit, ok, nil
}
