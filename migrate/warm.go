package migrate

import (
	"context"
	"sync"

	"github.com/mailferry/mailferry/sources"
)

// Dialing and logging in takes several round trips; on a distant server
// they add up. The first session is dialed while the source is listed,
// the others while the first prepares the target's mailboxes, and all
// are closed at once.

// warmer dials target sessions in the background.
type warmer struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error // the first permanent dial error
}

// start dials the workers' sessions, each in its own goroutine.
func (wm *warmer) start(ctx context.Context, workers []*worker) {
	for _, w := range workers {
		wm.wg.Add(1)
		go func() {
			defer wm.wg.Done()
			if err := w.dial(ctx); err != nil && sources.IsPermanent(err) {
				wm.mu.Lock()
				if wm.err == nil {
					wm.err = err
				}
				wm.mu.Unlock()
			}
		}()
	}
}

// wait waits for the dials and returns the first permanent error: a
// refused login is not tried again by every session. Temporary failures
// are left to the worker's own retries.
func (wm *warmer) wait() error {
	wm.wg.Wait()
	return wm.err
}

// close ends every session at once: LOGOUT is a round trip per session.
func (p *workerPool) close() {
	var wg sync.WaitGroup
	for _, w := range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.closeTarget()
			freeArena(w.batch.arena)
			w.batch = batch{}
		}()
	}
	wg.Wait()
}
