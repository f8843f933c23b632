//go:build !unix

package maildir

func isQuota(err error) bool { return false }
