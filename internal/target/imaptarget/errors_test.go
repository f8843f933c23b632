package imaptarget

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/internal/target/imaptarget/imaptest"
	"github.com/mailferry/mailferry/sources"
)

func TestAppendRefused(t *testing.T) {
	var refuse *imap.Error
	s := imaptest.NewServerOptions(t, imaptest.Options{AppendHook: func(string) error {
		if refuse == nil {
			return nil
		}
		return refuse
	}})
	tg := dial(t, s.Addr)
	raw := message("refused", "x\r\n")

	refuse = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "too big"}
	_, err := appendBytes(t, tg, "INBOX", raw, nil, time.Now())
	var me *sources.MessageError
	if !errors.As(err, &me) || me.Location != "INBOX" {
		t.Errorf("Append(NO [TOOBIG]) = %v, want a MessageError at INBOX", err)
	}

	refuse = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "quota exceeded"}
	_, err = appendBytes(t, tg, "INBOX", raw, nil, time.Now())
	if !sources.IsPermanent(err) || !strings.Contains(err.Error(), "over quota") {
		t.Errorf("Append(NO [OVERQUOTA]) = %v, want a permanent over-quota error", err)
	}

	refuse = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "try later"}
	_, err = appendBytes(t, tg, "INBOX", raw, nil, time.Now())
	if err == nil || sources.IsPermanent(err) || errors.As(err, &me) {
		t.Errorf("Append(NO [UNAVAILABLE]) = %v, want a temporary error", err)
	}

	refuse = nil
	if _, err := appendBytes(t, tg, "INBOX", raw, nil, time.Now()); err != nil {
		t.Errorf("Append() after refusals = %v, want nil", err)
	}
	if got := imaptest.Fetch(t, s.Addr, imaptest.Username, imaptest.Password, "INBOX"); len(got) != 1 {
		t.Errorf("INBOX has %d messages, want 1", len(got))
	}
}

func TestAppendRefusedSyncLiteral(t *testing.T) {
	// Without LITERAL+ the client waits for "+"; go-imap closes the
	// connection when the server answers NO instead. The Target reports
	// the message error and redials for the next message.
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}
	s := imaptest.NewServerOptions(t, imaptest.Options{Caps: caps, AppendLimit: 300})
	tg := dial(t, s.Addr)
	tg.ignoreAppendLimit = true // let the server answer NO [TOOBIG] to "{n}"
	big := message("big", strings.Repeat("x", 400))
	_, err := appendBytes(t, tg, "INBOX", big, nil, time.Now())
	var me *sources.MessageError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "TOOBIG") {
		t.Errorf("Append(refused before literal) = %v, want a MessageError with TOOBIG", err)
	}
	raw := message("small", "x\r\n")
	if _, err := appendBytes(t, tg, "INBOX", raw, nil, time.Now()); err != nil {
		t.Fatalf("Append(sync literal) after refusal = %v, want nil", err)
	}
	got := imaptest.Fetch(t, s.Addr, imaptest.Username, imaptest.Password, "INBOX")
	if len(got) != 1 {
		t.Errorf("INBOX has %d messages, want 1", len(got))
	}
}

func TestDroppedKeywords(t *testing.T) {
	s := imaptest.NewServerOptions(t, imaptest.Options{NoKeywords: true})
	tg := dial(t, s.Addr)
	raw := message("keywords", "x\r\n")
	flags := []string{`\Seen`, "$Forwarded", `\Junk`, "bad word", `\Answered`}
	if _, err := appendBytes(t, tg, "INBOX", raw, flags, time.Now()); err != nil {
		t.Fatalf("Append() = %v", err)
	}
	got := imaptest.Fetch(t, s.Addr, imaptest.Username, imaptest.Password, "INBOX")
	stored := slices.Clone(got[0].Flags)
	slices.Sort(stored)
	if want := []string{`\Answered`, `\Seen`}; !slices.Equal(stored, want) {
		t.Errorf("stored flags = %v, want %v", stored, want)
	}
	if d, want := tg.DroppedFlags(), []string{"$Forwarded", "\\Junk", "bad word"}; !slices.Equal(d, want) {
		t.Errorf("DroppedFlags() = %q, want %q", d, want)
	}
}

func TestDialerTypedNil(t *testing.T) {
	cfg := config("127.0.0.1:1") // nothing listens there
	tg, err := Dialer(cfg)(context.Background())
	if err == nil || tg != nil {
		t.Errorf("Dialer(unreachable)() = %v, %v, want nil target and an error", tg, err)
	}
}
