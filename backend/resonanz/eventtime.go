package resonanz

import (
	"context"
	"time"
)

type eventTimeKey struct{}

// WithEventTime returns ctx carrying the time an event happened elsewhere
// (a relay's page): the store records consent changes, unsubscribes and
// survey answers at that time, so the consent gate and the ledger see them
// when they happened, not when the desk applied them.
func WithEventTime(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, eventTimeKey{}, t)
}

// EventTime returns the time carried by ctx, or now when there is none.
func EventTime(ctx context.Context, now time.Time) time.Time {
	if t, ok := ctx.Value(eventTimeKey{}).(time.Time); ok && !t.IsZero() {
		return t
	}
	return now
}

// RelayEvent names one event of a relay's log that the desk applied
// (the relay journal records them: exactly once by relay and sequence,
// idempotent by id).
type RelayEvent struct {
	Seq  int64
	ID   string
	Kind string
}

// PendingOptIn is a double opt-in request waiting for its confirmation,
// as a relay needs it to accept the link: the hash of the token (never the
// token), the list's name and the expiry.
type PendingOptIn struct {
	TokenHash string
	ListName  string
	ExpiresAt time.Time
}

type relayApplyKey struct{}

// RelayApply names the relay events one apply belongs to: the store
// journals their ids (and moves the relay's cursor) inside the same
// transaction that applies them, and applies nothing when they were
// journaled before. So an event is applied exactly once, even when the
// desk stops between applying and acknowledging it.
type RelayApply struct {
	RelayID string
	Events  []RelayEvent
}

// WithRelayApply returns ctx carrying the relay events of an apply.
func WithRelayApply(ctx context.Context, a RelayApply) context.Context {
	return context.WithValue(ctx, relayApplyKey{}, a)
}

// RelayApplyFrom returns the relay events carried by ctx (ok false when
// the change does not come from a relay).
func RelayApplyFrom(ctx context.Context) (RelayApply, bool) {
	a, ok := ctx.Value(relayApplyKey{}).(RelayApply)
	return a, ok && len(a.Events) > 0
}

// RelayFailure is a relay event the desk could not apply: how often it
// failed and why (Key and Params name the catalogue text, Reason is its
// English form). A quarantined event no longer holds up later events; a
// retry applies it from the sealed copy the desk keeps.
type RelayFailure struct {
	ID          string            `json:"id"`
	RelayID     string            `json:"relayId"`
	Seq         int64             `json:"seq"`
	Kind        string            `json:"kind"`
	At          time.Time         `json:"at"`
	Attempts    int               `json:"attempts"`
	Quarantined bool              `json:"quarantined"`
	Reason      string            `json:"reason"`
	Key         string            `json:"key"`
	Params      map[string]string `json:"params,omitempty"`
	FailedAt    time.Time         `json:"failedAt"`
}
