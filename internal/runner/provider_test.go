package runner

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/provider"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/migrate"
)

// TestGmailThrottlingSlowsDown runs into a Gmail-shaped target that
// refuses the first connections with "Too many simultaneous
// connections": the run waits (EventRetry with a Wait) and finishes.
func TestGmailThrottlingSlowsDown(t *testing.T) {
	var conns atomic.Int32
	srv := imaptest.NewServerOptions(t, imaptest.Options{
		Username: "alice@gmail.com", Password: "app-password",
		SessionHook: func() error {
			if conns.Add(1) <= 2 {
				return &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Too many simultaneous connections. (Failure)"}
			}
			return nil
		},
	})
	t.Setenv("MAILFERRY_DST_PASSWORD", "app-password")
	state := t.TempDir()
	jr, err := journal.Open(filepath.Join(state, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer jr.Close()
	src, _ := endpoint.Parse("mbox:" + writeMbox(t, 3))
	j := &jobfile.Job{Name: "gmail", Source: src.String(), Mode: jobfile.ModeMigrate, Connections: 30,
		Target: "imap://alice@gmail.com@" + srv.Addr + "?tls=none&provider=gmail"}
	mj, err := Build(context.Background(), j, Env{Journal: jr, OAuthDir: filepath.Join(state, "oauth")})
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	if mj.Options.Connections != 10 || mj.Options.Backoff != 5*time.Second {
		t.Errorf("gmail job: connections %d, backoff %v; want 10 and 5s", mj.Options.Connections, mj.Options.Backoff)
	}
	mj.Options.Backoff = time.Millisecond
	var waits []time.Duration
	mj.Events = func(e migrate.Event) {
		if e.Kind == migrate.EventRetry {
			waits = append(waits, e.Wait)
		}
	}
	sum, err := migrate.Run(context.Background(), mj)
	if err != nil || sum.Copied != 3 {
		t.Fatalf("migrate.Run() = %+v, %v; want 3 copied after the throttling", sum, err)
	}
	if len(waits) == 0 || waits[0] <= 0 {
		t.Errorf("retry waits = %v, want the throttling shown as retries with a wait", waits)
	}
}

func TestProfiles(t *testing.T) {
	for _, n := range provider.Names() {
		p, err := provider.Lookup(n)
		if err != nil || p.Name != n || p.IMAPHost == "" || p.Connections < 1 || p.MaxMessageSize < provider.MB || p.Backoff <= 0 {
			t.Errorf("Lookup(%q) = %+v, %v; want a complete profile", n, p, err)
		}
		for _, a := range p.Aliases {
			if q, err := provider.Lookup(a); err != nil || q != p {
				t.Errorf("Lookup(alias %q) = %v, %v; want %s", a, q, err, n)
			}
		}
	}
	g, _ := provider.Lookup("gmail")
	if g.Connections >= 15 || g.MaxMessageSize != 35*provider.MB || g.SpecialUse[`\Sent`] != "[Gmail]/Sent Mail" {
		t.Errorf("gmail profile = %+v, want fewer than 15 connections, 35 MB and [Gmail]/Sent Mail", g)
	}
	if _, err := provider.Lookup("hotmale"); err == nil {
		t.Errorf("Lookup(hotmale) = nil error, want unknown provider")
	}
}
