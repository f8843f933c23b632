package imapconn

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailferry/mailferry/sources"
)

// Class is what an error means for a transfer job.
type Class int

const (
	// Temporary: reconnect and retry (network errors, BYE, a server
	// saying it is busy or unavailable).
	Temporary Class = iota
	// Permanent: retrying cannot help; stop the job (login refused,
	// account over quota).
	Permanent
	// PerMessage: this message was refused (too big, unparsable); report
	// it and go on with the next one.
	PerMessage
)

// String returns the class name.
func (c Class) String() string {
	switch c {
	case Temporary:
		return "temporary"
	case Permanent:
		return "permanent"
	case PerMessage:
		return "per-message"
	}
	return "unknown"
}

// Classify maps an error from an IMAP command to a Class.
//
//   - errors already marked sources.Permanent or *sources.MessageError
//     keep their class;
//   - texts asking to slow down without a code (see Throttled) are
//     Temporary;
//   - NO [OVERQUOTA], [AUTHENTICATIONFAILED], [AUTHORIZATIONFAILED],
//     [EXPIRED], [PRIVACYREQUIRED], [CONTACTADMIN], [NOPERM] are
//     Permanent;
//   - [UNAVAILABLE], [THROTTLED], [INUSE], [SERVERBUG], [TRYCREATE] and
//     BYE are Temporary;
//   - [TOOBIG], [LIMIT], [PARSE], [CANNOT], [CORRUPTION] and any other NO
//     or BAD are PerMessage: the command failed but the connection is
//     fine. Callers whose command is not about one message (LOGIN,
//     CREATE) decide themselves what a plain NO means;
//   - everything else (I/O errors, timeouts, closed connections) is
//     Temporary.
func Classify(err error) Class {
	if err == nil {
		return Temporary
	}
	if sources.IsPermanent(err) {
		return Permanent
	}
	var me *sources.MessageError
	if errors.As(err, &me) {
		return PerMessage
	}
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return Temporary
	}
	if ie.Type == imap.StatusResponseTypeBye {
		return Temporary
	}
	switch ie.Code {
	case imap.ResponseCodeOverQuota, imap.ResponseCodeAuthenticationFailed,
		imap.ResponseCodeAuthorizationFailed, imap.ResponseCodeExpired,
		imap.ResponseCodePrivacyRequired, imap.ResponseCodeContactAdmin,
		imap.ResponseCodeNoPerm:
		return Permanent
	case imap.ResponseCodeUnavailable, "THROTTLED", imap.ResponseCodeInUse,
		imap.ResponseCodeServerBug, imap.ResponseCodeTryCreate:
		return Temporary
	}
	if Throttled(err) {
		return Temporary
	}
	return PerMessage
}

// throttleTexts are fragments of the (lower-cased) texts with which
// providers ask a client to slow down without a response code:
// Gmail's "NO [ALERT] Too many simultaneous connections. (Failure)",
// Microsoft 365's "NO Request is throttled. Suggested Backoff Time: 92
// milliseconds", "Server Unavailable. 15", "try again later".
var throttleTexts = []string{
	"too many simultaneous connections",
	"too many connections",
	"maximum number of connections",
	"throttl",
	"suggested backoff",
	"server unavailable",
	"temporarily unavailable",
	"try again later",
}

// Throttled reports whether err is a server telling the client to slow
// down or come back later: the response codes [THROTTLED],
// [UNAVAILABLE] and [INUSE], or one of the texts providers use without
// a code ("Too many simultaneous connections", "Request is throttled").
// Such errors are Temporary: the engine waits (with growing backoff,
// shown in the progress output) and reconnects.
func Throttled(err error) bool {
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return false
	}
	switch ie.Code {
	case "THROTTLED", imap.ResponseCodeUnavailable, imap.ResponseCodeInUse:
		return true
	case imap.ResponseCodeOverQuota:
		return false
	}
	text := strings.ToLower(ie.Text)
	for _, t := range throttleTexts {
		if strings.Contains(text, t) {
			return true
		}
	}
	return false
}

// DailyLimit reports whether err is a provider's daily or bandwidth
// limit, such as Gmail's "NO [OVERQUOTA] Account exceeded command or
// bandwidth limits": the account is not full, the run must stop and be
// rerun later (the next day); the journal makes the rerun continue
// where this one stopped. Such errors are Permanent (they stop the job).
func DailyLimit(err error) bool {
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeOverQuota {
		return false
	}
	text := strings.ToLower(ie.Text)
	for _, t := range []string{"bandwidth", "daily", "per day", "command or", "rate limit", "exceeded command"} {
		if strings.Contains(text, t) {
			return true
		}
	}
	return false
}

// DailyLimitHint is the advice to show with a DailyLimit error.
const DailyLimitHint = "the provider's daily transfer limit was reached; nothing is lost: run the same command again tomorrow and it continues where it stopped"
