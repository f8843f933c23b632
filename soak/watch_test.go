package soak

import (
	"crypto/sha256"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// watcher counts the messages of a mailbox on an IMAP server over one
// connection of its own, reconnecting when the server went away.
type watcher struct {
	addr, user, pass string
	c                *imapclient.Client
}

func newWatcher(addr, user, pass string) *watcher {
	return &watcher{addr: addr, user: user, pass: pass}
}

// count returns the number of messages in mailbox, 0 when it does not
// exist or the server cannot be reached.
func (w *watcher) count(mailbox string) int {
	if w.c == nil {
		c, err := imapclient.DialInsecure(w.addr, nil)
		if err != nil {
			return 0
		}
		if err := c.Login(w.user, w.pass).Wait(); err != nil {
			c.Close()
			return 0
		}
		w.c = c
	}
	st, err := w.c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil {
		if err != nil {
			if _, ok := err.(*imap.Error); !ok {
				w.close()
			}
		}
		return 0
	}
	return int(*st.NumMessages)
}

func (w *watcher) close() {
	if w.c != nil {
		w.c.Close()
		w.c = nil
	}
}
