//go:build !unix

package dovecottest

import "syscall"

// procAttr has nothing to add where Dovecot does not run.
func procAttr() *syscall.SysProcAttr { return nil }

// signalGroup does nothing where Dovecot does not run.
func signalGroup(pid int, sig syscall.Signal) {}

// groupAlive reports false where Dovecot does not run.
func groupAlive(pid int) bool { return false }
