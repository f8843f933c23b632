//go:build unix

package migrate

import "syscall"

// newArena returns n bytes for a session's batch, mapped outside the Go
// heap: a buffer that lives as long as the run would otherwise count
// twice towards the garbage collector's heap goal, and so towards the
// peak memory, on every session.
func newArena(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, 0, n)
	}
	return b[:0]
}

// freeArena releases an arena from newArena; nothing may use it after.
func freeArena(b []byte) {
	if cap(b) > 0 {
		syscall.Munmap(b[:cap(b)]) // a make'd fallback fails harmlessly: EINVAL
	}
}
