package oauth

import (
	"fmt"
	"strings"
)

// Issuer is an OAuth 2.0 authorization server mailferry knows how to log
// in to, with the scopes that allow IMAP and POP3 access.
type Issuer struct {
	// Name is "google" or "microsoft", as in --provider.
	Name string
	// AuthURL is the browser authorization endpoint (Google).
	AuthURL string
	// DeviceURL is the device authorization endpoint (Microsoft).
	DeviceURL string
	// TokenURL is the token endpoint.
	TokenURL string
	// Scopes are requested at login.
	Scopes []string
	// AppScope is the scope of application (client credentials) tokens,
	// "" if the issuer has none for mail.
	AppScope string
}

// Google is Google's authorization server; https://mail.google.com/ is
// the only scope that allows IMAP and POP3.
var Google = Issuer{
	Name:     "google",
	AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
	TokenURL: "https://oauth2.googleapis.com/token",
	Scopes:   []string{"https://mail.google.com/"},
}

// Microsoft is the Microsoft identity platform for work, school and
// personal accounts (tenant "common"). offline_access makes it return a
// refresh token.
var Microsoft = Issuer{
	Name:      "microsoft",
	DeviceURL: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	TokenURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	Scopes: []string{
		"https://outlook.office.com/IMAP.AccessAsUser.All",
		"https://outlook.office.com/POP.AccessAsUser.All",
		"offline_access",
	},
	AppScope: "https://outlook.office365.com/.default",
}

// MicrosoftTenantTokenURL is the token endpoint of one Microsoft 365
// tenant, named by its id or one of its domains (e.g. "example.com"),
// as client credentials need.
func MicrosoftTenantTokenURL(tenant string) string {
	return "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
}

// IssuerByName returns the issuer called name ("google" or
// "microsoft"; "gmail", "microsoft365" and "outlook.com" are accepted
// as the mail providers using them).
func IssuerByName(name string) (Issuer, error) {
	switch strings.ToLower(name) {
	case "google", "gmail":
		return Google, nil
	case "microsoft", "microsoft365", "outlook.com", "outlook", "office365":
		return Microsoft, nil
	}
	return Issuer{}, fmt.Errorf("unknown OAuth provider %q: want google or microsoft", name)
}

// Client is a registered application: its id and, for confidential or
// Google desktop clients, its secret.
type Client struct {
	ID     string
	Secret string // never printed
}
