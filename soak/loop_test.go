package soak

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/chaos"
)

// soak is one chaos run: mailferry with args, through proxies that
// inject random faults, SIGKILLed at random moments and rerun until it
// exits 0.
type soak struct {
	args    []string
	env     []string
	proxies []*chaos.Proxy
	faults  chaos.Random // template; each proxy gets its own seed

	total    int            // messages the target must end up with
	onTarget func() int     // messages on the target now
	afterRun func(runs int) // checks after each killed or failed run
	kills    int            // runs to kill (default 6)
	calmRun  int            // first run without faults (default kills+3)
	timeout  time.Duration  // a calm run must end within it (default 2 minutes)
}

// run does the soak and returns the number of kills that landed.
func (s *soak) run(t *testing.T, seed uint64) int {
	t.Helper()
	if s.kills == 0 {
		s.kills = 6
	}
	if s.calmRun == 0 {
		s.calmRun = s.kills + 3
	}
	if s.timeout == 0 {
		s.timeout = 2 * time.Minute
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for i, p := range s.proxies {
		r := s.faults
		r.Seed = seed + uint64(i) + 1
		p.Random(r)
	}
	defer func() {
		for i, p := range s.proxies {
			t.Logf("proxy %d (%s): %v", i, p.Backend(), p.Counts())
		}
	}()
	kills, failures := 0, 0
	for run := 0; ; run++ {
		if run == s.calmRun {
			for _, p := range s.proxies {
				p.Calm()
			}
		}
		if run > s.calmRun+1 {
			t.Fatalf("no clean finish after %d runs (%d kills, %d failed runs)", run, kills, failures)
		}
		before := s.onTarget()
		r := start(t, s.env, s.args...)
		if run < s.kills {
			s.killSometime(rng, r, before, run >= s.kills-2)
		} else if !r.ended(s.timeout) {
			r.kill()
			t.Fatalf("run %d did not end within %v:\n%s", run, s.timeout, r.result())
		}
		res := r.result()
		switch {
		case res.code == 0:
			t.Logf("clean finish on run %d after %d kills and %d failed runs", run, kills, failures)
			if kills < 2 {
				t.Errorf("only %d kills landed before the run finished; the soak proves little", kills)
			}
			return kills
		case res.code == -1:
			kills++
			// A person reruns seconds later, not at once: let the dead
			// process's connections drain first (see
			// TestLateAppendAfterKill for what happens otherwise).
			s.drain(t)
		case run >= s.calmRun:
			t.Fatalf("run %d without faults: %s", run, res)
		case res.code == 1 || res.code == 3:
			// Faults may exhaust a message's or the job's attempts: the
			// next run resumes.
			failures++
			t.Logf("run %d failed under faults (exit %d): %s", run, res.code, lastLine(res.stderr))
		default:
			t.Fatalf("run %d: %s", run, res)
		}
		if s.afterRun != nil {
			s.afterRun(run)
		}
	}
}

// drain waits until the proxies forward no connection.
func (s *soak) drain(t *testing.T) {
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range s.proxies {
		for p.Live() > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("proxy %s still forwards %d connections 10s after mailferry was killed", p.Addr(), p.Live())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// killSometime kills r at a random moment: early (start-up, login,
// listing) or once the target holds a few more messages, plus a little
// (mid-message, between APPEND and journal), or after the target is
// complete (deleting, QUIT) if late. It returns early if r ends by itself.
func (s *soak) killSometime(rng *rand.Rand, r *running, before int, late bool) {
	n := rng.IntN(6)
	if n == 1 && !late {
		n = 2 // the first runs die mid-copy, so that enough kills land
	}
	switch {
	case n == 0:
		if r.ended(time.Duration(rng.IntN(100)) * time.Millisecond) {
			return
		}
	default:
		goal := s.total
		if n > 1 {
			goal = min(s.total, before+1+rng.IntN(max(1, (s.total-before)/6)))
		}
		deadline := time.Now().Add(s.timeout)
		for s.onTarget() < goal && time.Now().Before(deadline) {
			if r.ended(5 * time.Millisecond) {
				return
			}
		}
		if r.ended(time.Duration(rng.IntN(15)) * time.Millisecond) {
			return
		}
	}
	r.kill()
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	end := len(s)
	for end > 0 && (s[end-1] == '\n' || s[end-1] == '\r') {
		end--
	}
	start := end
	for start > 0 && s[start-1] != '\n' {
		start--
	}
	return s[start:end]
}
