package pop3

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// maildrop is what a Source knows of the server's messages from its
// last listing, kept small because a maildrop can hold hundreds of
// thousands of messages: per message a number, one string and two bits
// of bookkeeping. The message's ID is a substring of its location
// ("pop3 message 7 (uidl ID)"), so both cost one allocation, shared with
// the sources.Message values List hands out.
type maildrop struct {
	nums []int32  // message numbers, in LIST order
	locs []string // parallel to nums: location(n, id)
	byID []int32  // indexes into nums, sorted by ID
	gone []uint64 // bit i: nums[i] was deleted in this session
}

// locUIDL and locSuffix surround the ID in a location.
const (
	locSuffix = ")"
	locUIDL   = " (uidl "
)

func location(n int, id string) string {
	return "pop3 message " + strconv.Itoa(n) + locUIDL + id + locSuffix
}

// idOf returns the ID inside a location made by location.
func idOf(loc string) string {
	i := strings.Index(loc, locUIDL)
	return loc[i+len(locUIDL) : len(loc)-len(locSuffix)]
}

func (d *maildrop) id(i int) string { return idOf(d.locs[i]) }

// find returns the index of the message with this ID that is not
// deleted. Should two messages carry the same ID (a UIDL "x#2" beside a
// second "x"), the later one wins.
func (d *maildrop) find(id string) (int, bool) {
	k, _ := slices.BinarySearchFunc(d.byID, id, func(i int32, id string) int {
		if d.id(int(i)) <= id {
			return -1
		}
		return 1
	})
	if k == 0 {
		return 0, false
	}
	i := int(d.byID[k-1])
	if d.id(i) != id || d.gone[i/64]&(1<<(i%64)) != 0 {
		return 0, false
	}
	return i, true
}

func (d *maildrop) markGone(i int) { d.gone[i/64] |= 1 << (i % 64) }

// index reads LIST and UIDL (or digests) and replaces s.drop. It
// returns the sizes LIST reported, parallel to s.drop.nums.
func (s *Source) index(ctx context.Context) ([]int64, error) {
	var nums []int32
	var sizes []int64
	maxNum := 0
	err := s.c.scanList(ctx, func(n int, size int64) error {
		if n > 1<<31-1 {
			return fmt.Errorf("message number %d out of range", n)
		}
		nums = append(nums, int32(n))
		sizes = append(sizes, size)
		maxNum = max(maxNum, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// uids[n-1] is message n's UIDL (or digest).
	uids := make([]string, maxNum)
	err = s.c.scanUIDL(ctx, func(n int, uid []byte) error {
		if n <= maxNum {
			uids[n-1] = string(uid)
		}
		return nil
	})
	var perr *Error
	switch {
	case errors.As(err, &perr):
		if err := s.digests(ctx, nums, uids); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	d := &maildrop{nums: nums, locs: make([]string, len(nums)), gone: make([]uint64, (len(nums)+63)/64)}
	for _, n := range nums {
		if uids[n-1] == "" {
			return nil, fmt.Errorf("pop3: server %s listed message %d in LIST but not in UIDL", s.c.cfg.Addr, n)
		}
	}
	// Repeated IDs (identical messages without UIDL) get an occurrence
	// suffix in LIST order: "<id>#2", "<id>#3".
	order := make([]int32, len(nums))
	for i := range order {
		order[i] = int32(i)
	}
	uidOf := func(i int32) string { return uids[nums[i]-1] }
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(uidOf(a), uidOf(b)) })
	occ := 0
	for k, i := range order {
		id := uidOf(i)
		if k > 0 && uidOf(order[k-1]) == id {
			occ++
		} else {
			occ = 1
		}
		if occ > 1 {
			id += "#" + strconv.Itoa(occ)
		}
		d.locs[i] = location(int(nums[i]), id)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(d.id(int(a)), d.id(int(b))) })
	d.byID = order
	s.drop = d
	return sizes, nil
}

// digests fills uids with the SHA-256 of each listed message's bytes.
func (s *Source) digests(ctx context.Context, nums []int32, uids []string) error {
	for _, n := range nums {
		r, err := s.c.Retr(ctx, int(n))
		if err != nil {
			return fmt.Errorf("pop3: server has no UIDL, digesting message %d: %w", n, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("pop3: server has no UIDL, digesting message %d: %w", n, err)
		}
		uids[n-1] = hex.EncodeToString(h.Sum(nil))
	}
	return nil
}
