package maildir

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/mailferry/mailferry/sources"
)

func TestFSError(t *testing.T) {
	for _, tt := range []struct {
		errno     syscall.Errno
		permanent bool
		hint      string
	}{
		{syscall.ENOSPC, true, "disk is full"},
		{syscall.EROFS, true, "read-only"},
		{syscall.EACCES, true, "permission denied"},
		{syscall.EIO, false, ""},
	} {
		err := fsError("deliver to \"INBOX\"", &fs.PathError{Op: "write", Path: "/b/tmp/1.M1", Err: tt.errno})
		msg := err.Error()
		if sources.IsPermanent(err) != tt.permanent || !strings.Contains(msg, "/b/tmp/1.M1") || !strings.Contains(msg, tt.hint) {
			t.Errorf("fsError(%v) = %q (permanent %v), want the path, %q, permanent %v", tt.errno, msg, sources.IsPermanent(err), tt.hint, tt.permanent)
		}
	}
}
