package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// The desk's side of the relay: the pairings, the desk's HPKE key and the
// person key live in the secret store (never in the database, never on the
// relay).
const (
	relayPairingsName = "relay.pairings"
	relayDeskKeyName  = "relay.desk-key"
	relayPersonName   = "relay.person-key"
)

// relayPairings returns the relays the desk is paired with.
func (a *App) relayPairings(ctx context.Context) ([]relay.Pairing, error) {
	b, err := a.secrets.Secret(ctx, relayPairingsName)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	var ps []relay.Pairing
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("relay pairings: %w", err)
	}
	return ps, nil
}

// relaySecret returns the named secret, creating it with make the first time.
func (a *App) relaySecret(ctx context.Context, name string, create bool, mk func() ([]byte, error)) ([]byte, error) {
	a.keyMu.Lock()
	defer a.keyMu.Unlock()
	b, err := a.secrets.Secret(ctx, name)
	if err != nil || len(b) > 0 || !create {
		return b, err
	}
	if b, err = mk(); err != nil {
		return nil, err
	}
	return b, a.secrets.SetSecret(ctx, name, b)
}

func random32() ([]byte, error) {
	b := make([]byte, 32)
	rand.Read(b)
	return b, nil
}

func newDeskKey() ([]byte, error) {
	k, err := relay.NewDeskKey()
	if err != nil {
		return nil, err
	}
	return k.Bytes(), nil
}

// relayPersonKey returns the key the person secrets in links derive from
// (nil while no relay is paired).
func (a *App) relayPersonKey(ctx context.Context, create bool) ([]byte, error) {
	return a.relaySecret(ctx, relayPersonName, create, random32)
}

// ConnectRelay pairs the desk with a relay from the code `resonanz relay
// pair` showed: it gives the relay the desk's public key and the listener
// secret, and points the listener's public URL (the links in mails) at
// the relay.
func (a *App) ConnectRelay(ctx context.Context, code string) (relay.Pairing, error) {
	p, err := relay.ParsePairing(code)
	if err != nil {
		return p, err
	}
	kb, err := a.relaySecret(ctx, relayDeskKeyName, true, newDeskKey)
	if err != nil {
		return p, err
	}
	key, err := relay.ParseDeskKey(kb)
	if err != nil {
		return p, err
	}
	if _, err := a.relayPersonKey(ctx, true); err != nil {
		return p, err
	}
	secret, err := a.listenerKey(ctx)
	if err != nil {
		return p, err
	}
	if err := relay.NewClient(p).SetKeys(ctx, relay.Keys{DeskPublicKey: key.Public(), ListenerSecret: secret}); err != nil {
		return p, resonanz.Errorf(resonanz.ECONFLICT, "The relay at %s did not accept the pairing: %v", p.URL, err)
	}
	ps, err := a.relayPairings(ctx)
	if err != nil {
		return p, err
	}
	out := []relay.Pairing{p}
	for _, q := range ps {
		if q.RelayID != p.RelayID {
			out = append(out, q)
		}
	}
	b, _ := json.Marshal(out)
	if err := a.secrets.SetSecret(ctx, relayPairingsName, b); err != nil {
		return p, err
	}
	ls, err := a.listenerSettings(ctx)
	if err != nil {
		return p, err
	}
	ls.PublicURL = p.URL
	if err := a.settingsSvc.SetValue(ctx, resonanz.SettingListener, ls); err != nil {
		return p, err
	}
	return p, nil
}

// relayDesk is what relay events are applied through: the local
// listener's own services.
func (a *App) relayDesk(ctx context.Context) (relay.Desk, error) {
	kb, err := a.relaySecret(ctx, relayDeskKeyName, false, nil)
	if err != nil {
		return relay.Desk{}, err
	}
	key, err := relay.ParseDeskKey(kb)
	if err != nil {
		return relay.Desk{}, err
	}
	return relay.Desk{Key: key, Journal: sqlite.NewRelayJournal(a.db), Hits: a.reactionSvc,
		Subscriptions: a.portal, Profiles: a.portal, Surveys: a.portal, Signups: a.portal, Signed: a.relaySignupMail}, nil
}

// relaySignupMail mails the confirmation for a signup made on the relay,
// as the listener does for its own form (no name: anybody can type any
// text into the form). A failure is logged; the person can sign up again.
func (a *App) relaySignupMail(ctx context.Context, s listener.Signup, r listener.SignupResult) {
	lang := r.Language
	if lang != "de" && lang != "en" {
		lang = s.Language
	}
	if lang != "de" && lang != "en" {
		lang = "de"
	}
	err := func() error {
		urls, err := a.listenerURLBuilder(ctx)
		if err != nil {
			return err
		}
		l, err := a.portal.FormList(ctx, s.ListID)
		if err != nil {
			return err
		}
		n := listener.ConfirmationNotice(lang, r.Email, "", l.Name, s.Wording, urls.Confirm(r.Token))
		n.RecipientID = r.RecipientID
		return a.portal.SendNotice(ctx, n)
	}()
	if err != nil {
		a.log.Error("relay: confirmation mail for a signup on the relay", "recipient", r.RecipientID, "err", err)
	}
}

// RelaySyncResult is one relay's sync.
type RelaySyncResult struct {
	RelayID   string               `json:"relayId"`
	URL       string               `json:"url"`
	Collected relay.CollectResult  `json:"collected"`
	Published *relay.PublishResult `json:"published,omitempty"`
	Error     string               `json:"error,omitempty"`
}

// SyncRelays collects every paired relay's events (applying them like the
// local listener would) and then, with publish, publishes the desk's
// current state to each. It returns an error when a relay could not be
// synced; the results say which.
func (a *App) SyncRelays(ctx context.Context, publish bool) ([]RelaySyncResult, error) {
	ps, err := a.relayPairings(ctx)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, resonanz.Errorf(resonanz.EINVALID, "No relay is paired: run `resonanz relay connect CODE` with the code from `resonanz relay pair`.")
	}
	desk, err := a.relayDesk(ctx)
	if err != nil {
		return nil, err
	}
	personKey, err := a.relayPersonKey(ctx, false)
	if err != nil {
		return nil, err
	}
	var errs []error
	out := []RelaySyncResult{}
	for _, p := range ps {
		c := relay.NewClient(p)
		r := RelaySyncResult{RelayID: p.RelayID, URL: p.URL}
		r.Collected, err = relay.Collect(ctx, c, desk)
		if err == nil && publish {
			var pub relay.PublishResult
			pub, err = relay.PublishAll(ctx, c, relay.Source{Recipients: a.recipientSvc, Profiles: a.portal, Lists: a.listSvc,
				Mailings: a.mailingSvc, Surveys: a.surveySvc, OptIns: a.optInSvc, PersonKey: personKey}, r.Collected.Through)
			r.Published = &pub
		}
		if err != nil {
			r.Error = err.Error()
			errs = append(errs, fmt.Errorf("relay %s (%s): %w", p.RelayID, p.URL, err))
		}
		out = append(out, r)
	}
	if err := errors.Join(errs...); err != nil {
		if errors.Is(err, relay.ErrUnreachable) {
			return out, resonanz.Errorf(resonanz.ECONFLICT, "%v", err)
		}
		return out, err
	}
	return out, nil
}

// syncRelaysBeforeSend collects the paired relays' events and publishes
// before a send. When a relay cannot be synced the send does not start,
// unless the user says so (force): its unsubscribes would be missed.
func (a *App) syncRelaysBeforeSend(ctx context.Context, force bool, warn io.Writer) error {
	ps, err := a.relayPairings(ctx)
	if err != nil || len(ps) == 0 {
		return err
	}
	if _, err := a.SyncRelays(ctx, true); err != nil {
		if force {
			fmt.Fprintf(warn, "resonanz: sending without the relay's latest events: %s\n", resonanz.ErrorMessage(err))
			return nil
		}
		return resonanz.Errorf(resonanz.ECONFLICT, "The relay could not be synced before the send, so unsubscribes made there may be missing: %s. The send did not start; start it anyway with --without-relay.", resonanz.ErrorMessage(err))
	}
	return nil
}

// RelayFailures lists the relay events the desk could not apply: the
// quarantined ones and those the next sync tries again, each with its
// reason (a catalogue key).
func (a *App) RelayFailures(ctx context.Context) ([]resonanz.RelayFailure, error) {
	return sqlite.NewRelayJournal(a.db).Failures(ctx)
}

// RetryRelayEvent applies a quarantined relay event again (after the
// cause was removed); it stays quarantined when it fails again.
func (a *App) RetryRelayEvent(ctx context.Context, id string) error {
	desk, err := a.relayDesk(ctx)
	if err != nil {
		return err
	}
	return relay.Retry(ctx, desk, id)
}
