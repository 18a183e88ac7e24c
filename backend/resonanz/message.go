package resonanz

import (
	"context"
	"errors"
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
	// ReturnPath is the envelope sender (SMTP MAIL FROM), where bounces go:
	// the mailbox's bounce address, per message with sub-addressing; empty:
	// the From address.
	ReturnPath string `json:"returnPath,omitempty"`
	// Headers are extra headers such as List-Unsubscribe,
	// List-Unsubscribe-Post, X-Resonanz-Mailing.
	Headers map[string]string `json:"headers"`
}

// Mailer delivers messages, e.g. over SMTP. Send returns per message an error
// (nil when the server accepted it); err is for failures of the whole call.
type Mailer interface {
	Send(ctx context.Context, msgs []*Message) (perMessage []error, err error)
}

// IsPermanentFailure reports whether a per-message error of a Mailer says
// the message can never be delivered as it is (an SMTP 5xx reply): the
// adapter's error type has a PermanentFailure method saying so. Other
// failures are temporary and retried.
func IsPermanentFailure(err error) bool {
	var p interface{ PermanentFailure() bool }
	return errors.As(err, &p) && p.PermanentFailure()
}

// Send-run states of a mailing.
const (
	RunIdle    = "idle"
	RunSending = "sending"
	RunPaused  = "paused"
	RunDone    = "done"
)

// SendRequest starts (or resumes) sending a mailing to its list, or to the
// part of it a target group selects.
type SendRequest struct {
	MailingID     int64 `json:"mailingId"`
	TargetGroupID int64 `json:"targetGroupId"` // 0: the whole list
	// RatePerSecond limits messages per second (0: as fast as the server
	// takes them).
	RatePerSecond float64 `json:"ratePerSecond"`
	// RatePerMinute and RatePerHour limit the messages in any minute or
	// hour (0: no limit), as providers state their sending limits.
	RatePerMinute int `json:"ratePerMinute"`
	RatePerHour   int `json:"ratePerHour"`
	// ErrorThreshold pauses the run when this share of a batch fails
	// (0: default 0.2).
	ErrorThreshold float64 `json:"errorThreshold"`
	// OpID scopes the progress events: "send:progress:<opId>".
	OpID string `json:"opId"`
	// WithoutRelay starts the send even when a paired relay could not be
	// synced first (the user's choice: its latest unsubscribes may be
	// missing). Default: such a send does not start.
	WithoutRelay bool `json:"withoutRelay"`
}

// SendRun is the state of a mailing's send run, also its progress event.
type SendRun struct {
	MailingID int64  `json:"mailingId"`
	Status    string `json:"status"` // RunIdle, RunSending, RunPaused, RunDone
	Total     int    `json:"total"`  // people in the send ledger
	Queued    int    `json:"queued"` // still to send (also temporarily failed ones)
	Sent      int    `json:"sent"`
	Failed    int    `json:"failed"`  // permanently refused by the server
	Skipped   int    `json:"skipped"` // required placeholder empty, or no longer subscribed
	// PausedReason says why a run paused by itself (error threshold, server
	// unreachable).
	PausedReason string `json:"pausedReason"`
}

// Audience is who a mailing would go to, before sending.
type Audience struct {
	Members        int `json:"members"`        // confirmed members of the list (in the target group)
	Eligible       int `json:"eligible"`       // of them with newsletter consent and not suppressed
	WithoutConsent int `json:"withoutConsent"` // confirmed but no valid newsletter consent on the list
	Suppressed     int `json:"suppressed"`     // hard bounce or complaint
	AlreadySent    int `json:"alreadySent"`    // in the send ledger already
}

// SendPending is one person of a mailing's send ledger still to be mailed.
type SendPending struct {
	Recipient Recipient
	MessageID string // fixed when queued: a resumed send reuses it
	// TrackOpens and TrackClicks are the person's tracking consents now.
	TrackOpens  bool
	TrackClicks bool
	// Eligible is false when the person unsubscribed or was suppressed after
	// the run was prepared: they are skipped.
	Eligible bool
}

// Send outcomes recorded in the ledger.
const (
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliverySkipped = "skipped"
)

// DeliveryInFlight is the error text of a queued ledger row whose message has
// been handed to the mail server and whose outcome is not recorded yet. A row
// that still carries it after the run ended was in flight when the process
// died: the server may or may not have accepted the message. The next run
// sends it again with the same Message-ID (at least once, never skipped).
const DeliveryInFlight = "In flight when the send run stopped; the server may have accepted it, so it is sent again with the same Message-ID."

// SendOutcome is what happened to one queued person; an empty Status keeps
// them queued (a temporary failure, retried by the next run).
type SendOutcome struct {
	RecipientID int64
	Status      string
	Error       string
	At          time.Time
}
