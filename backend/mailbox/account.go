package mailbox

import (
	"context"
	"os"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// PasswordName names the mailbox password in the secret store (OS keyring
// or secrets/imap.password, mode 0600): never in the database.
const PasswordName = "imap.password"

// PasswordEnv names the environment variable that, when set, replaces the
// stored password (servers and scripts).
const PasswordEnv = "RESONANZ_IMAP_PASSWORD"

// Account is the sender's mailbox as the desk stores it: the settings in
// the store, the password in the secret store.
type Account struct {
	Settings resonanz.SettingsService
	Secrets  resonanz.SecretStore
}

// Password returns the password to log in with: $RESONANZ_IMAP_PASSWORD,
// else the stored one ("" when there is none).
func (a Account) Password(ctx context.Context) (string, error) {
	if pw := os.Getenv(PasswordEnv); pw != "" {
		return pw, nil
	}
	b, err := a.Secrets.Secret(ctx, PasswordName)
	return string(b), err
}

// Load returns the stored mailbox settings with defaults (993/TLS and the
// INBOX, not "port 0") and HasPassword filled in.
func (a Account) Load(ctx context.Context) (resonanz.MailboxSettings, error) {
	var s resonanz.MailboxSettings
	if _, err := a.Settings.Value(ctx, resonanz.SettingMailbox, &s); err != nil {
		return s, err
	}
	s = s.WithDefaults()
	b, err := a.Secrets.Secret(ctx, PasswordName)
	s.HasPassword = len(b) > 0
	return s, err
}

// Save trims, checks and stores the mailbox settings; password "" keeps
// the stored one, clearPassword removes it. It returns the settings as
// Load does.
func (a Account) Save(ctx context.Context, s resonanz.MailboxSettings, password string, clearPassword bool) (resonanz.MailboxSettings, error) {
	s.Host, s.Username = strings.TrimSpace(s.Host), strings.TrimSpace(s.Username)
	s.ProcessedFolder = strings.TrimSpace(s.ProcessedFolder)
	s.BounceAddress, s.UnsubscribeAddress = strings.TrimSpace(s.BounceAddress), strings.TrimSpace(s.UnsubscribeAddress)
	var folders []string
	for _, f := range s.Folders {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(folders, f) {
			folders = append(folders, f)
		}
	}
	s.Folders = folders
	if s.Security == "" {
		s.Security = resonanz.MailboxTLS
	}
	if s.Host != "" {
		if err := ConfigFrom(s, "").Validate(); err != nil {
			return s, err
		}
	}
	switch {
	case s.IntervalMinutes < 0 || s.IntervalMinutes > 24*60:
		return s, resonanz.FieldError("intervalMinutes", "error.mailbox.interval", "The interval must be between 0 (off) and 1440 minutes.")
	case s.SoftBounceLimit < 0 || s.SoftBounceLimit > 100:
		return s, resonanz.FieldError("softBounceLimit", "error.mailbox.softBounceLimit", "The number of soft bounces in a row must be between 0 (never) and 100.")
	case s.BounceAddress != "" && !resonanz.ValidAddress(s.BounceAddress):
		return s, resonanz.FieldError("bounceAddress", "error.mailbox.bounceAddress", "The bounce address is not a valid e-mail address (like bounce@example.org).")
	case s.UnsubscribeAddress != "" && !resonanz.ValidAddress(s.UnsubscribeAddress):
		return s, resonanz.FieldError("unsubscribeAddress", "error.mailbox.unsubscribeAddress", "The unsubscribe address is not a valid e-mail address (like unsubscribe@example.org).")
	case s.SubAddressing && (strings.Contains(strings.Split(s.BounceAddress, "@")[0], "+") || strings.Contains(strings.Split(s.UnsubscribeAddress, "@")[0], "+")):
		return s, resonanz.FieldError("subAddressing", "error.mailbox.plus", "With sub-addressing the addresses must not contain a + themselves.")
	}
	s.HasPassword = false
	if err := a.Settings.SetValue(ctx, resonanz.SettingMailbox, s); err != nil {
		return s, err
	}
	if password != "" || clearPassword {
		if err := a.Secrets.SetSecret(ctx, PasswordName, []byte(password)); err != nil {
			return s, err
		}
	}
	return a.Load(ctx)
}

// ConfigFrom is the connection configuration of stored settings.
func ConfigFrom(s resonanz.MailboxSettings, password string) Config {
	return Config{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username, Password: password,
		Folders: s.Folders, ProcessedFolder: s.ProcessedFolder}
}
