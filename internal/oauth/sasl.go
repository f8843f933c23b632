package oauth

import (
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// SASL mechanism names.
const (
	MechOAuthBearer = "OAUTHBEARER" // RFC 7628
	MechXOAuth2     = "XOAUTH2"     // Google's and Microsoft's older mechanism
)

// ChooseMechanism picks the SASL mechanism for a token login from what
// the server offers: forced ("xoauth2" or "oauthbearer", from ?auth=)
// if given, else OAUTHBEARER, else XOAUTH2. offers reports whether the
// server advertises a mechanism.
func ChooseMechanism(forced string, offers func(mech string) bool) (string, error) {
	switch strings.ToUpper(forced) {
	case MechOAuthBearer:
		return MechOAuthBearer, nil
	case MechXOAuth2:
		return MechXOAuth2, nil
	case "":
	default:
		return "", fmt.Errorf("auth=%s cannot be used with an oauth token; use auth=xoauth2 or auth=oauthbearer", forced)
	}
	switch {
	case offers(MechOAuthBearer):
		return MechOAuthBearer, nil
	case offers(MechXOAuth2):
		return MechXOAuth2, nil
	}
	return "", fmt.Errorf("server offers neither OAUTHBEARER nor XOAUTH2; it does not accept oauth tokens, use a password")
}

// NewSASLClient returns the SASL client for mech (MechOAuthBearer or
// MechXOAuth2) logging in user with token. host and port go into
// OAUTHBEARER's optional fields ("" and 0 leave them out).
func NewSASLClient(mech, user, token, host string, port int) sasl.Client {
	if mech == MechOAuthBearer {
		return oauthBearerClient{sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token, Host: host, Port: port})}
	}
	return &xoauth2Client{user: user, token: token}
}

// oauthBearerClient is go-sasl's OAUTHBEARER client, except that it
// answers the server's error challenge with the %x01 response RFC 7628
// asks for, so that the server ends the exchange with a NO/-ERR the
// caller can classify (go-sasl returns an error there, which leaves
// the IMAP or POP3 command unfinished and the connection unusable).
type oauthBearerClient struct{ sasl.Client }

func (c oauthBearerClient) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }

// NewXOAuth2Client returns a SASL XOAUTH2 client (go-sasl has only
// OAUTHBEARER).
func NewXOAuth2Client(user, token string) sasl.Client {
	return &xoauth2Client{user: user, token: token}
}

type xoauth2Client struct{ user, token string }

func (x *xoauth2Client) Start() (string, []byte, error) {
	return MechXOAuth2, []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON status) with an
// empty response, as the mechanism requires; the server then fails the
// command with its text.
func (x *xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }

// ParseXOAuth2 splits an XOAUTH2 initial response into user and token,
// for test servers.
func ParseXOAuth2(ir []byte) (user, token string, ok bool) {
	for _, f := range strings.Split(string(ir), "\x01") {
		switch {
		case strings.HasPrefix(f, "user="):
			user = f[len("user="):]
		case strings.HasPrefix(f, "auth=Bearer "):
			token = f[len("auth=Bearer "):]
		}
	}
	return user, token, user != "" && token != ""
}
