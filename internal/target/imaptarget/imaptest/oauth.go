package imaptest

import (
	"encoding/json"
	"strings"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"
)

// TokenCheck decides whether an OAuth access token is valid for user.
type TokenCheck func(user, token string) bool

// tokenSession is a session that accepts only AUTHENTICATE XOAUTH2 or
// OAUTHBEARER with a token Options.Token accepts (Options.Mechanisms,
// default both); LOGIN and AUTHENTICATE PLAIN are refused.
type tokenSession struct {
	*session
}

var _ imapserver.SessionSASL = (*tokenSession)(nil)

func (s *tokenSession) AuthenticateMechanisms() []string {
	if m := s.server.opts.Mechanisms; len(m) > 0 {
		return m
	}
	return []string{"OAUTHBEARER", "XOAUTH2"}
}

// Login refuses passwords: the server takes tokens only.
func (s *tokenSession) Login(username, password string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "use OAuth"}
}

func (s *tokenSession) Authenticate(mech string) (sasl.Server, error) {
	ok := false
	for _, m := range s.AuthenticateMechanisms() {
		ok = ok || strings.EqualFold(m, mech)
	}
	if !ok {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
	}
	return &bearerServer{s: s}, nil
}

// bearerServer checks an XOAUTH2 or OAUTHBEARER initial response. A
// refused token gets the JSON error challenge; the client's answer to
// it ends the exchange with NO [AUTHENTICATIONFAILED], as Gmail does.
type bearerServer struct {
	s      *tokenSession
	failed bool
}

func (b *bearerServer) Next(resp []byte) ([]byte, bool, error) {
	if b.failed {
		return nil, true, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials (Failure)"}
	}
	if resp == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	user, token := parseBearer(string(resp))
	srv := b.s.server
	if user != srv.opts.Username || token == "" || !srv.opts.Token(user, token) {
		srv.refusedTokens.Add(1)
		b.failed = true
		challenge, _ := json.Marshal(map[string]string{"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"})
		return challenge, false, nil
	}
	if err := b.s.session.Session.Login(srv.opts.Username, srv.opts.Password); err != nil {
		return nil, true, err
	}
	srv.tokenLogins.Add(1)
	return nil, true, nil
}

// parseBearer reads user and token from an XOAUTH2 or OAUTHBEARER
// initial response.
func parseBearer(s string) (user, token string) {
	for i, f := range strings.Split(s, "\x01") {
		switch {
		case strings.HasPrefix(f, "user="):
			user = f[len("user="):]
		case strings.HasPrefix(f, "auth=Bearer "):
			token = f[len("auth=Bearer "):]
		case i == 0 && strings.HasPrefix(f, "n,"):
			for _, g := range strings.Split(f, ",") {
				if strings.HasPrefix(g, "a=") {
					user = g[2:]
				}
			}
		}
	}
	return user, token
}

// tokenCounters count token logins (see Server.TokenLogins).
type tokenCounters struct {
	tokenLogins, refusedTokens atomic.Int64
}

// TokenLogins returns the number of successful token logins.
func (s *Server) TokenLogins() int { return int(s.tokenLogins.Load()) }

// RefusedTokens returns the number of refused token logins.
func (s *Server) RefusedTokens() int { return int(s.refusedTokens.Load()) }
