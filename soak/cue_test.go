package soak

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/chaos"
	"github.com/mailferry/mailferry/internal/corpus"
	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources/pop3/pop3test"
)

// popToIMAP is a POP3 -> IMAP setup of in-process servers with a proxy
// in front of each.
type popToIMAP struct {
	msgs  [][]byte
	want  []message
	pop   *pop3test.Server
	dst   *imaptest.Server
	src   *chaos.Proxy
	proxy *chaos.Proxy // in front of dst
	state string
	env   []string
}

func newPOPToIMAP(t *testing.T, msgs [][]byte, opts imaptest.Options) *popToIMAP {
	s := &popToIMAP{msgs: msgs, state: filepath.Join(t.TempDir(), "state", "state.db")}
	for _, m := range msgs {
		s.want = append(s.want, fromPOP3(m))
	}
	s.pop = pop3test.NewServer(t, pop3test.WithUser("alice", "pop-pw"), pop3test.WithMessages(msgs...))
	s.dst = imaptest.NewServerOptions(t, opts)
	s.src, s.proxy = chaos.New(t, s.pop.Addr()), chaos.New(t, s.dst.Addr)
	s.env = []string{"MAILFERRY_SRC_PASSWORD=pop-pw", "MAILFERRY_DST_PASSWORD=" + imaptest.Password}
	return s
}

// args returns the mailferry command line, with extra flags.
func (s *popToIMAP) args(extra ...string) []string {
	a := append([]string{"migrate", "--state", s.state, "--progress", "none"}, extra...)
	return append(a, "pop3://alice@"+s.src.Addr()+"?tls=none", "imap://"+imaptest.Username+"@"+s.proxy.Addr()+"?tls=none")
}

func (s *popToIMAP) target(t *testing.T) []message {
	return fetchIMAP(t, s.dst.Addr, imaptest.Username, imaptest.Password, "INBOX")
}

// TestAppendOKLostThenBye cuts the target connection right after the
// server stored a message but before mailferry read the OK, then
// answers a later APPEND with BYE instead of OK: the run must retry and
// finish, each message on the target once.
func TestAppendOKLostThenBye(t *testing.T) {
	t.Parallel()
	s := newPOPToIMAP(t, corpus.Mixed(21, 40, 50_000), imaptest.Options{})
	s.proxy.Next(chaos.Fault{Kind: chaos.CutAfterAppendOK, Appends: 5}, chaos.Fault{Kind: chaos.Bye, Appends: 7},
		chaos.Fault{Kind: chaos.CutAfterAppendOK, Appends: 0})
	if r := run(t, s.env, s.args()...); r.code != 0 {
		t.Fatalf("mailferry migrate through lost APPEND answers: %s", r)
	}
	c := s.proxy.Counts()
	if c.Faults[chaos.CutAfterAppendOK] != 2 || c.Faults[chaos.Bye] != 1 {
		t.Errorf("faults fired: %v, want 2 cut-after-append-ok and 1 bye", c)
	}
	checkExactlyOnce(t, "the target INBOX", s.target(t), s.want)
}

// TestFirstTargetConnectionDropped drops the very first target
// connection before its greeting, as a network blip would: mailferry
// must retry it like any later connection, not give up. With a POP3
// source the first target connection is made for the first copy; with
// an IMAP source it is made earlier, to learn the target's special-use
// folders.
func TestFirstTargetConnectionDropped(t *testing.T) {
	t.Parallel()
	t.Run("pop3", func(t *testing.T) {
		t.Parallel()
		s := newPOPToIMAP(t, corpus.Mixed(22, 5, 10_000), imaptest.Options{})
		s.proxy.Next(chaos.Fault{Kind: chaos.Cut, Dir: chaos.ToClient, Offset: 0})
		if r := run(t, s.env, s.args()...); r.code != 0 {
			t.Fatalf("mailferry migrate with the first target connection dropped before its greeting: %s\nwant exit 0 after a retry", r)
		}
		checkExactlyOnce(t, "the target INBOX", s.target(t), s.want)
	})
	t.Run("imap", func(t *testing.T) {
		t.Parallel()
		src := imaptest.NewServerOptions(t, imaptest.Options{Username: "carol", Password: "src-pw"})
		raw := []byte("Subject: one\r\n\r\nbody\r\n")
		date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		storeIMAP(t, src.User, "INBOX", raw, []string{`\Seen`}, date)
		dst := imaptest.NewServerOptions(t, imaptest.Options{})
		proxy := chaos.New(t, dst.Addr)
		proxy.Next(chaos.Fault{Kind: chaos.Cut, Dir: chaos.ToClient, Offset: 0})
		r := run(t, []string{"MAILFERRY_SRC_PASSWORD=src-pw", "MAILFERRY_DST_PASSWORD=" + imaptest.Password},
			"migrate", "--state", filepath.Join(t.TempDir(), "state.db"), "--progress", "none",
			"imap://carol@"+src.Addr+"?tls=none", "imap://"+imaptest.Username+"@"+proxy.Addr()+"?tls=none")
		if r.code != 0 {
			t.Fatalf("mailferry migrate (IMAP source) with the first target connection dropped before its greeting: %s\nwant exit 0 after a retry", r)
		}
		checkExactlyOnce(t, "the target INBOX", fetchIMAP(t, dst.Addr, imaptest.Username, imaptest.Password, "INBOX"),
			[]message{{Sum: sha256Sum(raw), Size: len(raw), Flags: []string{`\Seen`}, Date: date}})
	})
}

// TestLateAppendAfterKill kills mailferry while the literal of a large
// APPEND is still on its way (held up in the network, here a stalled
// proxy), and reruns at once. The old connection's bytes then reach the
// server and complete the APPEND after the rerun looked at the target:
// the message must still end up there once.
func TestLateAppendAfterKill(t *testing.T) {
	// Known limit, documented in the README: bytes that already left
	// this machine when mailferry died cannot be called back. A middlebox
	// that holds a complete APPEND for longer than a rerun takes to look
	// at the mailbox makes that message arrive twice. Target connections
	// are reset on close (SO_LINGER 0), so nothing still queued here is
	// sent after a kill; this test holds the data in the proxy instead.
	if os.Getenv("MAILFERRY_SOAK_KNOWN_RACES") == "" {
		t.Skip("known race (a middlebox delivering an abandoned APPEND after the rerun); set MAILFERRY_SOAK_KNOWN_RACES=1 to run")
	}
	t.Parallel()
	big := corpus.Message(23, 0, 600_000)
	s := newPOPToIMAP(t, [][]byte{big}, imaptest.Options{})
	s.proxy.Next(chaos.Fault{Kind: chaos.Stall, Dir: chaos.ToServer, Offset: 400_000, Duration: 1500 * time.Millisecond})
	r := start(t, s.env, s.args()...)
	for s.proxy.Counts().Faults[chaos.Stall] == 0 {
		if r.ended(5 * time.Millisecond) {
			t.Fatalf("mailferry ended before the APPEND stalled: %s", r.result())
		}
	}
	r.kill()
	if res := run(t, s.env, s.args()...); res.code != 0 {
		t.Fatalf("rerun after the kill: %s", res)
	}
	for s.proxy.Live() > 0 { // the old connection delivers its last bytes
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	got := s.target(t)
	if len(got) > 1 {
		t.Logf("known race: an APPEND in flight when mailferry died landed after the rerun indexed the target")
	}
	checkExactlyOnce(t, "the target INBOX after a late APPEND", got, s.want)
}

// hasAll reports whether s contains every one of subs, ignoring case.
func hasAll(s string, subs ...string) bool {
	s = strings.ToLower(s)
	for _, sub := range subs {
		if !strings.Contains(s, strings.ToLower(sub)) {
			return false
		}
	}
	return true
}
