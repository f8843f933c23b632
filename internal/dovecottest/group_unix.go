//go:build unix && !linux

package dovecottest

import "syscall"

// groupAlive reports whether the process group led by pgid has members.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
