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
