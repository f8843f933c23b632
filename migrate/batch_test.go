package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/memsource"
)

// batchCorpus is the fixture corpus plus enough small messages for
// several batches.
func batchCorpus() []memsource.Message {
	msgs := corpus()
	for i := 0; i < 2*batchItems+10; i++ {
		raw := fmt.Sprintf("Message-ID: <b%d@example.org>\r\nSubject: batch %d\r\n\r\nbody %d\r\n", i, i, i)
		msgs = append(msgs, memsource.Message{Raw: []byte(raw)})
	}
	return msgs
}

func newBatchRig(t *testing.T, stream bool) (*rig, []memsource.Message) {
	msgs := batchCorpus()
	r := newRig(t, msgs...)
	r.store.Batch = true
	r.stream = stream
	return r, msgs
}

// bothReads runs a test with a source read one message at a time and
// with a sources.Streamer.
func bothReads(t *testing.T, test func(t *testing.T, stream bool)) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) { test(t, stream) })
	}
}

func TestBatchCopiesExactlyOnce(t *testing.T) {
	bothReads(t, func(t *testing.T, stream bool) {
		r, msgs := newBatchRig(t, stream)
		sum, err := r.run(Options{})
		if err != nil || !sum.OK() || sum.Copied != int64(len(msgs)) {
			t.Fatalf("Run() = %+v, %v; want %d copied", sum, err, len(msgs))
		}
		r.exactlyOnce(msgs)
		if max := len(msgs)/batchItems + 3; r.store.Batches > max {
			t.Errorf("Run() stored %d messages in %d batches, want at most %d", len(msgs), r.store.Batches, max)
		}
		sum, err = r.run(Options{})
		if err != nil || sum.Copied != 0 || sum.AlreadyThere != int64(len(msgs)) {
			t.Fatalf("rerun = copied %d, already %d, %v; want 0, %d", sum.Copied, sum.AlreadyThere, err, len(msgs))
		}
		r.exactlyOnce(msgs)
	})
}

func TestBatchNoBatchOption(t *testing.T) {
	bothReads(t, func(t *testing.T, stream bool) {
		r, msgs := newBatchRig(t, stream)
		if sum, err := r.run(Options{NoBatch: true}); err != nil || !sum.OK() {
			t.Fatalf("Run(NoBatch) = %+v, %v", sum, err)
		}
		r.exactlyOnce(msgs)
		if r.store.Batches != 0 {
			t.Errorf("Run(NoBatch) used %d batches, want 0", r.store.Batches)
		}
	})
}

func TestBatchLostReplyIsNotDuplicated(t *testing.T) {
	bothReads(t, func(t *testing.T, stream bool) {
		r, msgs := newBatchRig(t, stream)
		r.store.FailAppend = func(n int) (error, error) {
			switch n {
			case 0: // stored, but the reply never came
				return nil, errors.New("connection reset")
			case 2: // refused before storing
				return errors.New("connection reset"), nil
			}
			return nil, nil
		}
		sum, err := r.run(Options{})
		if err != nil || !sum.OK() {
			t.Fatalf("Run() = %+v, %v", sum, err)
		}
		if sum.AlreadyThere == 0 || sum.Copied+sum.AlreadyThere != int64(len(msgs)) {
			t.Errorf("Run() = copied %d, already there %d; want the lost batch found again, %d in all", sum.Copied, sum.AlreadyThere, len(msgs))
		}
		r.exactlyOnce(msgs)
	})
}

func TestBatchCrashAtEveryBatch(t *testing.T) {
	bothReads(t, func(t *testing.T, stream bool) {
		for k := 0; k < 3; k++ {
			for _, stored := range []bool{false, true} {
				r, msgs := newBatchRig(t, stream)
				r.store.FailAppend = func(n int) (error, error) {
					if n != k {
						return nil, nil
					}
					crash := sources.Permanent(errors.New("killed"))
					if stored {
						return nil, crash
					}
					return crash, nil
				}
				if _, err := r.run(Options{}); err == nil {
					t.Fatalf("crash at batch %d: Run() = nil error", k)
				}
				r.store.FailAppend = nil
				if sum, err := r.run(Options{}); err != nil || !sum.OK() {
					t.Fatalf("rerun after crash at batch %d (stored %v): %v", k, stored, err)
				}
				r.exactlyOnce(msgs)
			}
		}
	})
}

func TestBatchRefusedMessageFailsAlone(t *testing.T) {
	bothReads(t, func(t *testing.T, stream bool) {
		r, msgs := newBatchRig(t, stream)
		bad := []byte("Subject: batch 7\r\n")
		r.store.Refuse = func(raw []byte) bool { return bytes.Contains(raw, bad) }
		sum, err := r.run(Options{})
		if err != nil || len(sum.Failed) != 1 || sum.Copied != int64(len(msgs)-1) {
			t.Fatalf("Run() = copied %d, failed %v, %v; want %d copied and the refused one failed", sum.Copied, sum.Failed, err, len(msgs)-1)
		}
		for _, s := range r.store.Mailbox("INBOX") {
			if bytes.Contains(s.Raw, bad) {
				t.Errorf("the refused message is on the target")
			}
		}
	})
}

func TestStreamCutMidChunk(t *testing.T) {
	r, msgs := newBatchRig(t, true)
	// The stream breaks inside a message of the first chunk, then a whole
	// Open fails: the rest of the chunk goes one by one.
	r.box.CutAfter = func(i, opens int) int64 {
		if opens == 3 {
			return 10
		}
		return -1
	}
	r.box.FailOpen = func(i, opens int) error {
		if opens == 70 {
			return errors.New("connection reset")
		}
		return nil
	}
	sum, err := r.run(Options{})
	if err != nil || !sum.OK() {
		t.Fatalf("Run() = %+v, %v", sum, err)
	}
	r.exactlyOnce(msgs)
}

func TestStreamTargetFailsMidChunk(t *testing.T) {
	r, msgs := newBatchRig(t, true)
	r.store.Batch = false // every message is its own append, inside the stream
	r.store.FailAppend = func(n int) (error, error) {
		switch n {
		case 5:
			return nil, errors.New("connection reset") // stored, reply lost
		case 9:
			return errors.New("connection reset"), nil
		}
		return nil, nil
	}
	sum, err := r.run(Options{})
	if err != nil || !sum.OK() {
		t.Fatalf("Run() = %+v, %v", sum, err)
	}
	r.exactlyOnce(msgs)
}

func TestEmptyDeliveryIsRefused(t *testing.T) {
	// Like go-imap's memory server with a message without a header: the
	// size says 40000 bytes, BODY[] is empty.
	msgs := append(corpus(), memsource.Message{Raw: []byte{}, WrongSize: 40000})
	r := newRig(t, msgs...)
	sum, err := r.run(Options{})
	if err != nil || len(sum.Failed) != 1 || sum.Copied != int64(len(msgs)-1) {
		t.Fatalf("Run() with a source serving an empty message = copied %d, failed %v, %v; want that one failed", sum.Copied, sum.Failed, err)
	}
}

func TestSettleWaitsForLateCommit(t *testing.T) {
	bothReads(t, func(t *testing.T, stream bool) {
		r, msgs := newBatchRig(t, stream)
		// The first batch's bytes all reached the server, then the
		// process died; the server commits the batch 100 ms later, after
		// the rerun has started.
		r.store.Late = func(n int) (time.Duration, error) {
			if n == 0 {
				return 100 * time.Millisecond, sources.Permanent(errors.New("killed"))
			}
			return 0, nil
		}
		if _, err := r.run(Options{Settle: 400 * time.Millisecond}); err == nil {
			t.Fatal("Run() with the process killed = nil error")
		}
		r.store.Late = nil
		sum, err := r.run(Options{Settle: 400 * time.Millisecond})
		if err != nil || !sum.OK() {
			t.Fatalf("rerun = %+v, %v", sum, err)
		}
		time.Sleep(150 * time.Millisecond) // nothing may land after the rerun either
		r.exactlyOnce(msgs)
	})
}
