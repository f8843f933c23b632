package migrate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/provider"
	"github.com/mailferry/mailferry/internal/target/memtarget"
	"github.com/mailferry/mailferry/sources"
	"github.com/mailferry/mailferry/sources/memsource"
)

// TestProviderShapedFolders moves an account shaped like each provider
// (its special folders' names and roles) into an account shaped like
// each other provider: every special folder lands in the target's folder
// of the same role, whatever the two call it.
func TestProviderShapedFolders(t *testing.T) {
	for _, from := range provider.Names() {
		for _, to := range provider.Names() {
			src, _ := provider.Lookup(from)
			dst, _ := provider.Lookup(to)
			t.Run(from+"->"+to, func(t *testing.T) {
				var msgs []memsource.Message
				folders := []sources.Mailbox{{Name: "INBOX"}}
				for role, name := range src.SpecialUse {
					folders = append(folders, sources.Mailbox{Name: name, SpecialUse: []string{role}})
					msgs = append(msgs, memsource.Message{Mailbox: name, Raw: []byte(fmt.Sprintf("Subject: %s\r\n\r\nx\r\n", role))})
				}
				box := memsource.NewBox(msgs...)
				box.Folders = folders
				store := &memtarget.Store{Roles: dst.SpecialUse}
				j, err := journal.Open(t.TempDir() + "/s.db")
				if err != nil {
					t.Fatal(err)
				}
				defer j.Close()
				job := &Job{Name: "p", OpenSource: func(context.Context) (sources.Source, error) { return box.Session(), nil },
					Target: store.Dialer(), Journal: j, Options: Options{Backoff: time.Millisecond}}
				if _, err := Run(context.Background(), job); err != nil {
					t.Fatal(err)
				}
				for role := range src.SpecialUse {
					want, ok := dst.SpecialUse[role]
					if !ok {
						want = src.SpecialUse[role] // the target has no such role: same name
					}
					got := store.Mailbox(want)
					if len(got) != 1 || string(got[0].Raw) != fmt.Sprintf("Subject: %s\r\n\r\nx\r\n", role) {
						t.Errorf("%s folder %q -> target %q holds %d messages, want the %s message", role, src.SpecialUse[role], want, len(got), role)
					}
				}
			})
		}
	}
}
