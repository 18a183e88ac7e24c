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
	Wording     string    `json:"wording"`
	RequestedAt time.Time `json:"requestedAt"`
	RequestedIP string    `json:"requestedIp"`
	ExpiresAt   time.Time `json:"expiresAt"`
	ConfirmedAt time.Time `json:"confirmedAt"` // zero while pending
	ConfirmedIP string    `json:"confirmedIp"`
	// Token is the secret for the confirmation link; it is returned once, by
	// RequestOptIn, and only its hash is stored.
	Token string `json:"-"`
}

// WebClient is who made a web request: proof for the ledger.
type WebClient struct {
	IP        string
	UserAgent string
}

// OptInTTL is how long a confirmation link stays valid.
const OptInTTL = 7 * 24 * time.Hour

// OptInService runs double opt-in: request (pending, membership unconfirmed)
// → confirm (membership confirmed, newsletter grant in the ledger).
type OptInService interface {
	RequestOptIn(ctx context.Context, recipientID, listID int64, wording string, client WebClient) (OptInRequest, error)
	ConfirmOptIn(ctx context.Context, token string, client WebClient) (OptInRequest, error)
}
