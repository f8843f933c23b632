//go:build unix && !linux

package dovecottest

import "syscall"

// procAttr puts dovecot into its own process group, so Stop can signal
// the master and every child at once.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
