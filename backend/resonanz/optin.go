package resonanz

import (
	"context"
	"time"
)

// OptInRequest is a pending or confirmed double opt-in.
type OptInRequest struct {
	ID          int64     `json:"id"`
	RecipientID int64     `json:"recipientId"`
	ListID      int64     `json:"listId"`
	ListName    string    `json:"listName"` // filled when read
	Wording     string    `json:"wording"`
	RequestedAt time.Time `json:"requestedAt"`
	RequestedIP string    `json:"requestedIp"`
	RequestedUA string    `json:"requestedUa"`
	ExpiresAt   time.Time `json:"expiresAt"`
	ConfirmedAt time.Time `json:"confirmedAt"` // zero while pending
	ConfirmedIP string    `json:"confirmedIp"`
	ConfirmedUA string    `json:"confirmedUa"`
	// Consents are the tracking consents ticked on the signup form; they
	// enter the ledger only at confirmation, each as its own grant.
	Consents []PendingConsent `json:"consents"`
	// Token is the secret for the confirmation link; it is returned once, by
	// RequestOptIn, and only its hash is stored.
	Token string `json:"-"`
}

// PendingConsent is a consent ticked together with a double opt-in request:
// a purpose other than the newsletter and the exact wording shown next to
// its own checkbox.
type PendingConsent struct {
	Purpose string `json:"purpose"`
	Wording string `json:"wording"`
}

// WebClient is who made a web request: proof for the ledger.
type WebClient struct {
	IP        string
	UserAgent string
}

// OptInTTL is how long a confirmation link stays valid.
const OptInTTL = 7 * 24 * time.Hour

// OptInService runs double opt-in: request (pending, membership unconfirmed)
// → confirm (membership confirmed, newsletter grant in the ledger, plus one
// grant per pending consent).
type OptInService interface {
	// RequestOptIn records a pending request. A membership that was ended
	// (unsubscribed) stays so until the request is confirmed. Someone
	// already confirmed on the list gets ECONFLICT.
	RequestOptIn(ctx context.Context, recipientID, listID int64, wording string, client WebClient, consents ...PendingConsent) (OptInRequest, error)
	ConfirmOptIn(ctx context.Context, token string, client WebClient) (OptInRequest, error)
	// OptIns returns a person's requests, newest first (the detail view's
	// proof of pending and confirmed double opt-ins).
	OptIns(ctx context.Context, recipientID int64) ([]OptInRequest, error)
}

// ConfirmationResult is the outcome of sending double opt-in confirmation
// mails from the desk (also its progress event).
type ConfirmationResult struct {
	Total int `json:"total"` // people asked for
	Done  int `json:"done"`  // handled so far
	Sent  int `json:"sent"`
	// Skipped are confirmed already, unsubscribed (a new confirmation
	// mail needs their own signup) or suppressed.
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// Errors name the first failures: "address: reason".
	Errors []string `json:"errors"`
}
