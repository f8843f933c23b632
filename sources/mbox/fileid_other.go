//go:build !unix

package mbox

import "os"

// fileNode returns zeros where the system has no device and inode
// numbers; size, mtime and the digests then identify a file.
func fileNode(fi os.FileInfo) (dev, ino uint64) { return 0, 0 }
