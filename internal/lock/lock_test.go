package lock

import (
	"errors"
	"testing"
)

func TestAcquireExcludes(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, "job")
	if err != nil {
		t.Fatalf("Acquire() = %v", err)
	}
	// flock locks belong to open file descriptions, so a second Acquire
	// in the same process conflicts just like another process would.
	if _, err := Acquire(dir, "job"); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Acquire() = %v, want ErrBusy", err)
	}
	other, err := Acquire(dir, "other job")
	if err != nil {
		t.Fatalf("Acquire(other) = %v", err)
	}
	other.Release()
	a.Release()
	b, err := Acquire(dir, "job")
	if err != nil {
		t.Fatalf("Acquire() after Release = %v", err)
	}
	b.Release()
}
