package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/mailferry/mailferry/sources"
)

// fsError is FSError for this package's own operations.
func fsError(what string, err error) error { return FSError("maildir: "+what, err) }

// FSError wraps a file system error (which names its path) with what
// was being done. A full disk, an exceeded quota, a read-only file
// system or a refused permission will not go away by retrying, so those
// are sources.Permanent and say what to do. Every local store uses it.
func FSError(what string, err error) error {
	var hint string
	switch {
	case errors.Is(err, syscall.ENOSPC):
		hint = "the disk is full: free some space and run again"
	case isQuota(err):
		hint = "the disk quota is exceeded: free some space and run again"
	case errors.Is(err, syscall.EROFS):
		hint = "the file system is read-only: choose a writable backup directory"
	case errors.Is(err, fs.ErrPermission):
		hint = "permission denied: check the owner and mode of the backup directory"
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
	return sources.Permanent(fmt.Errorf("%s: %w (%s)", what, err, hint))
}

// syncUnsupported reports whether a directory sync failed only because
// the file system cannot sync directories.
func syncUnsupported(err error) bool {
	return errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EINVAL)
}
