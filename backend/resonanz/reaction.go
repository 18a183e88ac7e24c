package resonanz

import (
	"context"
	"encoding/json"
	"time"
)

// ReactionType is the normalized kind of a reaction or delivery event, the
// same for the listener's own hits and for imported provider logs.
type ReactionType string

// Reaction types (see ../shared/fixtures/providers/FORMATS.md §10).
const (
	ReactionSent         ReactionType = "sent"
	ReactionDelivered    ReactionType = "delivered"
	ReactionDeferred     ReactionType = "deferred"
	ReactionBounced      ReactionType = "bounced"
	ReactionRejected     ReactionType = "rejected"
	ReactionOpened       ReactionType = "opened"
	ReactionClicked      ReactionType = "clicked"
	ReactionUnsubscribed ReactionType = "unsubscribed"
	ReactionResubscribed ReactionType = "resubscribed"
	ReactionComplained   ReactionType = "complained"
	ReactionFailed       ReactionType = "failed"
	ReactionUnknown      ReactionType = "unknown"
	// ReactionImageLoad is a download of one of the mailing's images through
	// the listener's image proxy. No provider reports it.
	ReactionImageLoad ReactionType = "image_load"
)

// ReactionTypes lists every reaction type in a stable order (for reports).
var ReactionTypes = []ReactionType{
	ReactionSent, ReactionDelivered, ReactionDeferred, ReactionBounced, ReactionRejected,
	ReactionOpened, ReactionClicked, ReactionImageLoad, ReactionUnsubscribed, ReactionResubscribed,
	ReactionComplained, ReactionFailed, ReactionUnknown,
}

// TrackingPurpose returns the consent purpose that gates storing a reaction
// of type t per person ("" when the reaction is not tracking: bounces,
// complaints and unsubscribes always apply to the recipient).
func TrackingPurpose(t ReactionType) string {
	switch t {
	case ReactionOpened, ReactionImageLoad:
		return PurposeTrackingOpens
	case ReactionClicked:
		return PurposeTrackingClicks
	}
	return ""
}

// Bounce kinds.
const (
	BounceHard         = "hard"
	BounceSoft         = "soft"
	BounceBlock        = "block"
	BounceUndetermined = "undetermined"
)

// Link kinds: a click on a text link or on an image link.
const (
	LinkText    = "text"
	LinkImage   = "image"
	LinkUnknown = "unknown"
	// LinkAsset is not a link but an image shown in the mail; downloads
	// through the listener's image proxy are recorded against it.
	LinkAsset = "asset"
)

// Providers whose logs can be imported.
const (
	ProviderMailgun   = "mailgun"
	ProviderSendGrid  = "sendgrid"
	ProviderPostmark  = "postmark"
	ProviderSES       = "ses"
	ProviderBrevo     = "brevo"
	ProviderMailjet   = "mailjet"
	ProviderSparkPost = "sparkpost"
	ProviderMandrill  = "mandrill"
	ProviderMailchimp = "mailchimp"
	ProviderCSV       = "csv"      // generic CSV with a column mapping
	ProviderListener  = "resonanz" // the listener's own log
)

// ProviderEvent is one event of a provider log, normalized (FORMATS.md §10):
// one value per (provider event × recipient). Optional booleans are nil when
// the provider does not say.
type ProviderEvent struct {
	Provider        string       `json:"provider"`
	SourceKind      string       `json:"source_kind"` // webhook, events_api, firehose, sns, csv, api_report
	ProviderEventID string       `json:"provider_event_id,omitempty"`
	DedupeKey       string       `json:"dedupe_key"`
	Type            ReactionType `json:"event_type"`
	EventRaw        string       `json:"event_raw"`
	BounceKind      string       `json:"bounce_kind,omitempty"`
	OccurredAt      time.Time    `json:"occurred_at"` // UTC, millisecond precision
	OccurredAtRaw   string       `json:"occurred_at_raw"`
	SentAt          time.Time    `json:"sent_at,omitzero"`

	Email              string `json:"recipient_email"` // trimmed, lowercased
	EmailRaw           string `json:"recipient_email_raw"`
	RecipientAmbiguous bool   `json:"recipient_ambiguous,omitempty"`

	ProviderMessageID string            `json:"provider_message_id,omitempty"`
	RFCMessageID      string            `json:"rfc_message_id,omitempty"` // without <>
	CampaignID        string            `json:"campaign_id,omitempty"`
	Tags              []string          `json:"tags,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`

	URL        string `json:"url,omitempty"`
	LinkName   string `json:"link_name,omitempty"`
	LinkKind   string `json:"link_kind,omitempty"`
	MimePart   string `json:"mime_part,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	ClientIP   string `json:"client_ip,omitempty"` // the opener/clicker, never the sending MTA
	GeoCountry string `json:"geo_country,omitempty"`
	GeoRegion  string `json:"geo_region,omitempty"`
	GeoCity    string `json:"geo_city,omitempty"`
	ClientName string `json:"client_name,omitempty"`
	ClientOS   string `json:"client_os,omitempty"`
	DeviceType string `json:"device_type,omitempty"`

	IsFirst           *bool  `json:"is_first,omitempty"`
	MachineOpen       *bool  `json:"machine_open,omitempty"`
	MachineOpenSource string `json:"machine_open_source,omitempty"`
	SMTPStatus        string `json:"smtp_status,omitempty"`
	SMTPResponse      string `json:"smtp_response,omitempty"`

	// MessageIDs are further message ids the provider sends beside
	// ProviderMessageID (e.g. Mailjet mj_message_id); part of the dedupe key.
	MessageIDs []string `json:"message_ids,omitempty"`
	// Warnings say which optional fields had an unexpected type and were
	// converted or left out, or which fallback was used (the event itself
	// is kept); catalogue texts (plain English strings in older rows).
	Warnings []Text `json:"warnings,omitempty"`
	// LegacyDedupeKey is the key an earlier version computed for an event
	// without a provider event id; the importer treats it as seen too, so
	// a log imported before still adds nothing.
	LegacyDedupeKey string `json:"-"`

	// Raw is the original event after unwrapping envelopes.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Line is the event's line (NDJSON, CSV, form body) or 1-based index in a
	// JSON array; it names the event in rejection reasons.
	Line int `json:"import_line"`
}

// Mailing header names Resonanz puts into every mail so that provider logs
// and replies can be matched back.
const (
	HeaderMailing   = "X-Resonanz-Mailing"   // mailing id
	HeaderRecipient = "X-Resonanz-Recipient" // opaque recipient token, never the address
)

// Hit is one request to the listener that carried a valid token: an open
// (pixel), a click, or an image download. The recorder decides, at the time
// the hit arrives, whether it is stored per person (current tracking
// consent) or only counted anonymously.
type Hit struct {
	Type        ReactionType `json:"type"` // ReactionOpened, ReactionClicked or ReactionImageLoad
	MailingID   int64        `json:"mailingId"`
	RecipientID int64        `json:"recipientId"`
	LinkID      int64        `json:"linkId"` // clicks and image loads
	At          time.Time    `json:"at"`
	UserAgent   string       `json:"userAgent"`
	IP          string       `json:"ip"`
	// MachineOpen flags opens by prefetching proxies (flagged, not dropped).
	MachineOpen bool `json:"machineOpen"`
}

// HitRecorder stores listener hits, applying the consent gate per hit.
type HitRecorder interface {
	RecordHits(ctx context.Context, hits []Hit) error
}

// ReactionSource yields provider events. Next returns io.EOF at the end and
// a *RowError for one malformed event (the caller records it and calls Next
// again); any other error aborts the import.
type ReactionSource interface {
	Next() (ProviderEvent, error)
}

// ReactionImport describes one import of a provider log.
type ReactionImport struct {
	FileName string `json:"fileName"`
	Provider string `json:"provider"`
	// MailingID is the mailing events belong to when nothing in the event
	// names one (0: such events go to quarantine).
	MailingID int64 `json:"mailingId"`
	// SoftBounceLimit suppresses a person whose last that many mailings
	// all bounced softly (0: soft bounces are only counted).
	SoftBounceLimit int `json:"softBounceLimit,omitempty"`
}

// ReactionImportResult is the outcome of a reaction import, printed by
// `resonanz import reactions --json`. Read counts events decoded; of them,
// Duplicates were known already (or repeated in the file), Unmatched went to
// quarantine, Imported were stored, and Anonymized of those only as
// anonymous counts (no tracking consent at the event's time). ByType counts
// the events read after de-duplication by normalized type.
type ReactionImportResult struct {
	ImportID   int64          `json:"importId"`
	Provider   string         `json:"provider"`
	Read       int            `json:"read"`
	Imported   int            `json:"imported"`
	Duplicates int            `json:"duplicates"`
	Unmatched  int            `json:"unmatched"`
	Anonymized int            `json:"anonymized"`
	Rejected   int            `json:"rejected"`
	ByType     map[string]int `json:"by_type"`
	// Errors names the rejected events (line or index and reason), at most
	// the first 1000.
	Errors    []RowError `json:"errors"`
	Cancelled bool       `json:"cancelled,omitempty"`
	// Campaigns are the provider campaigns the events named and the
	// mailings they were filed under, by campaign id.
	Campaigns []CampaignFiling `json:"campaigns"`
	// Warned counts events kept with a warning (an optional field of an
	// unexpected type converted or left out, a fallback used); Warnings
	// names the first 1000.
	Warned   int        `json:"warned"`
	Warnings []RowError `json:"warnings"`
}

// CampaignFiling is where an import filed the events of one provider
// campaign: the mailing with that campaign id (external id), created as an
// imported mailing on the first import that names the campaign.
type CampaignFiling struct {
	ID        string `json:"id"`
	MailingID int64  `json:"mailing_id"`
	Created   bool   `json:"created"`
	Events    int    `json:"events"`
}

// QuarantinedEvent is an imported event that matched no recipient or no
// mailing; it is kept for review instead of being dropped.
type QuarantinedEvent struct {
	ID       int64  `json:"id"`
	ImportID int64  `json:"importId"`
	Reason   string `json:"reason"` // in English
	// Key and Params name the reason's catalogue text (empty Key: a row
	// quarantined before reasons had keys; Reason is shown as it is).
	Key    string            `json:"key,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	Event  ProviderEvent     `json:"event"`
}

// CampaignPreview is a provider campaign found in a log before it is
// imported: how many events name it and the mailing they will be filed
// under (MailingID 0: a new imported mailing named after the campaign).
type CampaignPreview struct {
	ID          string `json:"id"`
	Events      int    `json:"events"`
	MailingID   int64  `json:"mailingId"`
	MailingName string `json:"mailingName"`
}

// ReactionPreview is what a log holds, read before importing it.
type ReactionPreview struct {
	Provider  string            `json:"provider"`
	Events    int               `json:"events"`
	Campaigns []CampaignPreview `json:"campaigns"`
	// WithoutCampaign counts events that name no campaign (they go to the
	// mailing picked for the import, or are matched by their ids).
	WithoutCampaign int `json:"withoutCampaign"`
}

// ReactionImporter stores provider events: de-duplicated, matched to
// recipients and mailings, gated by tracking consent, in batches.
type ReactionImporter interface {
	ImportReactions(ctx context.Context, src ReactionSource, opt ReactionImport, progress func(ImportProgress)) (ReactionImportResult, error)
	Quarantine(ctx context.Context, importID int64, limit int) ([]QuarantinedEvent, error)
	// CampaignMailings returns, per campaign id, the mailing its events
	// would be filed under (absent: a new imported mailing).
	CampaignMailings(ctx context.Context, ids []string) (map[string]Mailing, error)
	// AssignQuarantined imports quarantined events (ids; nil: all) for
	// mailingID, as if it had been picked for their import; RematchQuarantine
	// imports them again as they are (after a recipient import, say).
	// Events that still match nothing stay (counted as Duplicates).
	AssignQuarantined(ctx context.Context, ids []int64, mailingID int64) (ReactionImportResult, error)
	RematchQuarantine(ctx context.Context, ids []int64) (ReactionImportResult, error)
	// DiscardQuarantined drops quarantined events; a later import of the
	// same log does not bring them back. Returns how many were dropped.
	DiscardQuarantined(ctx context.Context, ids []int64) (int, error)
}
