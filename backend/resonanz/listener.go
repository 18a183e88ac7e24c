package resonanz

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NormalizePublicURL checks that s is an absolute http(s) URL without
// user info, query or fragment and returns it without a trailing slash:
// the public URL of the listener, which every recipient-facing link starts
// with.
func NormalizePublicURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("listener: public URL %q: %w", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("listener: public URL %q must start with https:// (or http:// for local tests)", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("listener: public URL %q has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.Opaque != "":
		return "", fmt.Errorf("listener: public URL %q must not contain user info, query or fragment", s)
	case strings.ContainsAny(u.Path, "%?#\\") || strings.Contains(u.Path, "//") || strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/.."):
		return "", fmt.Errorf("listener: public URL %q has an unusual path", s)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.Path, "/"), nil
}

// Validate trims the listener settings and checks the address (host:port)
// and the public URL (see NormalizePublicURL); empty trusted-proxy entries
// are dropped (the listener parses the others). Errors name the field.
func (ls *ListenerSettings) Validate() error {
	ls.PublicURL = strings.TrimRight(strings.TrimSpace(ls.PublicURL), "/")
	ls.Addr = strings.TrimSpace(ls.Addr)
	if ls.Addr != "" {
		if _, port, err := net.SplitHostPort(ls.Addr); err != nil || port == "" {
			return FieldError("addr", "error.listener.addr",
				"The address must be host:port, e.g. 127.0.0.1:8485.")
		}
	}
	if ls.PublicURL != "" {
		if _, err := NormalizePublicURL(ls.PublicURL); err != nil {
			return FieldError("publicUrl", "error.listener.publicUrl",
				"The public URL must be an http(s) address without query or fragment, e.g. https://news.example.org/r.")
		}
	}
	trusted := []string{}
	for _, p := range ls.TrustedProxies {
		if p = strings.TrimSpace(p); p != "" {
			trusted = append(trusted, p)
		}
	}
	ls.TrustedProxies = trusted
	return nil
}

// Validate trims the mail server settings and checks the sending limits
// (none negative). The server itself (host, port, security, password) is
// checked by the SMTP adapter's Config.Validate.
func (s *SMTPSettings) Validate() error {
	s.Host, s.Username = strings.TrimSpace(s.Host), strings.TrimSpace(s.Username)
	if s.RatePerSecond < 0 {
		return FieldError("ratePerSecond", "error.smtp.rate", "The rate cannot be negative.")
	}
	if s.RatePerMinute < 0 {
		return FieldError("ratePerMinute", "error.smtp.rate", "The rate cannot be negative.")
	}
	if s.RatePerHour < 0 {
		return FieldError("ratePerHour", "error.smtp.rate", "The rate cannot be negative.")
	}
	return nil
}
