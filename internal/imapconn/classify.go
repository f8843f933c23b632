package imapconn

import (
	"errors"

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
	return PerMessage
}
