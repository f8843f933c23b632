//go:build !unix

package migrate

func newArena(n int) []byte { return make([]byte, 0, n) }

func freeArena([]byte) {}
