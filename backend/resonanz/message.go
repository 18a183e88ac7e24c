package resonanz

import (
	"context"
	"time"
)

// Message is one personalized mail, rendered and ready to be written as MIME
// (.eml/.mbox) or handed to an SMTP server. Header values are plain text; the
// writer encodes them and refuses CR/LF.
type Message struct {
	From      SenderIdentity `json:"from"`
	To        string         `json:"to"`     // the recipient's address
	ToName    string         `json:"toName"` // display name, may be empty
	Subject   string         `json:"subject"`
	Preheader string         `json:"preheader"` // already part of HTML; kept for previews
	HTML      string         `json:"html"`
	Text      string         `json:"text"`
	// MessageID is the RFC 5322 Message-ID without angle brackets; the writer
	// generates one when empty.
	MessageID string    `json:"messageId"`
	Date      time.Time `json:"date"`
	// Headers are extra headers such as List-Unsubscribe,
	// List-Unsubscribe-Post, X-Resonanz-Mailing.
	Headers map[string]string `json:"headers"`
}

// Mailer delivers messages, e.g. over SMTP. Send returns per message an error
// (nil when the server accepted it); err is for failures of the whole call.
type Mailer interface {
	Send(ctx context.Context, msgs []*Message) (perMessage []error, err error)
}
