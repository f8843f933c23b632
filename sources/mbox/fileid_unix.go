//go:build unix

package mbox

import (
	"os"
	"syscall"
)

// fileNode returns the device and inode numbers of a file, if the
// system has them.
func fileNode(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}
