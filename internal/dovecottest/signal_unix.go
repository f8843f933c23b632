//go:build unix

package dovecottest

import "syscall"

// signalGroup sends sig to every process of the group led by pid.
func signalGroup(pid int, sig syscall.Signal) {
	syscall.Kill(-pid, sig)
}
