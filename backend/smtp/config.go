package smtp

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Security modes for Config.Security.
const (
	// SecuritySTARTTLS connects in plain text and upgrades with STARTTLS;
	// a server that does not offer STARTTLS is an error, never a silent
	// downgrade. Default port 587.
	SecuritySTARTTLS = "starttls"
	// SecurityTLS speaks TLS from the first byte (implicit TLS). Default port 465.
	SecurityTLS = "tls"
	// SecurityNone sends unencrypted; only allowed without a password or to a
	// loopback host. Default port 25.
	SecurityNone = "none"
)

// Defaults applied by NewMailer for zero Config fields.
const (
	// DefaultTimeout bounds dialing and each SMTP command.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxConnections is the number of parallel connections: what
	// providers commonly allow at once (5 to 10).
	DefaultMaxConnections = resonanz.DefaultSMTPConnections
	// DefaultMaxAttempts is how often a message is tried on broken connections.
	DefaultMaxAttempts = 3
)

// ConfigFrom is the configuration for the mail server settings the desk
// stores and the password kept apart (host and user name trimmed).
func ConfigFrom(s resonanz.SMTPSettings, password string) Config {
	return Config{Host: strings.TrimSpace(s.Host), Port: s.Port, Security: s.Security, Username: strings.TrimSpace(s.Username),
		Password: password, MaxConnections: s.MaxConnections}
}

// Config describes an SMTP server and how to use it. The zero values of
// Port, Timeout, MaxConnections and MaxAttempts mean "default".
type Config struct {
	// Host is the server's host name or IP address.
	Host string `json:"host"`
	// Port is the TCP port; 0 means 587, 465 or 25 depending on Security.
	Port int `json:"port"`
	// Security is SecuritySTARTTLS (the default when empty), SecurityTLS or
	// SecurityNone.
	Security string `json:"security"`
	// Username enables AUTH (PLAIN, else LOGIN) when not empty.
	Username string `json:"username"`
	// Password is never printed by String, GoString or LogValue.
	Password string `json:"password"`
	// HELO is the name announced in EHLO; empty means the local host name.
	HELO string `json:"helo"`
	// Timeout bounds the dial and each SMTP command.
	Timeout time.Duration `json:"timeout"`
	// MaxConnections is how many connections the Mailer opens at most, shared
	// by concurrent Send calls, and keeps open between calls.
	MaxConnections int `json:"maxConnections"`
	// MaxAttempts is how often one message is tried when the connection
	// fails (each try on a fresh connection); SMTP replies are never retried.
	MaxAttempts int `json:"maxAttempts"`
	// NoPipelining turns off RFC 2920 pipelining (used when the server
	// offers it) and sends every command separately through go-mail.
	NoPipelining bool `json:"noPipelining"`
	// TLSConfig overrides the TLS settings (tests inject RootCAs for a
	// self-signed server). ServerName defaults to Host.
	TLSConfig *tls.Config `json:"-"`
}

func (c Config) withDefaults() Config {
	c.Host = strings.TrimSpace(c.Host)
	c.Security = strings.ToLower(strings.TrimSpace(c.Security))
	if c.Security == "" {
		c.Security = SecuritySTARTTLS
	}
	if c.Port == 0 {
		switch c.Security {
		case SecurityTLS:
			c.Port = 465
		case SecurityNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	return c
}

func cfgErr(field, msg string) error {
	return resonanz.FieldError(field, "error.smtp."+field+".invalid", msg)
}

// Validate reports the first problem with c (after defaults are applied) as
// an EINVALID *resonanz.Error naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Host == "" {
		return resonanz.FieldError("host", "error.smtp.host.required", "Enter the host name of your SMTP server (like smtp.example.org).")
	}
	if len(c.Host) > 253 || strings.ContainsAny(c.Host, " \t\r\n/:@") && net.ParseIP(c.Host) == nil {
		return cfgErr("host", "The SMTP host must be a host name or IP address without scheme, port or path.")
	}
	if c.Port < 1 || c.Port > 65535 {
		return cfgErr("port", "The SMTP port must be between 1 and 65535 (usually 587, 465 or 25).")
	}
	switch c.Security {
	case SecuritySTARTTLS, SecurityTLS, SecurityNone:
	default:
		return cfgErr("security", "Choose the connection security: STARTTLS, TLS or none.")
	}
	if !singleLine(c.Username) || len(c.Username) > 256 {
		return cfgErr("username", "The user name must be a single line.")
	}
	if !singleLine(c.Password) || len(c.Password) > 1024 {
		return cfgErr("password", "The password must be a single line.")
	}
	if c.Password != "" && c.Username == "" {
		return cfgErr("username", "Enter the user name that belongs to the password.")
	}
	if c.Security == SecurityNone && c.Username != "" && !isLoopback(c.Host) {
		return cfgErr("security", "A password is never sent unencrypted; choose STARTTLS or TLS.")
	}
	if c.HELO != "" && (strings.ContainsAny(c.HELO, " \t\r\n\x00") || len(c.HELO) > 253) {
		return cfgErr("helo", "The HELO name must be a host name without spaces.")
	}
	if c.Timeout < 0 {
		return cfgErr("timeout", "The timeout must not be negative.")
	}
	if c.MaxConnections < 0 || c.MaxConnections > 100 {
		return cfgErr("maxConnections", "The number of connections must be between 1 and 100.")
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 10 {
		return cfgErr("maxAttempts", "The number of attempts must be between 1 and 10.")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c Config) redacted() string {
	if c.Password == "" {
		return ""
	}
	return "[redacted]"
}

// String describes c for logs and error messages; the password is never shown.
func (c Config) String() string {
	d := c.withDefaults()
	user := ""
	if d.Username != "" {
		user = d.Username + "@"
	}
	pw := ""
	if d.Password != "" {
		pw = ", password [redacted]"
	}
	return fmt.Sprintf("smtp://%s%s (%s%s, %d connections, timeout %s)",
		user, net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), d.Security, pw, d.MaxConnections, d.Timeout)
}

// GoString is like String, so that %#v does not print the password either.
func (c Config) GoString() string { return "smtp.Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer; the password is replaced by "[redacted]".
func (c Config) LogValue() slog.Value {
	d := c.withDefaults()
	return slog.GroupValue(
		slog.String("host", d.Host),
		slog.Int("port", d.Port),
		slog.String("security", d.Security),
		slog.String("username", d.Username),
		slog.String("password", d.redacted()),
		slog.String("helo", d.HELO),
		slog.Duration("timeout", d.Timeout),
		slog.Int("maxConnections", d.MaxConnections),
	)
}
