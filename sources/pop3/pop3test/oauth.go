package pop3test

import (
	"encoding/base64"
	"strings"
)

// TokenCheck decides whether an OAuth access token is valid for user.
type TokenCheck func(user, token string) bool

// WithOAuth makes the server accept only SASL logins with an OAuth
// access token, with the mechanisms mechs ("XOAUTH2", "OAUTHBEARER"),
// advertised in CAPA in that order; USER/PASS and AUTH PLAIN are
// refused. A token is accepted when valid says so and the user is the
// server's user. A refused token gets the mechanism's error challenge
// and then "-ERR [AUTH]", as Gmail and Outlook answer.
func WithOAuth(valid TokenCheck, mechs ...string) Option {
	return func(s *Server) {
		s.tokenOK = valid
		s.oauthMechs = nil
		for _, m := range mechs {
			s.oauthMechs = append(s.oauthMechs, strings.ToUpper(m))
		}
	}
}

// oauthMech reports whether the server takes mech as a token mechanism.
func (s *Server) oauthMech(mech string) bool {
	for _, m := range s.oauthMechs {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// TokenLogins returns the number of successful token logins.
func (s *Server) TokenLogins() int { s.mu.Lock(); defer s.mu.Unlock(); return s.tokenLogins }

// RefusedTokens returns the number of refused token logins.
func (s *Server) RefusedTokens() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refusedTokens }

// tokenAuth runs an XOAUTH2 or OAUTHBEARER exchange whose initial
// response is ir (base64, or "" to ask for it).
func (ss *session) tokenAuth(mech, ir string) {
	if ir == "" {
		ss.reply("+ ")
		line, err := ss.br.ReadString('\n')
		if err != nil {
			return
		}
		ir = strings.TrimRight(line, "\r\n")
	}
	b, err := base64.StdEncoding.DecodeString(ir)
	if err != nil {
		ss.reply("-ERR [AUTH] malformed %s response", mech)
		return
	}
	user, token := parseBearer(string(b))
	s := ss.s
	s.mu.Lock()
	ok := user == s.user && token != "" && s.tokenOK(user, token)
	if ok {
		s.logins++
		s.tokenLogins++
		ss.box = append([]*entry{}, s.msgs...)
		ss.deleted = make([]bool, len(ss.box))
	} else {
		s.refusedTokens++
	}
	s.mu.Unlock()
	if ok {
		ss.reply("+OK maildrop has %d messages", len(ss.box))
		return
	}
	challenge := base64.StdEncoding.EncodeToString([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	ss.reply("+ %s", challenge)
	if _, err := ss.br.ReadString('\n'); err != nil {
		return
	}
	ss.reply("-ERR [AUTH] invalid credentials")
}

// parseBearer reads the user and token of an XOAUTH2 ("user=U\x01auth=
// Bearer T\x01\x01") or OAUTHBEARER ("n,a=U,\x01auth=Bearer T\x01\x01")
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
