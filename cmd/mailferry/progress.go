package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/mailferry/mailferry/migrate"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress renders a running job: a bar with messages, bytes, rate and
// ETA on a terminal, plain periodic lines otherwise.
type progress struct {
	g        *globals
	job      *migrate.Job
	mode     string
	interval time.Duration

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	planned bool
	started time.Time
	done    chan struct{}
	wg      sync.WaitGroup
}

func newProgress(g *globals, job *migrate.Job) *progress {
	mode := g.progress
	if mode == "auto" || mode == "" {
		mode = "plain"
		if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	interval, err := time.ParseDuration(g.interval)
	if err != nil || interval <= 0 {
		interval = 10 * time.Second
	}
	return &progress{g: g, job: job, mode: mode, interval: interval, done: make(chan struct{})}
}

func (p *progress) start() {
	p.started = time.Now()
	if p.mode == "none" {
		return
	}
	tick := p.interval
	if p.mode == "bar" {
		tick = 200 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.render()
			}
		}
	}()
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.update()
		p.bar.Finish()
		fmt.Fprintln(p.g.stderr)
		p.bar = nil
	}
}

// event is the engine's Events callback.
func (p *progress) event(ev migrate.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &p.job.Stats
	switch ev.Kind {
	case migrate.EventPlanned:
		p.planned = true
		p.linef("plan: %d messages (%s) to copy, %d already there",
			st.PlannedMessages.Load(), humanize.Bytes(uint64(st.PlannedBytes.Load())), st.AlreadyThere.Load())
		if p.mode == "bar" && st.PlannedMessages.Load() > 0 && !p.job.Options.DryRun {
			p.bar = progressbar.NewOptions64(st.PlannedBytes.Load(),
				progressbar.OptionSetWriter(p.g.stderr),
				progressbar.OptionShowBytes(true),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionFullWidth(),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetDescription(p.description()),
			)
		}
	case migrate.EventMailbox:
		if p.mode == "plain" {
			p.linef("folder: %s -> %s", ev.Mailbox, ev.Target)
		}
	case migrate.EventRetry:
		p.linef("retry: %v (attempt %d, waiting %s)", ev.Err, ev.Attempt, ev.Wait.Round(time.Millisecond))
	case migrate.EventFailed:
		p.linef("failed: %s: %v", ev.Message.Location, ev.Err)
	case migrate.EventValidity:
		p.linef("warning: %v", ev.Err)
	case migrate.EventDeleted:
		p.linef("deleted %d copied messages from the source", ev.Count)
	}
}

// linef prints a line without tearing the bar.
func (p *progress) linef(format string, args ...any) {
	if p.mode == "none" {
		return
	}
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintf(p.g.stderr, format+"\n", args...)
}

func (p *progress) description() string {
	st := &p.job.Stats
	done := st.Copied.Load() + st.Failed.Load()
	return fmt.Sprintf("%d/%d messages", done, st.PlannedMessages.Load())
}

func (p *progress) render() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.planned {
		return
	}
	if p.mode == "bar" {
		if p.bar != nil {
			p.update()
		}
		return
	}
	p.plainLine(p.g.stderr)
}

func (p *progress) update() {
	p.bar.Describe(p.description())
	p.bar.Set64(min(p.job.Stats.Bytes.Load(), p.job.Stats.PlannedBytes.Load()))
}

// plainLine prints "progress: 120/340 messages, 12 MB/45 MB, 2.1 MB/s, eta 16s".
func (p *progress) plainLine(w io.Writer) {
	st := &p.job.Stats
	bytes, total := st.Bytes.Load(), st.PlannedBytes.Load()
	elapsed := time.Since(p.started).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(bytes) / elapsed
	}
	eta := "unknown"
	if rate > 0 && total >= bytes {
		eta = time.Duration(float64(total-bytes) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(w, "progress: %s, %s/%s, %s/s, eta %s\n", p.description(),
		humanize.Bytes(uint64(max(bytes, 0))), humanize.Bytes(uint64(total)), humanize.Bytes(uint64(rate)), eta)
}
