package resonanz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Purposes a recipient can consent to. Newsletter consent is per list
// (PurposeNewsletter plus ConsentRecord.ListID); tracking and profiling are
// separate purposes and never bundled with the newsletter consent.
const (
	PurposeNewsletter     = "newsletter"
	PurposeTrackingOpens  = "tracking:opens"
	PurposeTrackingClicks = "tracking:clicks"
	PurposeProfiling      = "profiling"
)

// Sources of a consent record.
const (
	SourceForm        = "form"
	SourceImport      = "import"
	SourceManual      = "manual"
	SourceProfilePage = "profile_page"
	SourceDoubleOptIn = "double_opt_in"
	// Withdrawals of the newsletter, named by the channel they came
	// through: the unsubscribe page linked in the mail, an RFC 8058
	// one-click POST, a mail to the List-Unsubscribe mailto address, and a
	// provider's log (SourceProviderPrefix + the provider's name).
	SourceUnsubscribeLink = "unsubscribe_link"
	SourceOneClick        = "one_click"
	SourceMailUnsubscribe = "mail_unsubscribe"
	SourceProviderPrefix  = "provider:"
)

// ProviderSource returns the ledger source of an unsubscribe recorded in a
// provider's log.
func ProviderSource(provider string) string { return SourceProviderPrefix + provider }

// SourceMailboxComplaint is the ledger source of the withdrawal a spam
// complaint (an ARF report) in the sender's own mailbox causes. It is stored
// as the mailbox's provider source, which the ledger's CHECK has accepted
// since the mailbox sync began (so no table rebuild, and records written
// before read the same), but shown with its own label
// (consent.source.mailbox_complaint), not as a sending provider.
const SourceMailboxComplaint = SourceProviderPrefix + ProviderMailbox

// ValidSource reports whether s is a known source of a consent record.
func ValidSource(s string) bool {
	switch s {
	case SourceForm, SourceImport, SourceManual, SourceProfilePage, SourceDoubleOptIn,
		SourceUnsubscribeLink, SourceOneClick, SourceMailUnsubscribe:
		return true
	}
	name, ok := strings.CutPrefix(s, SourceProviderPrefix)
	return ok && name != "" && len(name) <= 40 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

// ConsentRecord is one append-only entry of the consent ledger: a grant or a
// withdrawal, with the proof needed to show it later (GDPR Art. 7(1)).
type ConsentRecord struct {
	ID          int64     `json:"id"`
	RecipientID int64     `json:"recipientId"`
	Purpose     string    `json:"purpose"`
	ListID      int64     `json:"listId"`   // for PurposeNewsletter
	ListName    string    `json:"listName"` // filled when read
	Granted     bool      `json:"granted"`
	At          time.Time `json:"at"`
	Source      string    `json:"source"`
	// Wording is the exact text the person agreed to (or the import's stated
	// evidence); WordingHash identifies its version.
	Wording     string `json:"wording"`
	WordingHash string `json:"wordingHash"`
	IP          string `json:"ip"`        // web sources only
	UserAgent   string `json:"userAgent"` // web sources only
	// Evidence describes where an imported or manual consent comes from
	// (e.g. "paper form at fair 2025, archived in folder 7").
	Evidence string `json:"evidence"`
	// WordingKey and EvidenceKey name the catalogue texts of a record the
	// program wrote itself (a withdrawal from a provider log, a complaint or
	// unsubscribe mail, the unsubscribe link), TextParams fill both: the
	// desk shows them in the user's language, the data export carries them
	// as the language-neutral form. Wording and Evidence hold the English
	// text (what WordingHash covers). Without keys (a person's own wording,
	// records written before the keys) the texts are shown as stored.
	WordingKey  string            `json:"wordingKey,omitempty"`
	EvidenceKey string            `json:"evidenceKey,omitempty"`
	TextParams  map[string]string `json:"textParams,omitempty"`
}

// SetTexts sets the wording and evidence of a record the program writes
// itself from catalogue texts (a zero Text leaves that one alone); their
// params are merged into TextParams.
func (c *ConsentRecord) SetTexts(wording, evidence Text) {
	for _, t := range []Text{wording, evidence} {
		for k, v := range t.Params {
			if c.TextParams == nil {
				c.TextParams = map[string]string{}
			}
			c.TextParams[k] = v
		}
	}
	if !wording.IsZero() {
		c.Wording, c.WordingKey = wording.Message, wording.Key
	}
	if !evidence.IsZero() {
		c.Evidence, c.EvidenceKey = evidence.Message, evidence.Key
	}
}

// WordingHash returns the version hash of a consent wording.
func WordingHash(wording string) string {
	sum := sha256.Sum256([]byte(wording))
	return hex.EncodeToString(sum[:8])
}

// PurposeLabel renders a purpose as `newsletter:<list name>` or the purpose itself.
func PurposeLabel(purpose, listName string) string {
	if purpose == PurposeNewsletter {
		return PurposeNewsletter + ":" + listName
	}
	return purpose
}

// ParsePurpose reads the textual purposes used on the command line and in
// import mappings: "tracking:opens", "tracking:clicks", "profiling" or
// "newsletter:<list>" (the list by name, returned separately).
func ParsePurpose(s string) (purpose, listName string, err error) {
	switch s {
	case PurposeTrackingOpens, PurposeTrackingClicks, PurposeProfiling:
		return s, "", nil
	}
	if name, ok := strings.CutPrefix(s, PurposeNewsletter+":"); ok && strings.TrimSpace(name) != "" {
		return PurposeNewsletter, strings.TrimSpace(name), nil
	}
	return "", "", E(EINVALID, "error.consent.unknownConsentPurpose", "Unknown consent purpose {value}; use newsletter:<list>, tracking:opens, tracking:clicks or profiling.", "value", quoteShort(s))
}

// Validate checks a record before it is appended.
func (c ConsentRecord) Validate() error {
	switch c.Purpose {
	case PurposeTrackingOpens, PurposeTrackingClicks, PurposeProfiling:
		if c.ListID != 0 {
			return FieldError("listId", "error.consent.list.unexpected", "Only newsletter consent belongs to a list.")
		}
	case PurposeNewsletter:
		if c.ListID == 0 {
			return FieldError("listId", "error.consent.list.required", "Newsletter consent needs the list it is for.")
		}
	default:
		return FieldError("purpose", "error.consent.purpose.invalid", "Unknown consent purpose "+quoteShort(c.Purpose)+".")
	}
	if !ValidSource(c.Source) {
		return FieldError("source", "error.consent.source.invalid", "Unknown consent source "+quoteShort(c.Source)+".")
	}
	if c.Granted && strings.TrimSpace(c.Wording) == "" {
		return FieldError("wording", "error.consent.wording.required", "A consent needs the exact wording the person agreed to.")
	}
	if (c.Source == SourceImport || c.Source == SourceManual) && c.Granted && strings.TrimSpace(c.Evidence) == "" {
		return FieldError("evidence", "error.consent.evidence.required",
			"State where this consent comes from (evidence), e.g. the form or document it was given on.")
	}
	for field, v := range map[string]string{"wording": c.Wording, "evidence": c.Evidence, "userAgent": c.UserAgent} {
		if utf8.RuneCountInString(v) > 10000 || !utf8.ValidString(v) {
			return FieldError(field, "error.consent.field.tooLong", "The "+field+" is too long or not valid text.")
		}
	}
	return nil
}

// ConsentState is the current state of one purpose, derived from the ledger:
// the newest record wins.
type ConsentState struct {
	Purpose  string    `json:"purpose"`
	ListID   int64     `json:"listId"`
	ListName string    `json:"listName"`
	Granted  bool      `json:"granted"`
	Since    time.Time `json:"since"`
	RecordID int64     `json:"recordId"`
}

// Key identifies the purpose (and list) of a state, e.g. "newsletter:3".
func (s ConsentState) Key() string {
	if s.Purpose == PurposeNewsletter {
		return s.Purpose + ":" + strconv.FormatInt(s.ListID, 10)
	}
	return s.Purpose
}

// ConsentService keeps the consent ledger. There is no update and no delete:
// a withdrawal is a new record (erasure of the person is the only exception).
type ConsentService interface {
	AppendConsent(ctx context.Context, c ConsentRecord) (ConsentRecord, error)
	ConsentHistory(ctx context.Context, recipientID int64) ([]ConsentRecord, error)
	// ConsentAt derives the state of every purpose at time t (the gate for
	// reactions asks at the event's time).
	ConsentAt(ctx context.Context, recipientID int64, t time.Time) ([]ConsentState, error)
}

// CurrentConsent derives the state from a ledger sorted oldest first: the
// newest record per purpose and list wins (as in ConsentTimeline.Granted;
// the store's SQL form of the rule is sqlite's newestConsentGrants).
func CurrentConsent(ledger []ConsentRecord) []ConsentState {
	latest := map[string]ConsentState{}
	var order []string
	for _, c := range ledger {
		st := ConsentState{Purpose: c.Purpose, ListID: c.ListID, ListName: c.ListName, Granted: c.Granted, Since: c.At, RecordID: c.ID}
		if _, ok := latest[st.Key()]; !ok {
			order = append(order, st.Key())
		}
		latest[st.Key()] = st
	}
	out := make([]ConsentState, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	return out
}

// ConsentEvent is one ledger entry reduced to what a consent decision needs.
type ConsentEvent struct {
	Purpose string
	ListID  int64
	Granted bool
	At      time.Time
}

// ConsentTimeline is a person's ledger, oldest first. It is the one place
// tracking decisions are made: the renderer (tracked links or not), the
// listener and the provider-log importer all ask Granted.
type ConsentTimeline []ConsentEvent

// Granted reports whether purpose (for newsletter: on listID) was granted at
// time t: the newest record at or before t decides; no record means no.
func (tl ConsentTimeline) Granted(purpose string, listID int64, t time.Time) bool {
	granted := false
	for _, e := range tl {
		if e.At.After(t) {
			break
		}
		if e.Purpose == purpose && (purpose != PurposeNewsletter || e.ListID == listID) {
			granted = e.Granted
		}
	}
	return granted
}
