package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig returns the TLS settings for a network endpoint: the server
// name is Host, TLS 1.2 is the minimum, the system roots are trusted plus
// the certificates in CAFile, and verification is skipped only when
// Insecure is set. It is also returned for StartTLS and None endpoints, for
// callers that upgrade the connection.
func (e *Endpoint) TLSConfig() (*tls.Config, error) {
	if e.IsLocal() {
		return nil, errors.New(e.Scheme + " endpoints have no TLS settings")
	}
	cfg := &tls.Config{
		ServerName:         e.Host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: e.Insecure,
	}
	if e.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(e.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read ca file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s holds no PEM certificate; give the server's certificate or its CA in PEM form", e.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
