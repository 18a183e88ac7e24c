package resonanz

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Recipient is a person who may receive mailings. The e-mail address is kept
// as entered (for display) and in a normalized form (for matching).
type Recipient struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Gender    Gender `json:"gender"`
	Title     string `json:"title"`
	Language  string `json:"language"` // "de", "en" or "" (the mailing's language applies)
	// Attributes holds the values of custom attributes in canonical form
	// (see AttributeDef.Canonical), keyed by attribute key.
	Attributes map[string]string `json:"attributes"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
}

// Gender drives salutations: f ("Frau", "Ms"), m ("Herr", "Mr"), d (diverse:
// a neutral salutation) or "" (unknown: the fallback salutation).
type Gender string

// Genders.
const (
	GenderFemale  Gender = "f"
	GenderMale    Gender = "m"
	GenderDiverse Gender = "d"
	GenderUnknown Gender = ""
)

// ParseGender reads the many ways German and English data say gender or
// salutation ("Frau", "Herr", "w", "Mr.", "female", "divers", ...).
func ParseGender(s string) (Gender, bool) {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(s), ".")) {
	case "":
		return GenderUnknown, true
	case "f", "w", "frau", "fr", "weiblich", "female", "woman", "ms", "mrs", "miss":
		return GenderFemale, true
	case "m", "herr", "hr", "männlich", "maennlich", "male", "man", "mr":
		return GenderMale, true
	case "d", "x", "divers", "diverse", "nonbinary", "non-binary", "nichtbinär", "other", "andere":
		return GenderDiverse, true
	}
	return GenderUnknown, false
}

// Limits on recipient fields; values beyond them are rejected, not truncated.
const (
	MaxEmailLength = 254
	MaxFieldLength = 1000
)

// NormalizeEmail validates an e-mail address and returns it trimmed for
// display and its matching key: the domain converted to ASCII (IDNA) and the
// whole address lower-cased, so "Anna@Müller.DE" and "anna@xn--mller-kva.de"
// are the same person.
func NormalizeEmail(s string) (display, key string, err error) {
	display = strings.TrimSpace(s)
	if display == "" {
		return "", "", &Error{Code: EINVALID, Field: "email", Key: "error.recipient.email.required", Message: "The e-mail address is missing."}
	}
	if plainAddress(display) {
		return display, strings.ToLower(display), nil
	}
	return normalizeEmailFull(display)
}

// normalizeEmailFull is NormalizeEmail for a trimmed, non-empty address
// without the fast path.
func normalizeEmailFull(display string) (_, key string, err error) {
	// invalid names the part of the address that is wrong (with its own
	// catalogue key), so "uwe.lang@gmx..de" is reported as a bad domain.
	invalid := func(key, why string, params map[string]string) (string, string, error) {
		if params == nil {
			params = map[string]string{}
		}
		params["address"] = display
		return "", "", &Error{Code: EINVALID, Field: "email", Key: key, Params: params,
			Message: "The e-mail address " + quoteShort(display) + " is not valid: " + why + "."}
	}
	if !utf8.ValidString(display) {
		return invalid("error.recipient.email.chars", "it contains invalid characters", nil)
	}
	if len(display) > MaxEmailLength {
		return invalid("error.recipient.email.tooLong", "it is longer than 254 characters", nil)
	}
	at := strings.LastIndexByte(display, '@')
	if at <= 0 || at == len(display)-1 {
		return invalid("error.recipient.email.shape", "it needs a name, an @ and a domain", nil)
	}
	local, domain := display[:at], display[at+1:]
	asciiDomain, derr := idna.Lookup.ToASCII(strings.ToLower(domain))
	if derr != nil || !validHost(asciiDomain) {
		return invalid("error.recipient.email.domain", "the domain "+quoteShort(domain)+" (the part after the @) is not a valid domain name",
			map[string]string{"domain": domain})
	}
	if !validAddressFull(local + "@" + asciiDomain) {
		return invalid("error.recipient.email.local", "the part before the @ ("+quoteShort(local)+") is not allowed",
			map[string]string{"local": local})
	}
	return display, strings.ToLower(local) + "@" + asciiDomain, nil
}

// validHost reports whether an ASCII (IDNA-converted) host name has at
// least two labels, each of 1–63 letters, digits and hyphens, not starting
// or ending with a hyphen ("gmx..de" and "-x.de" are not host names).
func validHost(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func quoteShort(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:57]) + "..."
	}
	return `"` + s + `"`
}

// RecipientFilter selects recipients for the table and exports.
type RecipientFilter struct {
	Search string  `json:"search"` // matches e-mail, first or last name (prefix, case-insensitive)
	ListID int64   `json:"listId"` // 0: any list
	Status string  `json:"status"` // membership status within ListID; "" any
	IDs    []int64 `json:"ids"`    // a selection; empty: no restriction
	// Rule restricts to a target group's rule (nil: no restriction).
	Rule *Condition `json:"rule"`
	// AfterID pages by key instead of Offset (exports walk big tables with it;
	// use it with the default sort).
	AfterID int64  `json:"afterId"`
	Offset  int    `json:"offset"`
	Limit   int    `json:"limit"` // 1..1000
	Sort    string `json:"sort"`  // "email", "lastName", "createdAt" (whitelist); "-" prefix for descending
}

// RecipientPage is one page of recipients and the total count for the filter.
type RecipientPage struct {
	Recipients []Recipient `json:"recipients"`
	Total      int         `json:"total"`
}

// RecipientService stores recipients.
type RecipientService interface {
	FindRecipients(ctx context.Context, f RecipientFilter) (RecipientPage, error)
	RecipientByID(ctx context.Context, id int64) (Recipient, error)
	// RecipientDetail returns the person with lists, consent ledger and source.
	RecipientDetail(ctx context.Context, id int64) (RecipientDetail, error)
	RecipientByEmail(ctx context.Context, email string) (Recipient, error)
	CreateRecipient(ctx context.Context, r Recipient) (Recipient, error)
	UpdateRecipient(ctx context.Context, r Recipient) (Recipient, error)
	// EraseRecipient removes the person and their personal data (GDPR Art. 17),
	// leaving an audit row without personal data.
	EraseRecipient(ctx context.Context, id int64) error
	// PersonalData returns everything stored about the person, all
	// reactions included (GDPR Art. 15/20).
	PersonalData(ctx context.Context, id int64) (PersonalDataExport, error)
}

// RecipientDetail is everything stored about one person: the detail view
// shows it, and the data export (GDPR Art. 15/20) is made of it.
type RecipientDetail struct {
	Recipient Recipient       `json:"recipient"`
	Lists     []Membership    `json:"lists"`
	Consent   []ConsentRecord `json:"consent"`      // the full ledger, oldest first
	Current   []ConsentState  `json:"consentState"` // derived current state
	// OptIns are the double opt-in requests, newest first: pending and
	// confirmed, with both time stamps, IPs and user agents.
	OptIns []OptInRequest `json:"optIns"`
	// Source says where the data came from (GDPR Art. 14/15): an import
	// (file name and time) or the desk; in English, SourceKey and
	// SourceParams name its catalogue text (params: date as YYYY-MM-DD).
	Source       string            `json:"source"`
	SourceKey    string            `json:"sourceKey,omitempty"`
	SourceParams map[string]string `json:"sourceParams,omitempty"`
	// Reactions are the person's stored reactions, newest first (at most
	// MaxDetailReactions in the detail view; all in the export).
	Reactions []PersonReaction `json:"reactions"`
	// Deliveries are the mailings sent to the person.
	Deliveries []PersonDelivery `json:"deliveries"`
	// Interests is the interest profile (only with profiling consent):
	// clicks and declared interests from surveys.
	Interests []InterestScore `json:"interests"`
	// Surveys are the person's survey answers, newest first.
	Surveys []PersonSurvey `json:"surveys"`
	// Suppressed says why the person is not mailed any more ("" if not):
	// hard_bounce, complaint or manual.
	Suppressed string `json:"suppressed"`
}

// MaxDetailReactions bounds the reactions the detail view lists.
const MaxDetailReactions = 500

// PersonReaction is one stored reaction of a person.
type PersonReaction struct {
	Type        ReactionType `json:"type"`
	At          time.Time    `json:"at"`
	MailingID   int64        `json:"mailingId"`
	MailingName string       `json:"mailingName"`
	URL         string       `json:"url,omitempty"`
	LinkKind    string       `json:"linkKind,omitempty"`
	MachineOpen bool         `json:"machineOpen,omitempty"`
	UserAgent   string       `json:"userAgent,omitempty"`
	Source      string       `json:"source"` // "listener" or "import"
}

// PersonDelivery is one mailing sent to a person.
type PersonDelivery struct {
	MailingID   int64     `json:"mailingId"`
	MailingName string    `json:"mailingName"`
	MessageID   string    `json:"messageId"`
	Status      string    `json:"status"`
	At          time.Time `json:"at"`
}

// PersonalDataExport is the machine-readable copy of a person's data.
type PersonalDataExport struct {
	Format     string    `json:"format"` // "resonanz.personal-data/1"
	ExportedAt time.Time `json:"exportedAt"`
	RecipientDetail
}

// PersonalDataFormat identifies the export format version.
const PersonalDataFormat = "resonanz.personal-data/1"
