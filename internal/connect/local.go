package connect

import (
	"fmt"

	"github.com/mailferry/mailferry/backup/localtarget"
	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/sources/maildir"
)

// LocalOptions say how a backup or archive is written to local storage.
type LocalOptions struct {
	// ByYear files each message under "<year>/<folder>" by its date.
	ByYear bool
	// Compress compresses mbox files: "" (none), "gzip" or "zstd".
	Compress string
}

// LocalTarget returns a dialer for a maildir: or mbox: backup target.
// Every session shares one store; nothing is created before the first
// dial.
func LocalTarget(ep *endpoint.Endpoint, opts LocalOptions) (target.Dialer, error) {
	o := localtarget.Options{ByYear: opts.ByYear, Compress: opts.Compress}
	switch ep.Scheme {
	case endpoint.Maildir:
		if opts.Compress != "" {
			return nil, fmt.Errorf("%s: a Maildir backup cannot be compressed; use an mbox: target", ep)
		}
		o.Format, o.Layout = localtarget.FormatMaildir, maildir.Layout(ep.Layout)
	case endpoint.Mbox:
		if ep.Format != "" && ep.Format != "mboxrd" {
			return nil, fmt.Errorf("%s: backups are written as mboxrd, the only variant that keeps every message intact; drop ?format=%s", ep, ep.Format)
		}
		switch opts.Compress {
		case localtarget.CompressNone, localtarget.CompressGzip, localtarget.CompressZstd:
		default:
			return nil, fmt.Errorf("%s: unknown compression %q (want gzip or zstd)", ep, opts.Compress)
		}
		o.Format = localtarget.FormatMbox
	default:
		return nil, fmt.Errorf("%s: not a local target; backups go to maildir:PATH or mbox:PATH", ep)
	}
	return localtarget.Dialer(ep.Path, o), nil
}
