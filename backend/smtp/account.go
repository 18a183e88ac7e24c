package smtp

import (
	"context"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// PasswordName names the SMTP password in the secret store (OS keyring or
// secrets/smtp.password, mode 0600): never in the database.
const PasswordName = "smtp.password"

// Account is the sender's mail server as the desk stores it: the settings
// in the store, the password in the secret store.
type Account struct {
	Settings resonanz.SettingsService
	Secrets  resonanz.SecretStore
}

// Password returns the stored SMTP password, "" when there is none.
func (a Account) Password(ctx context.Context) (string, error) {
	b, err := a.Secrets.Secret(ctx, PasswordName)
	return string(b), err
}

// Load returns the stored SMTP settings with defaults (587/STARTTLS, not
// "port 0") and HasPassword filled in.
func (a Account) Load(ctx context.Context) (resonanz.SMTPSettings, error) {
	var s resonanz.SMTPSettings
	if _, err := a.Settings.Value(ctx, resonanz.SettingSMTP, &s); err != nil {
		return s, err
	}
	s = s.WithDefaults()
	pw, err := a.Password(ctx)
	s.HasPassword = pw != ""
	return s, err
}

// Save checks and stores SMTP settings; password "" keeps the stored one,
// clearPassword removes it. It returns the settings as Load does.
func (a Account) Save(ctx context.Context, s resonanz.SMTPSettings, password string, clearPassword bool) (resonanz.SMTPSettings, error) {
	checked := password // the stored one when it stays
	if password == "" && !clearPassword {
		checked, _ = a.Password(ctx)
	}
	if err := ConfigFrom(s, checked).Validate(); err != nil {
		return s, err
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	s.HasPassword = false
	if err := a.Settings.SetValue(ctx, resonanz.SettingSMTP, s); err != nil {
		return s, err
	}
	if password != "" || clearPassword {
		if err := a.Secrets.SetSecret(ctx, PasswordName, []byte(password)); err != nil {
			return s, err
		}
	}
	return a.Load(ctx)
}

// Config returns the connection configuration of the stored settings; an
// error (field host) when no server is set up.
func (a Account) Config(ctx context.Context) (Config, error) {
	s, err := a.Load(ctx)
	if err != nil {
		return Config{}, err
	}
	if s.Host == "" {
		return Config{}, resonanz.FieldError("host", "error.smtp.missing", "Set up the mail server first (Settings → Mail server).")
	}
	pw, err := a.Password(ctx)
	if err != nil {
		return Config{}, err
	}
	return ConfigFrom(s, pw), nil
}
