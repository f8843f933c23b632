package soak

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/chaos"
	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/dovecottest"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// size says how big a soak is.
type size struct {
	messages, maxSize int
	faults            int // most faults per proxy
	kills             int
}

var (
	shortSoak = size{messages: 300, maxSize: 250_000, faults: 8, kills: 6}
	longSoak  = size{messages: 2500, maxSize: 2 << 20, faults: 60, kills: 15}
)

// TestSoakLong is the long soak, run with MAILFERRY_SOAK=long: thousands
// of messages in several folders, more faults and more kills.
func TestSoakLong(t *testing.T) {
	if !long() {
		t.Skip("set MAILFERRY_SOAK=long for the long soak")
	}
	t.Run("pop3", func(t *testing.T) { t.Parallel(); soakPOP3ToIMAP(t, longSoak) })
	t.Run("imap", func(t *testing.T) { t.Parallel(); soakIMAPToIMAP(t, longSoak) })
	t.Run("dovecot", func(t *testing.T) { t.Parallel(); soakDovecot(t, longSoak, longSoak.messages) })
}

// randomFaults is the fault mix of the soak.
func randomFaults(max int) chaos.Random {
	return chaos.Random{Rate: 0.7, Max: max, MaxOffset: 2 << 20, MaxStall: 300 * time.Millisecond}
}

// TestSoakPOP3ToIMAP moves an in-process POP3 maildrop into an
// in-process IMAP server with --delete-source, through proxies breaking
// both sides, killing mailferry at random: after each kill every
// message is on the source or the target; at the end each is on the
// target exactly once with its flags and date, and the source is empty.
func TestSoakPOP3ToIMAP(t *testing.T) {
	t.Parallel()
	soakPOP3ToIMAP(t, shortSoak)
}

func soakPOP3ToIMAP(t *testing.T, sz size) {
	seed := seed(t)
	msgs := corpus.Mixed(seed%1000, sz.messages, sz.maxSize)
	var want []message
	for _, m := range msgs {
		want = append(want, fromPOP3(m))
	}
	pop := pop3test.NewServer(t, pop3test.WithUser("alice", "pop-pw"), pop3test.WithMessages(msgs...))
	dst := imaptest.NewServerOptions(t, imaptest.Options{})
	src, dstProxy := chaos.New(t, pop.Addr()), chaos.New(t, dst.Addr)
	s := &soak{
		args: []string{"migrate", "--state", filepath.Join(t.TempDir(), "state.db"), "--progress", "none", "--delete-source",
			"pop3://alice@" + src.Addr() + "?tls=none", "imap://" + imaptest.Username + "@" + dstProxy.Addr() + "?tls=none"},
		env:      []string{"MAILFERRY_SRC_PASSWORD=pop-pw", "MAILFERRY_DST_PASSWORD=" + imaptest.Password},
		proxies:  []*chaos.Proxy{src, dstProxy},
		faults:   randomFaults(sz.faults),
		total:    len(msgs),
		kills:    sz.kills,
		onTarget: func() int { return countIMAP(dst.User, "INBOX") },
		afterRun: func(run int) {
			var left []message
			for _, m := range pop.Messages() {
				left = append(left, fromPOP3(m))
			}
			checkNothingLost(t, fmt.Sprintf("after run %d", run), left, fetchIMAP(t, dst.Addr, imaptest.Username, imaptest.Password, "INBOX"), want)
		},
	}
	s.run(t, seed)
	checkExactlyOnce(t, "the target INBOX", fetchIMAP(t, dst.Addr, imaptest.Username, imaptest.Password, "INBOX"), want)
	if left := len(pop.Messages()); left != 0 {
		t.Errorf("the POP3 maildrop holds %d messages after a clean --delete-source run, want 0", left)
	}
}

// imapFolders are the source folders of the IMAP soak and their share
// of the messages.
var imapFolders = []struct {
	name  string
	share int
}{{"INBOX", 5}, {"Work", 2}, {"Archive/2023", 2}, {"Lists/go-nuts", 1}}

// TestSoakIMAPToIMAP copies several folders with flags, keywords and
// dates between in-process IMAP servers over several connections,
// through proxies breaking both sides, killing mailferry at random.
func TestSoakIMAPToIMAP(t *testing.T) {
	t.Parallel()
	soakIMAPToIMAP(t, shortSoak)
}

func soakIMAPToIMAP(t *testing.T, sz size) {
	seed := seed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	src := imaptest.NewServerOptions(t, imaptest.Options{Username: "carol", Password: "src-pw"})
	dst := imaptest.NewServerOptions(t, imaptest.Options{})
	want := map[string][]message{}
	msgs := corpus.Mixed(seed%1000+1, sz.messages, sz.maxSize)
	flagSets := [][]string{nil, {`\Seen`}, {`\Seen`, `\Flagged`}, {`\Answered`, `\Seen`}, {`$Forwarded`, `\Seen`}, {`\Draft`}, {`$label1`}}
	for i, raw := range msgs {
		n := rng.IntN(10)
		folder := imapFolders[0].name
		for _, f := range imapFolders {
			if n < f.share {
				folder = f.name
				break
			}
			n -= f.share
		}
		if i >= len(msgs)-4 {
			folder = "Work" // the twins and odd cases share a folder
		}
		flags := flagSets[rng.IntN(len(flagSets))]
		date := time.Date(2015+rng.IntN(10), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, time.FixedZone("", (rng.IntN(25)-12)*3600))
		storeIMAP(t, src.User, folder, raw, flags, date)
		want[folder] = append(want[folder], message{Sum: sha256Sum(raw), Size: len(raw), Flags: cleanFlags(flags), Date: date})
	}
	srcProxy, dstProxy := chaos.New(t, src.Addr), chaos.New(t, dst.Addr)
	s := &soak{
		args: []string{"migrate", "--state", filepath.Join(t.TempDir(), "state.db"), "--progress", "none", "--connections", "3",
			"imap://carol@" + srcProxy.Addr() + "?tls=none", "imap://" + imaptest.Username + "@" + dstProxy.Addr() + "?tls=none"},
		env:     []string{"MAILFERRY_SRC_PASSWORD=src-pw", "MAILFERRY_DST_PASSWORD=" + imaptest.Password},
		proxies: []*chaos.Proxy{srcProxy, dstProxy},
		faults:  randomFaults(sz.faults),
		total:   len(msgs),
		kills:   sz.kills,
		onTarget: func() int {
			n := 0
			for _, f := range imapFolders {
				n += countIMAP(dst.User, f.name)
			}
			return n
		},
	}
	s.run(t, seed)
	for _, f := range imapFolders {
		checkExactlyOnce(t, "the target's "+f.name, fetchIMAP(t, dst.Addr, imaptest.Username, imaptest.Password, f.name), want[f.name])
	}
}

// TestSoakDovecot moves alice's POP3 maildrop into bob's IMAP account on
// a private Dovecot through proxies breaking both sides, killing
// mailferry at random.
func TestSoakDovecot(t *testing.T) {
	dovecottest.Require(t)
	t.Parallel()
	soakDovecot(t, shortSoak, 200) // doveadm save is slow, but one batch would leave kills no room
}

func soakDovecot(t *testing.T, sz size, n int) {
	dovecottest.Require(t)
	seed := seed(t)
	srv := dovecottest.Start(t)
	for _, m := range corpus.Mixed(seed%1000+2, n, sz.maxSize) {
		srv.Deliver(t, "alice", "INBOX", m)
	}
	served := popMessages(t, srv.POP3Addr(), "alice", srv.Users["alice"])
	var want []message
	for _, m := range served {
		want = append(want, fromPOP3(m))
	}
	popProxy, imapProxy := chaos.New(t, srv.POP3Addr()), chaos.New(t, srv.IMAPAddr())
	watch := newWatcher(srv.IMAPAddr(), "bob", srv.Users["bob"])
	defer watch.close()
	s := &soak{
		args: []string{"migrate", "--state", filepath.Join(t.TempDir(), "state.db"), "--progress", "none",
			"pop3://alice@" + popProxy.Addr() + "?tls=none", "imap://bob@" + imapProxy.Addr() + "?tls=none"},
		env:      []string{"MAILFERRY_SRC_PASSWORD=" + srv.Users["alice"], "MAILFERRY_DST_PASSWORD=" + srv.Users["bob"]},
		proxies:  []*chaos.Proxy{popProxy, imapProxy},
		faults:   randomFaults(sz.faults),
		total:    len(want),
		kills:    sz.kills,
		onTarget: func() int { return watch.count("INBOX") },
	}
	s.run(t, seed)
	checkExactlyOnce(t, "bob's INBOX", fetchIMAP(t, srv.IMAPAddr(), "bob", srv.Users["bob"], "INBOX"), want)
	if left := popMessages(t, srv.POP3Addr(), "alice", srv.Users["alice"]); len(left) != len(want) {
		t.Errorf("alice's maildrop holds %d messages after a run without --delete-source, want %d", len(left), len(want))
	}
}
