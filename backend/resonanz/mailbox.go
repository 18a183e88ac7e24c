package resonanz

import (
	"context"
	"time"
)

// ProviderMailbox names reactions found in the sender's own mailbox (the
// mailbox sync) in the reaction store, beside the provider logs.
const ProviderMailbox = "mailbox"

// SettingMailbox names the stored MailboxSettings.
const SettingMailbox = "mailbox"

// MailboxSettings say which IMAP mailbox the desk reads for bounces,
// complaints, unsubscribe mails and replies, and which addresses lead
// back to it. The password is kept apart (like the SMTP password).
type MailboxSettings struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`     // 0: 993 with tls, else 143
	Security string `json:"security"` // tls, starttls or none
	Username string `json:"username"`
	// Folders are read by a sync (default INBOX).
	Folders []string `json:"folders"`
	// ProcessedFolder receives what a sync handled (bounces, complaints,
	// unsubscribes, auto-replies); it is created if missing. Replies stay
	// where they are. Empty: nothing is moved. Nothing is ever deleted.
	ProcessedFolder string `json:"processedFolder"`
	// SyncOnStart and IntervalMinutes (0: off) run syncs while the desk runs.
	SyncOnStart     bool `json:"syncOnStart"`
	IntervalMinutes int  `json:"intervalMinutes"`
	// SoftBounceLimit suppresses a person after that many mailings in a
	// row bounced softly (0: never).
	SoftBounceLimit int `json:"softBounceLimit"`
	// BounceAddress is the envelope sender (Return-Path) of every mail and
	// UnsubscribeAddress the mailto: of List-Unsubscribe; both must arrive
	// in this mailbox. With SubAddressing each mail gets its own signed
	// address (bounce+TOKEN@domain); empty addresses leave the mails as
	// they were.
	BounceAddress      string `json:"bounceAddress"`
	UnsubscribeAddress string `json:"unsubscribeAddress"`
	SubAddressing      bool   `json:"subAddressing"`
	HasPassword        bool   `json:"hasPassword"` // read only
}

// Mailbox security modes.
const (
	MailboxTLS      = "tls"
	MailboxSTARTTLS = "starttls"
	MailboxNone     = "none"
)

// MailboxError names a message a sync could not handle: Reason in English,
// Key and Params for the catalogues.
type MailboxError struct {
	Folder string            `json:"folder"`
	UID    uint32            `json:"uid"`
	Reason string            `json:"reason"`
	Key    string            `json:"key"`
	Params map[string]string `json:"params,omitempty"`
}

// MailboxSyncResult is the outcome of a mailbox sync, printed by
// `resonanz mailbox sync --json`. Read counts the messages fetched; each
// is counted once more by what it was. Unmatched are bounces, complaints
// and unsubscribes that name nobody Resonanz knows (or carry a forged
// token); Errors could not be read at all.
type MailboxSyncResult struct {
	Read         int            `json:"read"`
	BouncesHard  int            `json:"bounces_hard"`
	BouncesSoft  int            `json:"bounces_soft"`
	Complaints   int            `json:"complaints"`
	Unsubscribes int            `json:"unsubscribes"`
	AutoReplies  int            `json:"auto_replies"`
	Replies      int            `json:"replies"`
	Unmatched    int            `json:"unmatched"`
	Errors       []MailboxError `json:"errors"`
	// Skipped were processed before (seen again after a move or a crash).
	Skipped   int  `json:"skipped"`
	Cancelled bool `json:"cancelled,omitempty"`
}

// MailboxProgress is sent while a sync runs.
type MailboxProgress struct {
	Folder string `json:"folder"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
}

// MailboxMessage is a processed message as the store keeps it.
type MailboxMessage struct {
	Key         string    `json:"key"`
	Kind        string    `json:"kind"`    // bounce, complaint, unsubscribe, auto_reply, reply, error
	Outcome     string    `json:"outcome"` // applied, unmatched, kept, error
	Reason      string    `json:"reason"`
	Date        time.Time `json:"date"`
	From        string    `json:"from"`
	FromName    string    `json:"fromName"`
	Subject     string    `json:"subject"`
	RecipientID int64     `json:"recipientId"` // 0: nobody known
	MailingID   int64     `json:"mailingId"`
	Folder      string    `json:"folder"`
	UID         uint32    `json:"uid"`
}

// MailboxStatus is what the desk shows about the mailbox: the last sync
// and whether one runs.
type MailboxStatus struct {
	Running  bool               `json:"running"`
	Progress MailboxProgress    `json:"progress"`
	LastAt   time.Time          `json:"lastAt"`
	Last     *MailboxSyncResult `json:"last"`
	Error    string             `json:"error"`
}

// MailboxStore keeps the mailbox sync's state: UIDs per folder and the
// messages processed.
type MailboxStore interface {
	// Folder returns the UIDVALIDITY and the highest UID processed (0, 0
	// when the folder was never read).
	Folder(ctx context.Context, account, folder string) (uidValidity, lastUID uint32, err error)
	SetFolder(ctx context.Context, account, folder string, uidValidity, lastUID uint32) error
	// Processed returns which of the keys were processed before.
	Processed(ctx context.Context, keys []string) (map[string]bool, error)
	// Replies lists the replies kept for the user, newest first.
	Replies(ctx context.Context, limit int) ([]MailboxMessage, error)
	// ResolveAll finds who each message is about: by recipient id (a
	// token), else by the Message-ID of a delivery, else by address. A
	// match has the recipient's id and address and the delivery's mailing
	// (0 when unknown); the zero match when nobody is found.
	ResolveAll(ctx context.Context, lookups []MailboxLookup) ([]MailboxMatch, error)
	// BeginSync starts the store side of one sync; opt names its reaction
	// import run.
	BeginSync(opt ReactionImport) MailboxRun
}

// MailboxRun stores the batches of one sync.
type MailboxRun interface {
	// Apply stores the effects of a batch (through the reaction import,
	// de-duplicated by the events' keys) and records its messages (a key
	// stored before is left as it is), both in one transaction.
	Apply(ctx context.Context, events []ProviderEvent, msgs []MailboxMessage) error
	// Finish ends the run with status done, cancelled or failed.
	Finish(status string) error
}

// MailboxLookup names the clues to who a message is about.
type MailboxLookup struct {
	RecipientID      int64
	MessageID, Email string
}

// MailboxMatch is the recipient a lookup found (zero: nobody).
type MailboxMatch struct {
	RecipientID int64
	Email       string
	MailingID   int64
}
