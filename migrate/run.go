package migrate

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/sources"
)

// Run executes the job and returns its summary. The error is non-nil
// only when the job as a whole could not finish (a refused login, an
// unreachable server after all retries, a state database that cannot be
// written); per-message failures are in Summary.Failed.
func Run(ctx context.Context, job *Job) (*Summary, error) {
	if job.Journal == nil {
		return &Summary{Job: job.Name}, errors.New("migrate: job has no journal")
	}
	e := newEngine(job)
	start := e.now()
	sum, err := e.run(ctx)
	if ferr := job.Journal.Flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
		err = ferr
	}
	sum.Elapsed = e.now().Sub(start)
	sum.Copied = job.Stats.Copied.Load()
	sum.AlreadyThere = job.Stats.AlreadyThere.Load()
	sum.Bytes = job.Stats.Bytes.Load()
	sum.Deleted = job.Stats.Deleted.Load()
	sum.FlagsSynced = job.Stats.FlagsSynced.Load()
	sum.Planned = job.Stats.PlannedMessages.Load()
	sum.PlannedBytes = job.Stats.PlannedBytes.Load()
	return sum, err
}

// engine holds one run's state.
type engine struct {
	job  *Job
	opts Options
	sum  *Summary

	evMu sync.Mutex // serialises Events calls and Summary.Failed

	srcMu        sync.RWMutex // guards src and msgs; held (exclusively unless the source is concurrent) while a message is read
	src          sources.Source
	list         *listing                   // the latest listing
	planList     *listing                   // the listing the plan's indexes refer to
	reindexed    map[msgKey]int             // after a reopen: the messages of list, to find planned ones again
	srcEpoch     int                        // incremented on every reopen
	tempFailures atomic.Int32               // messages in a row that used every attempt on temporary errors
	since        map[string]sources.Mark    // high-water marks given to an Incremental source
	boxes        map[string]sources.Mailbox // the source\'s folders, if it reports them
	roles        map[string]string          // the target\'s special-use role -> mailbox
	concurrent   bool                       // the source is a sources.ConcurrentOpener
	marks        appendMarks                // when each target mailbox's appending note was written
}

type msgKey struct{ mailbox, id string }

func newEngine(job *Job) *engine {
	o := job.Options
	if o.Connections < 1 {
		o.Connections = 1
	}
	if o.Attempts < 1 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Settle <= 0 {
		o.Settle = settleTime
	}
	if o.DefaultMailbox == "" {
		o.DefaultMailbox = "INBOX"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &engine{job: job, opts: o, sum: &Summary{Job: job.Name, DryRun: o.DryRun}}
}

func (e *engine) now() time.Time { return e.opts.Now() }

// ErrStopped is returned when Job.Drain was closed: the messages in
// flight were finished and journaled, nothing else was started.
var ErrStopped = errors.New("stopped on request after the messages in flight; run again to continue")

func (e *engine) draining() bool {
	select {
	case <-e.job.Drain:
		return true
	default:
		return false
	}
}

func (e *engine) emit(ev Event) {
	if e.job.Events == nil {
		return
	}
	e.evMu.Lock()
	defer e.evMu.Unlock()
	e.job.Events(ev)
}

func (e *engine) fail(f Failure) {
	e.job.Stats.Failed.Add(1)
	e.evMu.Lock()
	e.sum.Failed = append(e.sum.Failed, f)
	e.evMu.Unlock()
}

func (e *engine) run(ctx context.Context) (*Summary, error) {
	if e.job.Journal == nil {
		return e.sum, errors.New("migrate: job has no journal")
	}
	if err := e.loadMarks(ctx); err != nil {
		return e.sum, err
	}
	var pool *workerPool
	var first, rest warmer
	if !e.opts.DryRun {
		pool = newWorkerPool(e)
		defer pool.close()
		first.start(ctx, pool.workers[:1]) // while the source is listed
	}
	listed, err := e.openSource(ctx)
	if err != nil {
		first.wait()
		return e.sum, err
	}
	defer func() {
		e.srcMu.Lock()
		if e.src != nil {
			e.src.Close()
		}
		e.list.close()
		if e.planList != nil {
			e.planList.close()
		}
		e.srcMu.Unlock()
	}()

	if q, ok := e.src.(sources.Quotaer); ok && e.opts.DeleteSource {
		if used, limit, ok, err := q.Quota(ctx); err == nil && ok {
			e.sum.QuotaKnown, e.sum.QuotaBefore, e.sum.QuotaAfter, e.sum.QuotaLimit = true, used, used, limit
		}
	}
	if !e.opts.DryRun {
		if err := first.wait(); err != nil {
			return e.sum, err
		}
		defer rest.wait()
		if err := e.loadMailboxes(ctx, pool.workers[0]); err != nil {
			return e.sum, err
		}
	}
	plan, err := e.plan(ctx, listed)
	if err != nil {
		return e.sum, err
	}
	e.emit(Event{Kind: EventPlanned})
	if e.opts.DryRun {
		return e.sum, nil
	}
	pool.fitPlan(plan)
	rest.start(ctx, pool.workers[1:]) // while the first prepares mailboxes
	if err := e.prepareMailboxes(ctx, pool.workers[0]); err != nil {
		return e.sum, err
	}
	if err := rest.wait(); err != nil {
		return e.sum, err
	}
	if err := pool.run(ctx, plan); err != nil {
		return e.sum, err
	}
	if e.draining() {
		return e.sum, ErrStopped
	}
	if e.opts.DeleteSource {
		if err := e.deleteCopied(ctx, plan); err != nil {
			return e.sum, err
		}
	}
	return e.sum, nil
}

// openSource (re)opens the source and lists it, refreshing the engine's
// view of its messages. The caller must not hold srcMu.
func (e *engine) openSource(ctx context.Context) (*listing, error) {
	e.srcMu.Lock()
	defer e.srcMu.Unlock()
	return e.reopenLocked(ctx)
}

func (e *engine) reopenLocked(ctx context.Context) (*listing, error) {
	if e.src != nil {
		e.src.Close()
		e.src = nil
	}
	var lastErr error
	for attempt := 1; attempt <= e.opts.Attempts; attempt++ {
		src, err := e.job.OpenSource(ctx)
		if err == nil {
			if inc, ok := src.(sources.Incremental); ok && e.since != nil {
				inc.SetSince(e.since)
			}
			listed := newListing(e.opts.SpoolDir)
			err = src.List(ctx, func(m sources.Message) error {
				_, err := listed.add(m)
				return err
			})
			if err == nil {
				err = listed.finish()
			}
			if err == nil {
				e.src = src
				e.srcEpoch++
				_, e.concurrent = src.(sources.ConcurrentOpener)
				if e.list != nil && e.list != e.planList {
					e.list.close()
				}
				e.list, e.reindexed = listed, nil
				if e.planList != nil {
					// Planned messages are found again by mailbox and ID.
					e.reindexed = make(map[msgKey]int, listed.len())
					for i, m := range listed.all() {
						e.reindexed[msgKey{m.Mailbox, m.ID}] = i
					}
				}
				return listed, nil
			}
			listed.close()
			src.Close()
		}
		lastErr = err
		if sources.IsPermanent(err) || ctx.Err() != nil {
			break
		}
		wait := backoff(e.opts.Backoff, attempt)
		e.job.Stats.Retries.Add(1)
		e.emit(Event{Kind: EventRetry, Err: fmt.Errorf("source: %w", err), Wait: wait, Attempt: attempt})
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("source: %w", lastErr)
}

// mailboxPlan is what one source mailbox contributes to the run.
type mailboxPlan struct {
	src, dst string
	all      []int32  // listed and selected by the filter (indexes into the plan's listing)
	todo     []int32  // not yet in the journal
	resync   []resync // copied before, with other flags now (SyncFlags)
}

func (e *engine) plan(ctx context.Context, listed *listing) ([]*mailboxPlan, error) {
	// First the mailboxes and their sizes, so that each mailbox's list
	// is allocated once.
	var plan []*mailboxPlan
	byName := map[string]*mailboxPlan{} // nil: skipped
	count := map[*mailboxPlan]int{}
	e.planList = listed
	var mb *mailboxPlan
	for _, m := range listed.all() {
		if mb == nil || mb.src != m.Mailbox {
			var seen bool
			if mb, seen = byName[m.Mailbox]; !seen {
				if dst, skip := e.mapMailbox(m.Mailbox); !skip {
					mb = &mailboxPlan{src: m.Mailbox, dst: dst}
					plan = append(plan, mb)
				}
				byName[m.Mailbox] = mb
			}
		}
		if mb != nil {
			count[mb]++
		}
	}
	for _, mb := range plan {
		mb.all = make([]int32, 0, count[mb])
	}
	mb = nil
	for i, m := range listed.all() {
		if mb == nil || mb.src != m.Mailbox {
			mb = byName[m.Mailbox]
		}
		if mb != nil && (e.opts.Filter == nil || e.opts.Filter(m)) {
			mb.all = append(mb.all, int32(i))
		}
	}
	for _, mb := range plan {
		if err := e.checkValidity(ctx, mb); err != nil {
			return nil, err
		}
		if err := e.planMailbox(ctx, mb); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// planMailbox sorts the mailbox's messages into those the journal
// holds (flags to bring across with SyncFlags) and those to copy.
func (e *engine) planMailbox(ctx context.Context, mb *mailboxPlan) error {
	e.sum.SourceTotal += int64(len(mb.all))
	var done []uint64 // bit i: mb.all[i] is journaled; nil while none is
	type pending struct {
		i int
		r resync
	}
	var resyncs []pending
	var freed int64 // size of the journaled messages already deleted
	var getErr error
	err := e.journaled(ctx, e.planList, mb.src, mb.all, func(i int, ent journal.Entry) {
		if done == nil {
			done = make([]uint64, (len(mb.all)+63)/64)
		}
		done[i/64] |= 1 << (i % 64)
		m, err := e.planList.get(int(mb.all[i]))
		if err != nil {
			getErr = err
			return
		}
		if ent.Deleted {
			freed += m.Size
		}
		if e.opts.SyncFlags && m.Flags != nil && ent.TargetRef != "" && ent.Flags != flagKey(m.Flags) {
			resyncs = append(resyncs, pending{i, resync{msg: m, ref: ent.TargetRef, dst: ent.DstMailbox}})
		}
	})
	if err == nil {
		err = getErr
	}
	if err != nil {
		return err
	}
	slices.SortFunc(resyncs, func(a, b pending) int { return a.i - b.i }) // in listing order
	for _, p := range resyncs {
		mb.resync = append(mb.resync, p.r)
	}
	journaled := 0
	for _, w := range done {
		journaled += bits.OnesCount64(w)
	}
	e.job.Stats.AlreadyThere.Add(int64(journaled))
	if done == nil {
		mb.todo = slices.Clip(mb.all) // shared: neither is changed after planning
	} else {
		mb.todo = make([]int32, 0, len(mb.all)-journaled)
		for i, m := range mb.all {
			if done[i/64]&(1<<(i%64)) == 0 {
				mb.todo = append(mb.todo, m)
			}
		}
	}
	if e.opts.DeleteSource {
		e.sum.WouldFree -= freed
		for _, i := range mb.all {
			m, err := e.planList.get(int(i))
			if err != nil {
				return err
			}
			e.sum.WouldFree += m.Size
		}
	}
	var planned int64
	for _, i := range mb.todo {
		m, err := e.planList.get(int(i))
		if err != nil {
			return err
		}
		planned += m.Size
	}
	e.job.Stats.PlannedMessages.Add(int64(len(mb.todo)))
	e.job.Stats.PlannedBytes.Add(planned)
	return nil
}

func (e *engine) mapMailbox(src string) (string, bool) {
	ref := MailboxRef{Name: src}
	if mb, ok := e.boxes[src]; ok {
		ref.SpecialUse = mb.SpecialUse
		for _, role := range mb.SpecialUse {
			if name, ok := e.roles[role]; ok {
				ref.TargetForRole = name
				break
			}
		}
	}
	if e.opts.MapMailbox != nil {
		return e.opts.MapMailbox(ref)
	}
	switch {
	case ref.TargetForRole != "":
		return ref.TargetForRole, false
	case src == "" || src == "INBOX":
		return e.opts.DefaultMailbox, false
	}
	return src, false
}

// entry builds the journal entry for a confirmed copy; flags are the
// source's flags, for --sync-flags to compare with later.
func (e *engine) entry(mb *mailboxPlan, m sources.Message, identity string, size int64, how, ref string, flags []string) journal.Entry {
	return journal.Entry{
		Job: e.job.Name, SrcMailbox: m.Mailbox, SrcID: m.ID, DstMailbox: mb.dst,
		Identity: identity, Size: size, How: how, TargetRef: ref, At: e.now(), Flags: flagKey(flags),
	}
}

// flagKey is the canonical form of a flag list kept in the journal.
func flagKey(flags []string) string {
	f := slices.Clone(flags)
	f = slices.DeleteFunc(f, func(s string) bool { return strings.EqualFold(s, `\Recent`) })
	slices.Sort(f)
	return strings.Join(slices.Compact(f), " ")
}
