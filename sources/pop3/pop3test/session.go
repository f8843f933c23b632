package pop3test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strings"
)

// session is one client connection.
type session struct {
	s      *Server
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	secure bool

	user    string   // from USER
	held    []string // RETR arguments read but not yet answered (HoldRetrs)
	box     []*entry // snapshot taken at login; nil before
	deleted []bool
}

func newSession(s *Server, conn net.Conn) *session {
	_, secure := conn.(*tls.Conn)
	ss := &session{s: s, conn: conn, secure: secure}
	ss.setConn(conn)
	return ss
}

func (ss *session) setConn(conn net.Conn) {
	ss.conn = conn
	ss.br = bufio.NewReader(conn)
	ss.bw = bufio.NewWriter(conn)
}

func (ss *session) reply(format string, args ...any) {
	fmt.Fprintf(ss.bw, format+"\r\n", args...)
	ss.bw.Flush()
}

// run serves commands until QUIT or a dropped connection.
func (ss *session) run() {
	ss.s.mu.Lock()
	stall := ss.s.stall["GREETING"]
	ss.s.mu.Unlock()
	if stall {
		io.Copy(io.Discard, ss.conn)
		return
	}
	ss.reply("+OK mailferry pop3test server ready")
	for {
		line, err := ss.br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if verb == "RETR" {
			if took, full := ss.hold(arg); took {
				if full && !ss.release() {
					return
				}
				continue
			}
		}
		if !ss.release() || !ss.handle(verb, arg) {
			return
		}
	}
}

// handle runs one command line, with the injected faults; false ends
// the session.
func (ss *session) handle(verb, arg string) bool {
	ss.s.mu.Lock()
	stall, fail := ss.s.stall[verb], ss.s.errOn[verb]
	ss.s.mu.Unlock()
	switch {
	case stall:
		io.Copy(io.Discard, ss.conn)
		return false
	case fail && verb == "QUIT":
		ss.reply("-ERR [SYS/TEMP] injected fault for QUIT, nothing committed")
		return false
	case fail:
		ss.reply("-ERR injected fault for %s", verb)
		return true
	}
	return ss.command(verb, arg)
}

// command runs one command; false ends the session.
func (ss *session) command(verb, arg string) bool {
	switch verb {
	case "CAPA":
		ss.capa()
		return true
	case "NOOP":
		ss.reply("+OK")
		return true
	case "QUIT":
		ss.quit()
		return false
	}
	if ss.box == nil {
		return ss.authorization(verb, arg)
	}
	return ss.transaction(verb, arg)
}

func (ss *session) capa() {
	caps := []string{"TOP", "USER", "RESP-CODES", "AUTH-RESP-CODE"}
	if ss.s.pipelining {
		caps = append(caps, "PIPELINING")
	}
	if !ss.s.noUIDL {
		caps = append(caps, "UIDL")
	}
	switch {
	case ss.box == nil && ss.s.tokenOK != nil:
		caps = append(caps, "SASL "+strings.Join(ss.s.oauthMechs, " "))
	case ss.box == nil && !ss.s.noSASL:
		caps = append(caps, "SASL PLAIN")
	}
	if ss.box == nil && !ss.secure && !ss.s.noSTLS {
		caps = append(caps, "STLS")
	}
	ss.reply("+OK capability list follows\r\n%s\r\n.", strings.Join(caps, "\r\n"))
}

func (ss *session) authorization(verb, arg string) bool {
	switch verb {
	case "USER":
		ss.user = arg
		ss.reply("+OK")
	case "PASS":
		ss.login(ss.user, arg)
	case "AUTH":
		ss.auth(arg)
	case "STLS":
		if ss.secure || ss.s.noSTLS {
			ss.reply("-ERR STLS not available")
			return true
		}
		ss.reply("+OK begin TLS negotiation")
		tc := tls.Server(ss.conn, ss.s.tlsConfig)
		if err := tc.Handshake(); err != nil {
			return false
		}
		ss.secure, ss.user = true, ""
		ss.setConn(tc)
	default:
		ss.reply("-ERR [AUTH] command %s not valid before login", verb)
	}
	return true
}

// auth handles AUTH PLAIN with or without an initial response.
func (ss *session) auth(arg string) {
	mech, ir, hasIR := strings.Cut(arg, " ")
	if ss.s.tokenOK != nil {
		if !ss.s.oauthMech(mech) {
			ss.reply("-ERR unsupported authentication mechanism")
			return
		}
		ss.tokenAuth(strings.ToUpper(mech), ir)
		return
	}
	if ss.s.noSASL || !strings.EqualFold(mech, "PLAIN") {
		ss.reply("-ERR unsupported authentication mechanism")
		return
	}
	if !hasIR {
		ss.reply("+ ")
		line, err := ss.br.ReadString('\n')
		if err != nil {
			return
		}
		ir = strings.TrimRight(line, "\r\n")
	}
	if ir == "*" {
		ss.reply("-ERR authentication cancelled")
		return
	}
	if ir == "=" {
		ir = ""
	}
	b, err := base64.StdEncoding.DecodeString(ir)
	parts := bytes.Split(b, []byte{0})
	if err != nil || len(parts) != 3 {
		ss.reply("-ERR [AUTH] malformed PLAIN response")
		return
	}
	ss.login(string(parts[1]), string(parts[2]))
}

func (ss *session) login(user, pass string) {
	s := ss.s
	s.mu.Lock()
	ok := user != "" && user == s.user && pass == s.password && s.tokenOK == nil
	if ok {
		s.logins++
		ss.box = append([]*entry{}, s.msgs...)
		ss.deleted = make([]bool, len(ss.box))
	}
	s.mu.Unlock()
	if !ok {
		ss.reply("-ERR [AUTH] invalid user name or password")
		return
	}
	ss.reply("+OK maildrop has %d messages", len(ss.box))
}

// quit ends the session, committing deletions if logged in.
func (ss *session) quit() {
	if ss.box == nil {
		ss.reply("+OK bye")
		return
	}
	s := ss.s
	s.mu.Lock()
	gone := map[*entry]bool{}
	for i, d := range ss.deleted {
		if d {
			gone[ss.box[i]] = true
		}
	}
	kept := s.msgs[:0:0]
	for _, e := range s.msgs {
		if !gone[e] {
			kept = append(kept, e)
		}
	}
	s.committed += len(s.msgs) - len(kept)
	s.msgs = kept
	s.mu.Unlock()
	ss.reply("+OK bye, %d messages deleted", len(gone))
}
