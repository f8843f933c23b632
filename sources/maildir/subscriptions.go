package maildir

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// readSubscriptions reads the subscribed folder names from Dovecot's
// "subscriptions" file (version 2: hierarchy levels separated by TAB; older
// files use the layout's separator) or, failing that, Courier's
// "courierimapsubscribed" ("INBOX.Sent"). ok is false if neither exists.
func readSubscriptions(root string, layout Layout) (subs map[string]bool, ok bool) {
	sep := "."
	if layout == LayoutFS {
		sep = "/"
	}
	for _, file := range []string{"subscriptions", "courierimapsubscribed"} {
		f, err := os.Open(filepath.Join(root, file))
		if err != nil {
			continue
		}
		defer f.Close()
		subs = map[string]bool{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			if line == "" || strings.HasPrefix(line, "V\t") {
				continue
			}
			var parts []string
			if strings.Contains(line, "\t") {
				parts = strings.Split(line, "\t")
			} else {
				if file == "courierimapsubscribed" {
					line = strings.TrimPrefix(line, "INBOX.")
				}
				parts = strings.Split(line, sep)
			}
			for i, p := range parts {
				parts[i] = decodeName(p)
			}
			subs[strings.Join(parts, "/")] = true
		}
		return subs, true
	}
	return nil, false
}
