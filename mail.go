package main

import (
	"context"
	"strings"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
	"github.com/resonanz/resonanz/backend/smtp"
)

// smtpPasswordName names the SMTP password in the secret store (OS
// keyring or secrets/smtp.password, mode 0600): never in the database.
const smtpPasswordName = "smtp.password"

// smtpPassword returns the stored SMTP password, "" when there is none.
func (a *App) smtpPassword(ctx context.Context) (string, error) {
	b, err := a.secrets.Secret(ctx, smtpPasswordName)
	return string(b), err
}

// smtpSettings returns the stored SMTP settings (HasPassword filled in).
func (a *App) smtpSettings(ctx context.Context) (resonanz.SMTPSettings, error) {
	var s resonanz.SMTPSettings
	if _, err := a.settingsSvc.Value(ctx, resonanz.SettingSMTP, &s); err != nil {
		return s, err
	}
	s = s.WithDefaults() // empty Settings show 587/STARTTLS, not "port 0"
	pw, err := a.smtpPassword(ctx)
	s.HasPassword = pw != ""
	return s, err
}

// saveSMTP validates and stores SMTP settings; password "" keeps the stored
// one, clearPassword removes it.
func (a *App) saveSMTP(ctx context.Context, s resonanz.SMTPSettings, password string, clearPassword bool) (resonanz.SMTPSettings, error) {
	checked := password // the stored one when it stays
	if password == "" && !clearPassword {
		checked, _ = a.smtpPassword(ctx)
	}
	if err := smtp.ConfigFrom(s, checked).Validate(); err != nil {
		return s, err
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	s.HasPassword = false
	if err := a.settingsSvc.SetValue(ctx, resonanz.SettingSMTP, s); err != nil {
		return s, err
	}
	if password != "" || clearPassword {
		if err := a.secrets.SetSecret(ctx, smtpPasswordName, []byte(password)); err != nil {
			return s, err
		}
	}
	return a.smtpSettings(ctx)
}

// smtpMailer connects to the configured server; override (when not nil)
// replaces the stored settings (the command line's --smtp flags).
func (a *App) smtpMailer(ctx context.Context, override *smtp.Config) (*smtp.Mailer, error) {
	var cfg smtp.Config
	if override != nil {
		cfg = *override
	} else {
		s, err := a.smtpSettings(ctx)
		if err != nil {
			return nil, err
		}
		if s.Host == "" {
			return nil, resonanz.FieldError("host", "error.smtp.missing", "Set up the mail server first (Settings → Mail server).")
		}
		pw, err := a.smtpPassword(ctx)
		if err != nil {
			return nil, err
		}
		cfg = smtp.ConfigFrom(s, pw)
	}
	if a.smtpConnections != 0 {
		cfg.MaxConnections = a.smtpConnections
	}
	return smtp.NewMailer(cfg)
}

// listenerURLs builds tracking URLs for the configured public URL; nil when
// none is configured (mails then carry no tracking).
func (a *App) listenerURLs(ctx context.Context) (send.Tracker, error) {
	urls, ok, err := a.publicURLs(ctx)
	if !ok || err != nil {
		return nil, err
	}
	return urls, nil
}

// previewURLs is listenerURLs with test-flagged tokens (previews, test
// sends, exports): hits on them are not counted, forms change nothing.
func (a *App) previewURLs(ctx context.Context) (send.Tracker, error) {
	urls, ok, err := a.publicURLs(ctx)
	if !ok || err != nil {
		return nil, err
	}
	return urls.Preview(), nil
}

// publicURLs builds the URL builder for the configured public URL; ok is
// false when none is set.
func (a *App) publicURLs(ctx context.Context) (urls listener.URLs, ok bool, err error) {
	var ls resonanz.ListenerSettings
	if _, err := a.settingsSvc.Value(ctx, resonanz.SettingListener, &ls); err != nil {
		return urls, false, err
	}
	if ls.PublicURL == "" {
		return urls, false, nil
	}
	secret, err := a.listenerKey(ctx)
	if err != nil {
		return urls, false, err
	}
	signer, err := listener.NewSigner(secret)
	if err != nil {
		return urls, false, err
	}
	urls, err = listener.NewURLs(ls.PublicURL, signer)
	if err != nil {
		return urls, false, resonanz.E(resonanz.EINVALID, "error.listener.config", "The listener cannot start: {reason}", "reason", err)
	}
	// Paired with a relay: profile and survey links carry the person
	// secret the relay opens the person's sealed profile with.
	if pk, err := a.relayPersonKey(ctx); err != nil {
		return urls, false, err
	} else if len(pk) > 0 {
		urls = urls.WithPersonKey(func(r int64) string { return relay.EncodeSecret(relay.PersonSecret(pk, r)) })
	}
	return urls, true, nil
}

// sendService wires the sending use cases over the store, the mailer and
// the tracker, for the command line and the Mailings façade.
func (a *App) sendService(ctx context.Context) *send.Service {
	return send.NewService(send.Services{
		Mailings: a.mailingSvc, Recipients: a.recipientSvc, Attributes: a.attrSvc, Groups: a.targetSvc, Settings: a.settingsSvc,
		Surveys: a.surveySvc, Templates: a.templateSvc, Ledger: a.sendStore,
		Mailer:  func() (send.Mailer, error) { return a.smtpMailer(ctx, a.smtpOverride) },
		Tracker: func() (send.Tracker, error) { return a.listenerURLs(ctx) },
		Preview: func() (send.Tracker, error) { return a.previewURLs(ctx) },
		Return:  func() (send.ReturnAddresses, error) { return a.returnAddresses(ctx) },
		// The window's sends collect the paired relays first and do not
		// start while one cannot be reached (the command line does the
		// same itself, with --without-relay to override).
		BeforeStart: func(ctx context.Context, force bool) error {
			return a.syncRelaysBeforeSend(ctx, force, relayWarnings{a.log})
		},
	})
}

// mailServer implements desktop.MailServer over the app.
type mailServer struct{ a *App }

func (m mailServer) SMTP(ctx context.Context) (resonanz.SMTPSettings, error) {
	return m.a.smtpSettings(ctx)
}

func (m mailServer) SaveSMTP(ctx context.Context, s resonanz.SMTPSettings, password string, clear bool) (resonanz.SMTPSettings, error) {
	return m.a.saveSMTP(ctx, s, password, clear)
}

func (m mailServer) TestSMTP(ctx context.Context) error {
	mailer, err := m.a.smtpMailer(ctx, nil)
	if err != nil {
		return err
	}
	defer mailer.Close()
	return mailer.Verify(ctx)
}

func (m mailServer) Listener(ctx context.Context) (resonanz.ListenerSettings, error) {
	return m.a.listenerSettings(ctx)
}

func (m mailServer) StartListener(ctx context.Context) (resonanz.ListenerStatus, error) {
	return m.a.StartListener(ctx)
}

func (m mailServer) StopListener(ctx context.Context) (resonanz.ListenerStatus, error) {
	return m.a.StopListener(ctx)
}

func (m mailServer) ListenerStatus(ctx context.Context) (resonanz.ListenerStatus, error) {
	return m.a.ListenerStatus(), nil
}

func (m mailServer) SignupForms(ctx context.Context) ([]resonanz.SignupForm, error) {
	return m.a.portal.SignupForms(ctx)
}

func (m mailServer) SaveListener(ctx context.Context, ls resonanz.ListenerSettings) (resonanz.ListenerSettings, error) {
	if err := ls.Validate(); err != nil {
		return ls, err
	}
	if _, err := listener.ParseTrustedProxies(ls.TrustedProxies); err != nil {
		return ls, trustedProxiesError(err)
	}
	return ls, m.a.settingsSvc.SetValue(ctx, resonanz.SettingListener, ls)
}

// trustedProxiesError is the user-facing error for a bad trusted-proxy entry.
func trustedProxiesError(err error) error {
	return resonanz.FieldError("trustedProxies", "error.listener.trustedProxies",
		strings.TrimPrefix(err.Error(), "listener: ")+".")
}
