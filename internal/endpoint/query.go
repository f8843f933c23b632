package endpoint

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mailferry/mailferry/internal/provider"
)

// Query parameters and the schemes they apply to.
var (
	remoteKeys  = []string{"tls", "ca", "insecure", "auth", "provider"}
	mboxKeys    = []string{"format", "compress"}
	maildirKeys = []string{"layout"}
)

// Accepted values of the enumerated query parameters.
var (
	Formats = []string{"mboxrd", "mboxo", "mboxcl", "mboxcl2"}
	Layouts = []string{"maildir++", "fs"}
	Auths   = []string{"plain", "login", "xoauth2", "oauthbearer"}
	// Compressions are how mbox backups may be compressed.
	Compressions = []string{"gzip", "zstd"}
)

func (e *Endpoint) keys() []string {
	switch e.Scheme {
	case Mbox:
		return mboxKeys
	case Maildir:
		return maildirKeys
	}
	return remoteKeys
}

func (e *Endpoint) parseQuery(q string) error {
	if q == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, raw, ok := strings.Cut(kv, "=")
		if !slices.Contains(e.keys(), k) {
			if slices.Contains(remoteKeys, k) || slices.Contains(mboxKeys, k) || slices.Contains(maildirKeys, k) {
				return fmt.Errorf("query parameter %q does not apply to %s endpoints", k, e.Scheme)
			}
			return fmt.Errorf("unknown query parameter %q (%s accepts %s)", k, e.Scheme, strings.Join(e.keys(), ", "))
		}
		if !ok || raw == "" {
			return fmt.Errorf("query parameter %q needs a value, e.g. %s", k, example(k))
		}
		if seen[k] {
			return fmt.Errorf("query parameter %q given twice", k)
		}
		seen[k] = true
		v, err := url.PathUnescape(raw)
		if err != nil {
			return fmt.Errorf("bad percent-escape in query parameter %q", k)
		}
		if err := e.set(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (e *Endpoint) set(k, v string) error {
	lv := strings.ToLower(v)
	switch k {
	case "tls":
		return e.setTLS(lv)
	case "ca":
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("ca= file name contains a NUL byte")
		}
		p, err := expandHome(v)
		if err != nil {
			return err
		}
		e.CAFile = p
	case "insecure":
		switch lv {
		case "true", "1", "yes":
			e.Insecure = true
		case "false", "0", "no":
			e.Insecure = false
		default:
			return fmt.Errorf("insecure=%s: want true or false", v)
		}
	case "auth":
		return oneOf(&e.Auth, k, lv, Auths)
	case "format":
		return oneOf(&e.Format, k, lv, Formats)
	case "layout":
		return oneOf(&e.Layout, k, lv, Layouts)
	case "compress":
		return oneOf(&e.Compress, k, lv, Compressions)
	case "provider":
		p, err := provider.Lookup(lv)
		if err != nil {
			return fmt.Errorf("provider=%s: want one of %s", v, strings.Join(provider.Names(), ", "))
		}
		e.Provider = p.Name
	}
	return nil
}

func (e *Endpoint) setTLS(v string) error {
	implicit := e.Scheme == POP3S || e.Scheme == IMAPS
	switch {
	case v == "none" && !implicit:
		e.TLS = None
	case v == "starttls" && !implicit:
		e.TLS = StartTLS
	case v == "implicit" && implicit:
		e.TLS = Implicit
	case implicit:
		return fmt.Errorf("tls=%s is not possible with %s (always TLS); use %s://...?tls=%s", v, e.Scheme, strings.TrimSuffix(e.Scheme, "s"), v)
	default:
		return fmt.Errorf("tls=%s: want none or starttls (for TLS from the start use %ss://)", v, e.Scheme)
	}
	return nil
}

func oneOf(dst *string, k, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%s=%s: want one of %s", k, v, strings.Join(allowed, ", "))
	}
	*dst = v
	return nil
}

func example(k string) string {
	switch k {
	case "tls":
		return "tls=none"
	case "ca":
		return "ca=/path/to/cert.pem"
	case "insecure":
		return "insecure=true"
	case "auth":
		return "auth=xoauth2"
	case "provider":
		return "provider=gmail"
	case "format":
		return "format=mboxrd"
	case "compress":
		return "compress=zstd"
	}
	return "layout=fs"
}
