package oauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// ServiceAccount is a Google service account key file (the JSON
// downloaded from the Cloud console), with domain-wide delegation
// granted to its client id in the Workspace admin console.
type ServiceAccount struct {
	Email    string `json:"client_email"`
	KeyID    string `json:"private_key_id"`
	TokenURL string `json:"token_uri"`
	key      *rsa.PrivateKey
}

// LoadServiceAccount reads and checks a service account key file.
func LoadServiceAccount(path string) (*ServiceAccount, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, sources.Permanent(fmt.Errorf("read service account key: %w", err))
	}
	var raw struct {
		Type       string `json:"type"`
		PrivateKey string `json:"private_key"`
		ServiceAccount
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, sources.Permanent(fmt.Errorf("service account key %s is not JSON: %v", path, err))
	}
	sa := raw.ServiceAccount
	if raw.Type != "" && raw.Type != "service_account" || sa.Email == "" || raw.PrivateKey == "" {
		return nil, sources.Permanent(fmt.Errorf("%s is not a service account key (want the JSON key file with client_email and private_key)", path))
	}
	if sa.TokenURL == "" {
		sa.TokenURL = Google.TokenURL
	}
	sa.key, err = parseRSAKey(raw.PrivateKey)
	if err != nil {
		return nil, sources.Permanent(fmt.Errorf("service account key %s: %w", path, err))
	}
	return &sa, nil
}

func parseRSAKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("private_key is not PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("private_key is not an RSA key")
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("private_key is neither PKCS#8 nor PKCS#1 RSA")
	}
	return k, nil
}

// Grant returns a JWT bearer Grant (RFC 7523) acting as user (the
// "sub" claim) with scopes.
func (sa *ServiceAccount) Grant(hc *http.Client, user string, scopes ...string) Grant {
	return func(ctx context.Context) (*Token, error) {
		now := time.Now()
		assertion, err := sa.assertion(user, scopes, now)
		if err != nil {
			return nil, err
		}
		form := url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion":  {assertion},
		}
		return postForm(ctx, hc, sa.TokenURL, form)
	}
}

// assertion builds the signed JWT.
func (sa *ServiceAccount) assertion(user string, scopes []string, now time.Time) (string, error) {
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if sa.KeyID != "" {
		header["kid"] = sa.KeyID
	}
	claims := map[string]any{
		"iss":   sa.Email,
		"sub":   user,
		"scope": strings.Join(scopes, " "),
		"aud":   sa.TokenURL,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, sa.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign service account assertion: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}
