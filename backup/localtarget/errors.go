package localtarget

import (
	bmaildir "github.com/mailferry/mailferry/backup/maildir"
)

// fsError wraps a file system error with what was being done; see
// maildir.FSError.
func fsError(what string, err error) error { return bmaildir.FSError(what, err) }

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
