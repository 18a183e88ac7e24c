package main

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// relayService wires the desk's side of the relays (backend/relay): the
// secrets, the services events are applied through and the data that is
// published.
func (a *App) relayService() *relay.Relays {
	return relay.NewRelays(relay.DeskConfig{
		Secrets: a.secrets, ListenerKey: a.listenerSetup.Key, Settings: a.settingsSvc,
		Apply: relay.Desk{Journal: sqlite.NewRelayJournal(a.db), Hits: a.reactionSvc,
			Subscriptions: a.portal, Profiles: a.portal, Surveys: a.portal, Signups: a.portal, Signed: a.relaySignupMail},
		Source: relay.Source{Recipients: a.recipientSvc, Profiles: a.portal, Lists: a.listSvc,
			Mailings: a.mailingSvc, Surveys: a.surveySvc, OptIns: a.optInSvc, Mail: a.relayMailSettings, Brands: a.portal},
		Changes: sqlite.NewRelayChanges(a.db),
		Log:     a.log,
	})
}

// relayPersonKey returns the key the person secrets in links derive from
// (nil while no relay was ever paired).
func (a *App) relayPersonKey(ctx context.Context) ([]byte, error) {
	return a.relays.PersonKey(ctx)
}

// ConnectRelay pairs the desk with a relay from the code `resonanz relay
// pair` showed (see relay.Relays.Connect).
func (a *App) ConnectRelay(ctx context.Context, code string) (relay.Pairing, error) {
	return a.relays.Connect(ctx, code)
}

// relaySignupMail mails the confirmation for a signup made on the relay
// (portal.Service.ConfirmRelaySignup); a failure is logged, the person can
// sign up again.
func (a *App) relaySignupMail(ctx context.Context, s listener.Signup, r listener.SignupResult) {
	if err := a.portal.ConfirmRelaySignup(ctx, s, r); err != nil {
		a.log.Error("relay: confirmation mail for a signup on the relay", "recipient", r.RecipientID, "err", err)
	}
}

// SyncRelays collects every paired relay's events and then, with
// publish, publishes the desk's current state to each.
func (a *App) SyncRelays(ctx context.Context, publish bool) ([]relay.SyncResult, error) {
	return a.relays.Sync(ctx, publish, nil)
}

// relayWarnings logs what a send started without the relay's latest
// events says (the window's sends have no terminal).
type relayWarnings struct{ log *slog.Logger }

func (w relayWarnings) Write(p []byte) (int, error) {
	w.log.Warn(strings.TrimSpace(string(p)))
	return len(p), nil
}

// syncRelaysBeforeSend collects the paired relays' events and publishes
// before a send; see relay.Relays.BeforeSend.
func (a *App) syncRelaysBeforeSend(ctx context.Context, force bool, warn io.Writer) error {
	return a.relays.BeforeSend(ctx, force, warn)
}

// RelayFailures lists the relay events the desk could not apply: the
// quarantined ones and those the next sync tries again, each with its
// reason (a catalogue key).
func (a *App) RelayFailures(ctx context.Context) ([]resonanz.RelayFailure, error) {
	return a.relays.Failures(ctx)
}

// RetryRelayEvent applies a quarantined relay event again (after the
// cause was removed); it stays quarantined when it fails again.
func (a *App) RetryRelayEvent(ctx context.Context, id string) error {
	return a.relays.Retry(ctx, id)
}

// relayMailSettings are the mail server and sender a relay mails
// confirmations and profile links with while the desk is off (nil when
// either is not set up: then the desk mails them at its next sync).
func (a *App) relayMailSettings(ctx context.Context) (*relay.MailSettings, error) {
	s, err := a.smtpAccount.Load(ctx)
	if err != nil || s.Host == "" {
		return nil, err
	}
	from, err := a.settingsSvc.Sender(ctx)
	if err != nil || from.FromAddress == "" {
		return nil, err
	}
	pw, err := a.smtpAccount.Password(ctx)
	if err != nil {
		return nil, err
	}
	return &relay.MailSettings{SMTP: s, Password: pw, Sender: from}, nil
}
