package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

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

func newBatchRig(t *testing.T) (*rig, []memsource.Message) {
	msgs := batchCorpus()
	r := newRig(t, msgs...)
	r.store.Batch = true
	return r, msgs
}

func TestBatchCopiesExactlyOnce(t *testing.T) {
	r, msgs := newBatchRig(t)
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
}

func TestBatchNoBatchOption(t *testing.T) {
	r, msgs := newBatchRig(t)
	if sum, err := r.run(Options{NoBatch: true}); err != nil || !sum.OK() {
		t.Fatalf("Run(NoBatch) = %+v, %v", sum, err)
	}
	r.exactlyOnce(msgs)
	if r.store.Batches != 0 {
		t.Errorf("Run(NoBatch) used %d batches, want 0", r.store.Batches)
	}
}

func TestBatchLostReplyIsNotDuplicated(t *testing.T) {
	r, msgs := newBatchRig(t)
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
}

func TestBatchCrashAtEveryBatch(t *testing.T) {
	for k := 0; k < 3; k++ {
		for _, stored := range []bool{false, true} {
			r, msgs := newBatchRig(t)
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
}

func TestBatchRefusedMessageFailsAlone(t *testing.T) {
	r, msgs := newBatchRig(t)
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
}
