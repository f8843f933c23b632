package localtarget

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/mailferry/mailferry/sources"
)

// fsError wraps a file system error (which names its path) with what
// was being done. A full disk, an exceeded quota, a read-only file
// system or a refused permission will not go away by retrying, so those
// are Permanent and say what to do.
func fsError(what string, err error) error {
	var hint string
	switch {
	case errors.Is(err, syscall.ENOSPC):
		hint = "the disk is full: free some space and run again"
	case errors.Is(err, syscall.EDQUOT):
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

// faultWriter runs the Fault hook before each write to a file.
type faultWriter struct {
	w     interface{ Write([]byte) (int, error) }
	path  string
	fault func(op, path string) error
	n     int64
	err   error // the first write error
}

func (f *faultWriter) Write(p []byte) (int, error) {
	if f.fault != nil {
		if err := f.fault("write", f.path); err != nil {
			f.err = err
			return 0, err
		}
	}
	n, err := f.w.Write(p)
	f.n += int64(n)
	if err != nil && f.err == nil {
		f.err = err
	}
	return n, err
}
