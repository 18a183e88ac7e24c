package resonanz

import (
	"context"
	"strings"
	"time"
)

// MaxLayoutSize bounds a layout's HTML (bytes): a newsletter wrapper with
// inline styles is a few kilobytes; images are linked, not embedded.
const MaxLayoutSize = 256 << 10

// Layout is a reusable HTML wrapper around a mailing's body: the user's
// logo, colours and imprint. Its HTML has {{ content }} exactly once and
// may use {{ preheader }}, {{ subject }}, {{ lang }}, {{ footer }}, the
// system links and placeholders (docs/templates.md). Layouts are the
// user's own HTML, trusted like the built-in default; recipient values
// substituted into them are still escaped.
type Layout struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	HTML      string    `json:"html"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Validate checks a layout's name and size; the HTML's template syntax is
// checked by backend/render (Compile) before the layout is stored.
func (l Layout) Validate() error {
	if err := checkName(l.Name, "layout", "layout"); err != nil {
		return err
	}
	if strings.TrimSpace(l.HTML) == "" {
		return FieldError("html", "error.layout.html.required", "The layout is empty. Start from the default layout and adapt it.")
	}
	if len(l.HTML) > MaxLayoutSize {
		return FieldError("html", "error.layout.html.tooLong", "The layout is too large (at most 256 KB). Link images instead of embedding them.")
	}
	return nil
}

// MailingTemplate is a mailing's content kept to start new issues from:
// "save as template" in the mailing editor, "new mailing from template"
// on the Templates screen. LayoutID 0 is the built-in default layout.
type MailingTemplate struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Subject   string    `json:"subject"`
	Preheader string    `json:"preheader"`
	Body      string    `json:"body"` // Markdown template
	Language  string    `json:"language"`
	LayoutID  int64     `json:"layoutId"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Validate checks a mailing template before it is stored (its template
// syntax is checked by backend/render).
func (t MailingTemplate) Validate() error {
	if err := checkName(t.Name, "mailingTemplate", "template"); err != nil {
		return err
	}
	return checkSubjectLanguage(t.Subject, t.Language)
}

// TemplateService stores layouts and mailing templates.
type TemplateService interface {
	Layouts(ctx context.Context) ([]Layout, error)
	Layout(ctx context.Context, id int64) (Layout, error)
	// SaveLayout creates (ID 0) or updates a layout; names are unique.
	SaveLayout(ctx context.Context, l Layout) (Layout, error)
	// DeleteLayout deletes a layout no mailing uses; otherwise it fails
	// with ECONFLICT naming the mailings. Templates using it fall back to
	// the default layout.
	DeleteLayout(ctx context.Context, id int64) error

	MailingTemplates(ctx context.Context) ([]MailingTemplate, error)
	MailingTemplate(ctx context.Context, id int64) (MailingTemplate, error)
	// SaveMailingTemplate creates (ID 0) or updates a template; names are unique.
	SaveMailingTemplate(ctx context.Context, t MailingTemplate) (MailingTemplate, error)
	DeleteMailingTemplate(ctx context.Context, id int64) error
}
