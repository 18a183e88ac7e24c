package main

import (
	"context"

	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
	"github.com/resonanz/resonanz/backend/smtp"
)

// smtpMailer connects to the configured server; override (when not nil)
// replaces the stored settings (the command line's --smtp flags).
func (a *App) smtpMailer(ctx context.Context, override *smtp.Config) (*smtp.Mailer, error) {
	var cfg smtp.Config
	if override != nil {
		cfg = *override
	} else {
		var err error
		if cfg, err = a.smtpAccount.Config(ctx); err != nil {
			return nil, err
		}
	}
	if a.smtpConnections != 0 {
		cfg.MaxConnections = a.smtpConnections
	}
	return smtp.NewMailer(cfg)
}

// listenerURLs builds tracking URLs for the configured public URL; nil when
// none is configured (mails then carry no tracking).
func (a *App) listenerURLs(ctx context.Context) (send.Tracker, error) {
	urls, ok, err := a.listenerSetup.URLs(ctx)
	if !ok || err != nil {
		return nil, err
	}
	return urls, nil
}

// previewURLs is listenerURLs with test-flagged tokens (previews, test
// sends, exports): hits on them are not counted, forms change nothing.
func (a *App) previewURLs(ctx context.Context) (send.Tracker, error) {
	urls, ok, err := a.listenerSetup.URLs(ctx)
	if !ok || err != nil {
		return nil, err
	}
	return urls.Preview(), nil
}

// relayPersonLinks gives profile and survey links the person secret a
// paired relay opens the person's sealed profile with (nil when the desk
// is not paired).
func (a *App) relayPersonLinks(ctx context.Context) (func(int64) string, error) {
	pk, err := a.relayPersonKey(ctx)
	if err != nil || len(pk) == 0 {
		return nil, err
	}
	return func(r int64) string { return relay.EncodeSecret(relay.PersonSecret(pk, r)) }, nil
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
	return m.a.smtpAccount.Load(ctx)
}

func (m mailServer) SaveSMTP(ctx context.Context, s resonanz.SMTPSettings, password string, clear bool) (resonanz.SMTPSettings, error) {
	return m.a.smtpAccount.Save(ctx, s, password, clear)
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
	return m.a.listenerSetup.Load(ctx)
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
	return m.a.listenerSetup.Save(ctx, ls)
}
