package desktop

import (
	"context"
	"time"

	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// RelayService is what the Relays façade needs (relay.Relays).
type RelayService interface {
	Overview(ctx context.Context) (relay.Overview, error)
	Connect(ctx context.Context, code string) (relay.Pairing, error)
	Unpair(ctx context.Context, relayID string) error
	SetMode(ctx context.Context, mode string) error
	Sync(ctx context.Context, publish bool, progress func(relay.SyncProgress)) ([]relay.SyncResult, error)
	Failures(ctx context.Context) ([]resonanz.RelayFailure, error)
	Retry(ctx context.Context, id string) error
}

// AutoPublish is the state of publish on change (relay.AutoPublisher).
type AutoPublish interface {
	Status() relay.AutoStatus
	Schedule()
}

// Relays is the bound façade of Settings → Listener's choice between the
// local listener and relays: pairing, the paired relays, sync, unpair.
type Relays struct {
	ctx    context.Context
	svc    RelayService
	auto   AutoPublish
	events Emitter
}

// NewRelays returns the façade; auto may be nil (no publish on change).
func NewRelays(ctx context.Context, svc RelayService, auto AutoPublish, events Emitter) *Relays {
	return &Relays{ctx: ctx, svc: svc, auto: auto, events: events}
}

// RelayOverview is the mode, the paired relays and publish on change.
type RelayOverview struct {
	relay.Overview
	AutoPublish relay.AutoStatus `json:"autoPublish"`
}

// Overview returns the mode, each paired relay (reachable or not, pending
// events, last sync) and the state of publish on change.
func (r *Relays) Overview() (RelayOverview, error) {
	o, err := r.svc.Overview(r.ctx)
	out := RelayOverview{Overview: o}
	if r.auto != nil {
		out.AutoPublish = r.auto.Status()
	}
	return out, err
}

// Pair pairs the desk with the relay the code names and points the links
// in new mails at it; the first publication follows in the background.
func (r *Relays) Pair(code string) (relay.Pairing, error) {
	p, err := r.svc.Connect(r.ctx, code)
	if err == nil && r.auto != nil {
		r.auto.Schedule()
	}
	p.Secret = nil // the secret stays in Go
	return p, err
}

// Unpair forgets the relay.
func (r *Relays) Unpair(relayID string) (bool, error) {
	if err := r.svc.Unpair(r.ctx, relayID); err != nil {
		return false, err
	}
	return true, nil
}

// SetMode points the links in new mails at the local listener ("local") or
// the first paired relay ("relay").
func (r *Relays) SetMode(mode string) (RelayOverview, error) {
	if err := r.svc.SetMode(r.ctx, mode); err != nil {
		return RelayOverview{}, err
	}
	return r.Overview()
}

// Sync collects every paired relay's events and publishes the desk's data;
// progress goes out as resonanz.EventRelayProgress.
func (r *Relays) Sync() ([]relay.SyncResult, error) {
	emit := Throttle(r.events, resonanz.EventRelayProgress, 100*time.Millisecond)
	return r.svc.Sync(r.ctx, true, func(p relay.SyncProgress) { emit(p, p.Done == p.Total) })
}

// Failures lists the relay events the desk could not apply, each with its
// reason (Key and Params name the catalogue text): the quarantined ones
// and those the next sync tries again.
func (r *Relays) Failures() ([]resonanz.RelayFailure, error) {
	return r.svc.Failures(r.ctx)
}

// Retry applies a quarantined relay event again (after its cause was
// removed); it stays quarantined, with the new reason, when it fails.
func (r *Relays) Retry(id string) (bool, error) {
	if err := r.svc.Retry(r.ctx, id); err != nil {
		return false, err
	}
	return true, nil
}
