package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Login is what "mailferry auth login" keeps for an account: enough to
// get access tokens later without a person.
type Login struct {
	Issuer   string `json:"issuer"` // "google" or "microsoft"
	User     string `json:"user"`
	ClientID string `json:"client_id"`
	// ClientSecret is kept for Google desktop clients, whose refresh
	// needs it (Google documents it as not confidential); "" otherwise.
	ClientSecret string    `json:"client_secret,omitempty"`
	RefreshToken string    `json:"refresh_token"`
	TokenURL     string    `json:"token_url"`
	Updated      time.Time `json:"updated"`
}

// Store keeps logins as files in a directory only the user can read
// (0700), one file per account (0600).
type Store struct {
	Dir string
}

// DefaultStoreDir returns the oauth directory beside the state database
// statePath.
func DefaultStoreDir(statePath string) string {
	return filepath.Join(filepath.Dir(statePath), "oauth")
}

// file returns the path of an account's login. Characters other than
// letters, digits, '.', '-', '_' and '@' are replaced so that a user
// name can never leave the directory.
func (s *Store) file(issuer, user string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '@':
			return r
		}
		return '_'
	}, strings.ToLower(user))
	clean = strings.TrimLeft(clean, ".")
	return filepath.Join(s.Dir, issuer+"-"+clean+".json")
}

// ErrNoLogin is returned by Load for an account that never logged in.
var ErrNoLogin = errors.New("no oauth login stored")

// Load returns the stored login of user at issuer, or an error wrapping
// ErrNoLogin.
func (s *Store) Load(issuer, user string) (*Login, error) {
	p := s.file(issuer, user)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s at %s (looked in %s)", ErrNoLogin, user, issuer, p)
	}
	if err != nil {
		return nil, fmt.Errorf("read oauth login: %w", err)
	}
	var l Login
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("oauth login file %s is damaged (%v); run mailferry auth login again", p, err)
	}
	if l.RefreshToken == "" {
		return nil, fmt.Errorf("oauth login file %s holds no refresh token; run mailferry auth login again", p)
	}
	return &l, nil
}

// Save writes l atomically with mode 0600, creating the directory with
// mode 0700.
func (s *Store) Save(l *Login) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("create oauth directory: %w", err)
	}
	if err := os.Chmod(s.Dir, 0o700); err != nil {
		return fmt.Errorf("protect oauth directory: %w", err)
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	p := s.file(l.Issuer, l.User)
	tmp, err := os.CreateTemp(s.Dir, ".login-*")
	if err != nil {
		return fmt.Errorf("save oauth login: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save oauth login: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save oauth login: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save oauth login: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save oauth login: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("save oauth login: %w", err)
	}
	return nil
}

// Delete removes the stored login of user at issuer, if any.
func (s *Store) Delete(issuer, user string) error {
	err := os.Remove(s.file(issuer, user))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
