package pop3test

// WithPipelining makes the server announce PIPELINING (RFC 2449) in
// CAPA. The server answers commands in the order it reads them either
// way; the capability only tells clients they may send several at once.
func WithPipelining() Option { return func(s *Server) { s.pipelining = true } }

// HoldRetrs makes the server answer no RETR until it has read n RETR
// commands in a row (or another command comes), and then answer them in
// order, until ClearFaults. A pipelining client is unaffected; a client
// that waits for each answer before sending the next RETR waits in vain
// until its idle timeout, so a test proves pipelining without a clock.
// MaxHeld reports how many RETRs were read ahead of their answers.
func (s *Server) HoldRetrs(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdRetrs = n
}

// MaxHeld returns the most RETR commands a session has read before
// answering the first of them (HoldRetrs), 0 if none was held.
func (s *Server) MaxHeld() int { s.mu.Lock(); defer s.mu.Unlock(); return s.maxHeld }

// RefuseRetr makes RETR of the message at msgIndex (0-based, message
// number msgIndex+1) answer -ERR, as for a message that another session
// deleted meanwhile, until ClearFaults. LIST and UIDL still show it.
func (s *Server) RefuseRetr(msgIndex int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[msgIndex] = true
}

// hold keeps a RETR argument unanswered if HoldRetrs is on, reporting
// whether it took it and whether enough are now held to answer them.
func (ss *session) hold(arg string) (took, full bool) {
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdRetrs <= 0 {
		return false, false
	}
	ss.held = append(ss.held, arg)
	s.maxHeld = max(s.maxHeld, len(ss.held))
	return true, len(ss.held) >= s.holdRetrs
}

// release answers the held RETRs in order; false ends the session.
func (ss *session) release() bool {
	held := ss.held
	ss.held = nil
	for _, arg := range held {
		if !ss.handle("RETR", arg) {
			return false
		}
	}
	return true
}
