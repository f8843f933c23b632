package oauth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// ExpiryMargin is how long before its expiry a cached access token is
// replaced: a connection opened with it has that long to log in.
const ExpiryMargin = 2 * time.Minute

// Grant fetches a new token: a refresh, a JWT bearer or a client
// credentials request, or running a command.
type Grant func(ctx context.Context) (*Token, error)

// Source hands out access tokens for one account, refreshing them as
// needed. Its methods are safe for concurrent use: every connection of a
// run shares one Source, and one refresh serves them all.
type Source struct {
	account string
	grant   Grant
	// Cache says whether a granted token is reused until it nears its
	// expiry. Token files and commands are asked every time instead.
	cache bool
	// Relogin is the advice given when the grant is revoked.
	relogin string
	now     func() time.Time

	mu     sync.Mutex
	cur    *Token
	expiry time.Time // of cur; zero if unknown
}

// SourceOptions tune a Source.
type SourceOptions struct {
	// NoCache asks the grant for every token (token files and commands,
	// which manage expiry themselves).
	NoCache bool
	// Relogin is the hint added when a refresh is refused with
	// invalid_grant, e.g. "run: mailferry auth login --provider google
	// --user alice@example.com".
	Relogin string
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// NewSource returns a Source for account (used in messages) that gets
// tokens from grant.
func NewSource(account string, grant Grant, o SourceOptions) *Source {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Source{account: account, grant: grant, cache: !o.NoCache, relogin: o.Relogin, now: now}
}

// Token returns a valid access token: the cached one if it has more
// than ExpiryMargin left, else a new one from the grant. It is the
// Token hook of imapconn.Config and pop3.Config, called on every
// (re)connection. A revoked grant gives a sources.Permanent error that
// says how to log in again.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache && s.cur != nil && (s.expiry.IsZero() || s.now().Add(ExpiryMargin).Before(s.expiry)) {
		return s.cur.AccessToken, nil
	}
	t, err := s.grant(ctx)
	if err != nil {
		if IsRevoked(err) {
			msg := fmt.Errorf("oauth login of %s is no longer valid (revoked or expired): %w", s.account, err)
			if s.relogin != "" {
				msg = fmt.Errorf("%w; %s", msg, s.relogin)
			}
			return "", sources.Permanent(msg)
		}
		return "", fmt.Errorf("getting an oauth access token for %s: %w", s.account, err)
	}
	if s.cache {
		s.cur, s.expiry = t, time.Time{}
		if t.ExpiresIn > 0 {
			s.expiry = s.now().Add(t.ExpiresIn)
		}
	}
	return t.AccessToken, nil
}

// Invalidate forgets token if it is the cached one: a server refused
// it (revoked, or expired early), so the next Token call gets a new one.
func (s *Source) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.cur.AccessToken == token {
		s.cur = nil
	}
}
