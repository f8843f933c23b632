package imap

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailferry/mailferry/internal/imapconn"
	"github.com/mailferry/mailferry/sources"
)

const (
	testUser = "alice"
	testPass = "secret-pw"
)

// fullCaps is what the test server offers unless a test says otherwise.
var fullCaps = goimap.CapSet{
	goimap.CapIMAP4rev1: {}, goimap.CapUIDPlus: {}, goimap.CapNamespace: {},
	goimap.CapLiteralPlus: {}, goimap.CapListExtended: {}, goimap.CapSpecialUse: {},
}

// testServer is go-imap's in-memory server with what it lacks for the
// source's tests: special-use attributes, \Noselect parents and LIST
// RETURN (SUBSCRIBED), served from a registry of mailbox names.
type testServer struct {
	addr  string
	user  *imapmemserver.User
	dials atomic.Int32

	mu         sync.Mutex
	personal   string   // personal namespace prefix
	shared     []string // shared namespace prefixes
	names      []string
	attrs      map[string][]goimap.MailboxAttr
	subscribed map[string]bool
	noSelect   map[string]bool
}

func newTestServer(t testing.TB, caps goimap.CapSet) *testServer {
	t.Helper()
	ts := &testServer{
		attrs:      map[string][]goimap.MailboxAttr{},
		subscribed: map[string]bool{},
		noSelect:   map[string]bool{},
	}
	mem := imapmemserver.New()
	ts.user = imapmemserver.NewUser(testUser, testPass)
	mem.AddUser(ts.user)
	ts.create(t, "INBOX")
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &testSession{Session: mem.NewSession(), ts: ts}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ts
}

// create makes a mailbox (server name, "/"-separated) with attributes;
// it is subscribed.
func (ts *testServer) create(t testing.TB, name string, attrs ...goimap.MailboxAttr) {
	t.Helper()
	if err := ts.user.Create(name, nil); err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !slices.Contains(ts.names, name) {
		ts.names = append(ts.names, name)
	}
	ts.attrs[name] = attrs
	ts.subscribed[name] = true
}

// recreate deletes and creates a mailbox again: a new UIDVALIDITY.
func (ts *testServer) recreate(t testing.TB, name string) {
	t.Helper()
	if err := ts.user.Delete(name); err != nil {
		t.Fatal(err)
	}
	if err := ts.user.Create(name, nil); err != nil {
		t.Fatal(err)
	}
}

// add appends a message and returns its UID.
func (ts *testServer) add(t testing.TB, mailbox string, raw []byte, flags []string, date time.Time) uint32 {
	t.Helper()
	opts := &goimap.AppendOptions{Time: date}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, goimap.Flag(f))
	}
	data, err := ts.user.Append(mailbox, literal{bytes.NewReader(raw)}, opts)
	if err != nil {
		t.Fatalf("append to %q: %v", mailbox, err)
	}
	return uint32(data.UID)
}

func (ts *testServer) config() imapconn.Config { return testConfig(ts.addr, &ts.dials) }

// testConfig logs in to a test server at addr without TLS, counting
// connections in dials.
func testConfig(addr string, dials *atomic.Int32) imapconn.Config {
	return imapconn.Config{
		Addr: addr, Username: testUser, Password: testPass, TLS: imapconn.None,
		IdleTimeout: 30 * time.Second,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// stored is one message as another client sees it.
type stored struct {
	UID   uint32
	Flags []string
	Body  []byte
}

// snapshot reads a mailbox with a separate client (EXAMINE, BODY.PEEK).
func (ts *testServer) snapshot(t testing.TB, mailbox string) []stored {
	t.Helper()
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(mailbox, &goimap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("examine %q: %v", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	bufs, err := c.Fetch(goimap.SeqSet{{Start: 1, Stop: 0}}, &goimap.FetchOptions{
		UID: true, Flags: true, BodySection: []*goimap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, b := range bufs {
		st := stored{UID: uint32(b.UID), Flags: []string{}}
		for _, f := range b.Flags {
			st.Flags = append(st.Flags, string(f))
		}
		slices.Sort(st.Flags)
		if len(b.BodySection) > 0 {
			st.Body = b.BodySection[0].Bytes
		}
		out = append(out, st)
	}
	return out
}

// literal is an imap.LiteralReader over bytes.
type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// testSession answers LIST and NAMESPACE from the registry and leaves
// everything else to imapmemserver.
type testSession struct {
	imapserver.Session
	ts *testServer
}

func (s *testSession) Namespace() (*goimap.NamespaceData, error) {
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	ns := &goimap.NamespaceData{Personal: []goimap.NamespaceDescriptor{{Prefix: s.ts.personal, Delim: '/'}}}
	for _, p := range s.ts.shared {
		ns.Shared = append(ns.Shared, goimap.NamespaceDescriptor{Prefix: p, Delim: '/'})
	}
	return ns, nil
}

func (s *testSession) List(w *imapserver.ListWriter, ref string, patterns []string, options *goimap.ListOptions) error {
	if len(patterns) == 0 {
		return w.WriteList(&goimap.ListData{Attrs: []goimap.MailboxAttr{goimap.MailboxAttrNoSelect}, Delim: '/'})
	}
	ts := s.ts
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, name := range ts.names {
		if !slices.ContainsFunc(patterns, func(p string) bool { return imapserver.MatchList(name, '/', ref, p) }) {
			continue
		}
		data := &goimap.ListData{Mailbox: name, Delim: '/'}
		if ts.noSelect[name] {
			data.Attrs = append(data.Attrs, goimap.MailboxAttrNoSelect)
		}
		if options.ReturnSubscribed && ts.subscribed[name] {
			data.Attrs = append(data.Attrs, goimap.MailboxAttrSubscribed)
		}
		data.Attrs = append(data.Attrs, ts.attrs[name]...)
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// newSource builds a Source on ts and closes it when the test ends.
func newSource(t testing.TB, ts *testServer, opts Options) *Source {
	t.Helper()
	src, err := New(context.Background(), ts.config(), opts)
	if err != nil {
		t.Fatalf("New(%s) = %v", ts.addr, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// listAll lists src.
func listAll(t testing.TB, src sources.Source) []sources.Message {
	t.Helper()
	var msgs []sources.Message
	if err := src.List(context.Background(), func(m sources.Message) error {
		msgs = append(msgs, m)
		return nil
	}); err != nil {
		t.Fatalf("List() = %v", err)
	}
	return msgs
}

// readMessage opens and reads m.
func readMessage(t testing.TB, src sources.Source, m sources.Message) []byte {
	t.Helper()
	rc, err := src.Open(context.Background(), m)
	if err != nil {
		t.Fatalf("Open(%s %s) = %v", m.Mailbox, m.ID, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s %s: %v", m.Mailbox, m.ID, err)
	}
	return b
}
