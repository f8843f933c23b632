package endpoint

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for host to a PEM file.
func writeCert(t *testing.T, host string) (string, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, cert
}

func TestTLSConfig(t *testing.T) {
	e, _ := Parse("imaps://a@Mail.Example.com?insecure=true")
	cfg, err := e.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "mail.example.com" || cfg.MinVersion != tls.VersionTLS12 || !cfg.InsecureSkipVerify || cfg.RootCAs != nil {
		t.Errorf("TLSConfig() = {ServerName %q, MinVersion %x, Insecure %v, RootCAs %v}, want mail.example.com, TLS1.2, true, nil",
			cfg.ServerName, cfg.MinVersion, cfg.InsecureSkipVerify, cfg.RootCAs)
	}

	caFile, cert := writeCert(t, "mail.test")
	e, err = Parse("imaps://a@mail.test?ca=" + caFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = e.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsecureSkipVerify {
		t.Errorf("TLSConfig().InsecureSkipVerify = true, want false")
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "mail.test", Roots: cfg.RootCAs}); err != nil {
		t.Errorf("certificate from ca= not trusted by TLSConfig().RootCAs: %v", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a cert\n"), 0o600)
	e, _ = Parse("imaps://a@h?ca=" + bad)
	if _, err := e.TLSConfig(); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("TLSConfig() with bad ca file = %v, want error about PEM", err)
	}
	e, _ = Parse("imaps://a@h?ca=/nonexistent/ca.pem")
	if _, err := e.TLSConfig(); err == nil {
		t.Errorf("TLSConfig() with missing ca file = nil error, want error")
	}
}
