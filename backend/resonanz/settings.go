package resonanz

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNameLength bounds display names (runes); RFC 5322 lines are limited and
// nobody's sender name is longer.
const MaxNameLength = 200

// SenderIdentity is who a mailing comes from: the From header and an optional
// Reply-To.
type SenderIdentity struct {
	FromName    string `json:"fromName"`
	FromAddress string `json:"fromAddress"`
	ReplyTo     string `json:"replyTo"`
}

// Normalize trims surrounding white space from every field.
func (s SenderIdentity) Normalize() SenderIdentity {
	return SenderIdentity{
		FromName:    strings.TrimSpace(s.FromName),
		FromAddress: strings.TrimSpace(s.FromAddress),
		ReplyTo:     strings.TrimSpace(s.ReplyTo),
	}
}

// Validate reports the first problem with s as an EINVALID *Error naming the
// field. It expects a normalized value.
func (s SenderIdentity) Validate() error {
	if utf8.RuneCountInString(s.FromName) > MaxNameLength {
		return FieldError("fromName", "error.sender.fromName.tooLong",
			"The sender name is too long (at most 200 characters).")
	}
	if strings.ContainsAny(s.FromName, "\r\n") {
		return FieldError("fromName", "error.sender.fromName.invalid",
			"The sender name must be a single line.")
	}
	if s.FromAddress == "" {
		return FieldError("fromAddress", "error.sender.fromAddress.required",
			"Enter the address your newsletter is sent from.")
	}
	if !ValidAddress(s.FromAddress) {
		return FieldError("fromAddress", "error.sender.fromAddress.invalid",
			"The sender address is not a valid e-mail address (like news@example.org).")
	}
	if s.ReplyTo != "" && !ValidAddress(s.ReplyTo) {
		return FieldError("replyTo", "error.sender.replyTo.invalid",
			"The reply-to address is not a valid e-mail address; leave it empty to use the sender address.")
	}
	return nil
}

// ValidAddress reports whether s is a bare e-mail address (no display name, no
// angle brackets, no line breaks) with a domain that contains a dot.
func ValidAddress(s string) bool {
	return plainAddress(s) || validAddressFull(s)
}

// validAddressFull is ValidAddress without the fast path.
func validAddressFull(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "\r\n<> ") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// SettingsService stores the desk's settings.
type SettingsService interface {
	// Sender returns the stored sender identity; zero value if none was saved.
	Sender(ctx context.Context) (SenderIdentity, error)
	// SetSender validates, normalizes and stores the sender identity and
	// returns what was stored.
	SetSender(ctx context.Context, s SenderIdentity) (SenderIdentity, error)
	// Value reads a named setting (stored as JSON) into v; ok is false when
	// it was never saved. Secrets never go here.
	Value(ctx context.Context, name string, v any) (ok bool, err error)
	// SetValue stores a named setting as JSON.
	SetValue(ctx context.Context, name string, v any) error
}

// Names of settings stored with SettingsService.SetValue.
const (
	SettingSalutations = "salutations" // []SalutationBlock: the project's own blocks
	SettingSMTP        = "smtp"        // SMTP server, without the password
	SettingListener    = "listener"    // public URL of the listener
)

// SMTPSettings are the mail server settings the desk stores; the password
// is kept apart (a 0600 file outside the database) and never returned.
type SMTPSettings struct {
	Host           string  `json:"host"`
	Port           int     `json:"port"`
	Security       string  `json:"security"` // starttls, tls or none
	Username       string  `json:"username"`
	MaxConnections int     `json:"maxConnections"`
	RatePerSecond  float64 `json:"ratePerSecond"` // default limits of send runs, 0: none
	RatePerMinute  int     `json:"ratePerMinute"`
	RatePerHour    int     `json:"ratePerHour"`
	HasPassword    bool    `json:"hasPassword"` // read only
}

// ListenerSettings say where recipients reach the listener and how the desk
// runs it.
type ListenerSettings struct {
	PublicURL string `json:"publicUrl"` // e.g. https://news.example.org/r; empty: no tracking links
	// Addr is where the desk's listener listens (default DefaultListenerAddr).
	Addr string `json:"addr"`
	// AutoStart starts the listener with the desk.
	AutoStart bool `json:"autoStart"`
	// TrustedProxies are the reverse proxies in front of the listener
	// (addresses or CIDR prefixes): only their X-Forwarded-For/Forwarded
	// headers are believed, so that rate limits and consent evidence see
	// each visitor's own address.
	TrustedProxies []string `json:"trustedProxies"`
}

// DefaultListenerAddr is where the listener listens unless told otherwise.
const DefaultListenerAddr = "127.0.0.1:8485"

// ListenerStatus is the state of the listener the desk runs.
type ListenerStatus struct {
	Running   bool      `json:"running"`
	Addr      string    `json:"addr"`      // bound address while running
	PublicURL string    `json:"publicUrl"` // where recipients reach it
	StartedAt time.Time `json:"startedAt"` // zero when stopped
	// Hits counts tracking hits written since the start; Queued are waiting
	// to be written, Dropped were lost to overload.
	Hits    uint64 `json:"hits"`
	Queued  int    `json:"queued"`
	Dropped uint64 `json:"dropped"`
	// Notices counts confirmation and profile-link mails sent since the
	// start; NoticeErrors those that failed.
	Notices      uint64 `json:"notices"`
	NoticeErrors uint64 `json:"noticeErrors"`
	// Error is why the last start failed or the listener stopped by itself
	// (e.g. the port is in use); "" when fine.
	Error string `json:"error"`
}

// SignupForm is the public signup form of a list: its URL and an HTML
// snippet for the sender's website.
type SignupForm struct {
	ListID   int64  `json:"listId"`
	ListName string `json:"listName"`
	URL      string `json:"url"`
	Snippet  string `json:"snippet"`
}

// SettingLanguage names the UI language the user chose ("de" or "en"),
// shared by the desktop window and browser mode.
const SettingLanguage = "language"

// Languages are the UI languages a user can choose.
var Languages = []string{"de", "en"}

// DefaultSMTPConnections is how many connections a send opens at once
// unless the settings say otherwise: what providers commonly allow (5–10).
const DefaultSMTPConnections = 8

// WithDefaults returns s with its unset fields as a send would use them:
// STARTTLS, the port of the security mode (587, 465 with TLS, 25 without
// encryption) and DefaultSMTPConnections. Empty Settings then show what
// will happen instead of "port 0".
func (s SMTPSettings) WithDefaults() SMTPSettings {
	if s.Security == "" {
		s.Security = "starttls"
	}
	if s.Port == 0 {
		switch s.Security {
		case "tls":
			s.Port = 465
		case "none":
			s.Port = 25
		default:
			s.Port = 587
		}
	}
	if s.MaxConnections == 0 {
		s.MaxConnections = DefaultSMTPConnections
	}
	return s
}

// WithDefaults returns s with its unset fields as a sync would use them:
// TLS on port 993 (143 for STARTTLS or no encryption) and the INBOX.
func (s MailboxSettings) WithDefaults() MailboxSettings {
	if s.Security == "" {
		s.Security = MailboxTLS
	}
	if s.Port == 0 {
		s.Port = 143
		if s.Security == MailboxTLS {
			s.Port = 993
		}
	}
	if len(s.Folders) == 0 {
		s.Folders = []string{"INBOX"}
	}
	return s
}
