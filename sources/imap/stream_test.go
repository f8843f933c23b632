package imap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources"
)

// bigMessage returns a message of about size bytes.
func bigMessage(size int) []byte {
	line := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?\r\n")
	b := append([]byte(nil), "From: big@example.com\r\nSubject: big\r\n\r\n"...)
	return append(b, bytes.Repeat(line, size/len(line))...)
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMain doubles as the big-message server of TestLargeMessageFlatHeap,
// run in a child process so that its copy of the message does not count
// in the heap measured here.
func TestMain(m *testing.M) {
	if os.Getenv(bigServerEnv) != "" {
		serveBig()
		return
	}
	os.Exit(m.Run())
}

const (
	bigServerEnv = "MAILFERRY_IMAP_SOURCE_TEST_SERVER"
	bigSize      = 20 << 20
)

// serveBig runs an in-memory server holding a 20 MB message and a small
// one, prints its address and serves until stdin closes.
func serveBig() {
	s, err := imaptest.Start("127.0.0.1:0", testUser, testPass)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for _, raw := range [][]byte{bigMessage(bigSize), msg("after")} {
		if _, err := s.User.Append("INBOX", literal{bytes.NewReader(raw)}, &goimap.AppendOptions{Time: day}); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
	fmt.Println(s.Addr)
	io.Copy(io.Discard, os.Stdin)
	s.Close()
}

// startBigServer starts serveBig in a child process and returns its
// address.
func startBigServer(t *testing.T) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), bigServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error:") {
		t.Fatalf("big-message server: %q, %v", line, err)
	}
	return strings.TrimSpace(line)
}

func TestLargeMessageFlatHeap(t *testing.T) {
	addr := startBigServer(t)
	want := sha256.Sum256(bigMessage(bigSize))
	wantSize := int64(len(bigMessage(bigSize)))
	var dialCount atomic.Int32
	src, err := New(context.Background(), testConfig(addr, &dialCount), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msgs := listAll(t, src)

	base := heapAlloc()
	rc, err := src.Open(context.Background(), msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, rc, bigSize/2); err != nil {
		t.Fatal(err)
	}
	// Halfway: the message must not be buffered on the client side.
	grown := int64(heapAlloc()) - int64(base)
	t.Logf("heap growth halfway through a 20 MB message: %d bytes", grown)
	if grown > 2<<20 {
		t.Errorf("heap grew by %d bytes halfway through a 20 MB message, want < 2 MB", grown)
	}
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) || msgs[0].Size != wantSize {
		t.Errorf("Open(20 MB) digest %x (Size %d), want %x (Size %d)", got, msgs[0].Size, want, wantSize)
	}

	// Abandon the big message early: the connection is dropped (not
	// drained) and the next Open works on a new one.
	dials := dialCount.Load()
	rc, err = src.Open(context.Background(), msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close() after a partial read = %v", err)
	}
	if got := readMessage(t, src, msgs[1]); !bytes.Equal(got, msg("after")) {
		t.Errorf("Open after abandoning a big message = %q, want the next message", got)
	}
	if d := dialCount.Load() - dials; d != 1 {
		t.Errorf("dials after abandoning a big message = %d, want 1 (the dropped connection replaced)", d)
	}
}

func TestOpenCancelled(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	ts.add(t, "INBOX", bigMessage(8<<20), nil, day)
	src := newSource(t, ts, Options{})
	msgs := listAll(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := src.Open(ctx, msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = io.Copy(io.Discard, rc)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("reading after cancel = %v, want context.Canceled", err)
	}
	rc.Close()
	// The source recovers with a new connection.
	listAll(t, src)
}

func TestConcurrentOpen(t *testing.T) {
	ts := newTestServer(t, fullCaps)
	ts.create(t, "Work")
	var want = map[string][]byte{}
	for i := range 30 {
		mb := "INBOX"
		if i%3 == 0 {
			mb = "Work"
		}
		raw := msg(fmt.Sprint("m", i))
		if i%7 == 0 {
			raw = bigMessage(300 << 10)
		}
		uid := ts.add(t, mb, raw, nil, day)
		want[fmt.Sprint(mb, uid)] = raw
	}
	s, err := NewSource(context.Background(), ts.config(), Options{Connections: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(sources.ConcurrentOpener); !ok {
		t.Fatalf("NewSource(Connections: 3) = %T, want a sources.ConcurrentOpener", s)
	}
	if _, ok := s.(sources.Deleter); !ok {
		t.Errorf("NewSource(Connections: 3) = %T, want a sources.Deleter too", s)
	}
	msgs := listAll(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, len(msgs))
	for w := range 6 {
		wg.Go(func() {
			for i := w; i < len(msgs); i += 6 {
				for range 2 {
					m := msgs[i]
					rc, err := s.Open(context.Background(), m)
					if err != nil {
						errs <- err
						return
					}
					got, err := io.ReadAll(rc)
					rc.Close()
					_, uid, _ := ParseID(m.ID)
					if err != nil || !bytes.Equal(got, want[fmt.Sprint(m.Mailbox, uid)]) {
						errs <- fmt.Errorf("Open(%s %s) = %d bytes, %v; want the stored message", m.Mailbox, m.ID, len(got), err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if d := ts.dials.Load(); d > 3 {
		t.Errorf("connections dialed = %d, want at most 3", d)
	}

	one, err := NewSource(context.Background(), ts.config(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if _, ok := one.(sources.ConcurrentOpener); ok {
		t.Errorf("NewSource(Connections: 0) = %T, want no sources.ConcurrentOpener", one)
	}
}
