package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailferry/mailferry/sources"
)

// DeviceCode is what a device authorization endpoint answers: the
// person opens VerificationURI and types UserCode.
type DeviceCode struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
	Error           string `json:"error"`
	Description     string `json:"error_description"`
}

// DeviceLogin runs the device authorization grant (RFC 8628), the flow
// Microsoft allows for IMAP and POP3 scopes: it asks for a code, calls
// show so the person can enter it in a browser anywhere, and polls the
// token endpoint until they did. sleep waits between polls (nil:
// time-based).
func DeviceLogin(ctx context.Context, hc *http.Client, is Issuer, client Client, show func(*DeviceCode), sleep func(context.Context, time.Duration) error) (*Token, error) {
	if is.DeviceURL == "" {
		return nil, fmt.Errorf("%s does not offer the device code flow", is.Name)
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	form := url.Values{"client_id": {client.ID}, "scope": {strings.Join(is.Scopes, " ")}}
	var dc DeviceCode
	status, err := postJSON(ctx, hc, is.DeviceURL, form, &dc)
	if err != nil {
		return nil, err
	}
	if dc.Error != "" || status != http.StatusOK || dc.DeviceCode == "" {
		return nil, &Error{Endpoint: is.DeviceURL, Status: status, Code: firstNonEmpty(dc.Error, fmt.Sprintf("HTTP status %d", status)), Description: dc.Description}
	}
	show(&dc)
	interval := time.Duration(max(dc.Interval, 1)) * time.Second
	deadline := time.Now().Add(time.Duration(max(dc.ExpiresIn, 60)) * time.Second)
	for {
		if err := sleep(ctx, interval); err != nil {
			return nil, err
		}
		t, err := postForm(ctx, hc, is.TokenURL, url.Values{
			"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
			"device_code": {dc.DeviceCode},
			"client_id":   {client.ID},
		})
		var oe *Error
		if !errors.As(err, &oe) {
			return t, err
		}
		switch oe.Code {
		case "authorization_pending":
		case "slow_down":
			interval += 5 * time.Second
		case "expired_token":
			return nil, sources.Permanent(errors.New("the code expired before the login was completed; run the command again"))
		case "access_denied", "authorization_declined":
			return nil, sources.Permanent(errors.New("the login was declined in the browser"))
		default:
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, sources.Permanent(errors.New("the code expired before the login was completed; run the command again"))
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
