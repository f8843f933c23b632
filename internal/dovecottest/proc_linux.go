package dovecottest

import "syscall"

// procAttr puts dovecot into its own process group, so Stop can signal
// the master and every child at once, and makes the kernel send SIGTERM
// to dovecot when the thread that started it exits, so a crashed test
// binary leaves no server behind. The caller keeps that thread alive with
// runtime.LockOSThread for as long as dovecot runs.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
