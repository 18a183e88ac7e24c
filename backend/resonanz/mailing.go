package resonanz

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Mailing statuses.
const (
	MailingDraft    = "draft"
	MailingSending  = "sending"
	MailingPaused   = "paused"
	MailingSent     = "sent"
	MailingImported = "imported" // known only from an imported provider log
)

// Mailing is one newsletter issue: its template, its audience and, once
// sent, its results. ExternalID is the campaign id a sending provider uses
// for it (matched when provider logs are imported).
type Mailing struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Subject    string    `json:"subject"`
	Preheader  string    `json:"preheader"`
	Body       string    `json:"body"` // Markdown template
	Language   string    `json:"language"`
	ListID     int64     `json:"listId"`
	LayoutID   int64     `json:"layoutId"` // 0: the built-in default layout
	Status     string    `json:"status"`
	ExternalID string    `json:"externalId"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	SentAt     time.Time `json:"sentAt"`
	// SentLayout is the HTML of the custom layout as it was when sending
	// began ("" before, and for the built-in default layout): renders of a
	// mailing that went out use it, not the layout as edited since.
	SentLayout string `json:"-"`
}

// Locked reports whether the mailing's content is fixed: once sending has
// begun, subject, preheader, body, language, list and layout stay as they
// went out (the name and the provider's campaign id may still change).
func (m Mailing) Locked() bool {
	return m.Status == MailingSending || m.Status == MailingPaused || m.Status == MailingSent
}

// SameContent reports whether two versions of a mailing have the same
// content (what Locked fixes).
func (m Mailing) SameContent(o Mailing) bool {
	return m.Subject == o.Subject && m.Preheader == o.Preheader && m.Body == o.Body && m.Language == o.Language &&
		m.ListID == o.ListID && m.LayoutID == o.LayoutID
}

// Validate checks a mailing before it is stored.
func (m Mailing) Validate() error {
	if err := checkName(m.Name, "mailing", "mailing"); err != nil {
		return err
	}
	return checkSubjectLanguage(m.Subject, m.Language)
}

// checkName checks the name of a thing the user names (entity is the key's
// part, noun the text's): not empty, at most MaxNameLength runes.
func checkName(name, entity, noun string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return FieldError("name", "error."+entity+".name.required", "Give the "+noun+" a name.")
	}
	if utf8.RuneCountInString(name) > MaxNameLength {
		return FieldError("name", "error."+entity+".name.tooLong", "The "+noun+" name is too long (at most 200 characters).")
	}
	return nil
}

// checkSubjectLanguage checks what a mailing and a mailing template share:
// a one-line subject and a language of de, en or none.
func checkSubjectLanguage(subject, language string) error {
	if strings.ContainsAny(subject, "\r\n") {
		return FieldError("subject", "error.mailing.subject.invalid", "The subject must be a single line.")
	}
	switch language {
	case "", "de", "en":
	default:
		return FieldError("language", "error.mailing.language.invalid", "The language must be de or en.")
	}
	return nil
}

// Link is a link of a mailing, with what reports and interest profiles need:
// its kind (text or image link), a report name and interest tags.
type Link struct {
	ID        int64    `json:"id"`
	MailingID int64    `json:"mailingId"`
	Index     int      `json:"index"` // position in the template, from 0
	URL       string   `json:"url"`
	Name      string   `json:"name"`
	Kind      string   `json:"kind"` // LinkText or LinkImage
	Tags      []string `json:"tags"`
}

// MailingService stores mailings and their links.
type MailingService interface {
	Mailings(ctx context.Context) ([]Mailing, error)
	Mailing(ctx context.Context, id int64) (Mailing, error)
	MailingByName(ctx context.Context, name string) (Mailing, error)
	CreateMailing(ctx context.Context, m Mailing) (Mailing, error)
	UpdateMailing(ctx context.Context, m Mailing) (Mailing, error)
	// SetLinks replaces the mailing's links (matched by URL and index so ids
	// of unchanged links survive an edit) and returns them with ids.
	SetLinks(ctx context.Context, mailingID int64, links []Link) ([]Link, error)
	Links(ctx context.Context, mailingID int64) ([]Link, error)
}
