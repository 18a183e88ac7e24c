package desktop

import (
	"context"
	"fmt"
	"time"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
)

// Templates is the bound façade of the Templates screen: layouts (the
// HTML around a mailing's body, checked and previewed with sample
// content) and mailing templates (start a mailing from one, save a
// mailing as one).
type Templates struct {
	ctx      context.Context
	svc      resonanz.TemplateService
	mailings *Mailings
	// Now is the clock for names of new mailings (tests set it).
	Now func() time.Time
}

// NewTemplates returns the Templates façade; mailings compiles, previews
// and creates mailings (it must have the same TemplateService).
func NewTemplates(ctx context.Context, svc resonanz.TemplateService, mailings *Mailings) *Templates {
	return &Templates{ctx: ctx, svc: svc, mailings: mailings, Now: time.Now}
}

// Layouts returns all layouts by name.
func (t *Templates) Layouts() ([]resonanz.Layout, error) { return t.svc.Layouts(t.ctx) }

// DefaultLayout returns the built-in layout, to copy and adapt.
func (t *Templates) DefaultLayout() (string, error) { return render.DefaultLayout, nil }

// SaveLayout checks the layout ({{ content }} exactly once, known
// placeholders; errors at line:column in the field "html") and stores it
// (new when ID is 0).
func (t *Templates) SaveLayout(l resonanz.Layout) (resonanz.Layout, error) {
	if err := l.Validate(); err != nil {
		return l, err
	}
	if _, err := t.mailings.send.CheckLayout(t.ctx, l.HTML, ""); err != nil {
		return l, err
	}
	return t.svc.SaveLayout(t.ctx, l)
}

// DeleteLayout deletes a layout; one a mailing uses is refused with an
// error naming the mailings.
func (t *Templates) DeleteLayout(id int64) error { return t.svc.DeleteLayout(t.ctx, id) }

// LayoutPreview is a layout rendered around sample content.
type LayoutPreview = send.LayoutPreview

// PreviewLayout renders the layout as edited (not necessarily saved)
// around sample content for a sample person in the language ("de" or
// "en"). Errors are those SaveLayout would report.
func (t *Templates) PreviewLayout(html, language string) (LayoutPreview, error) {
	return t.mailings.send.PreviewLayout(t.ctx, html, language)
}

// MailingTemplates returns all mailing templates by name.
func (t *Templates) MailingTemplates() ([]resonanz.MailingTemplate, error) {
	return t.svc.MailingTemplates(t.ctx)
}

// SaveMailingTemplate checks the template (like a mailing: errors name
// subject, preheader or body and line:column) and stores it (new when ID
// is 0): "save as template" in the mailing editor, renaming on the
// Templates screen.
func (t *Templates) SaveMailingTemplate(in resonanz.MailingTemplate) (resonanz.MailingTemplate, error) {
	if err := in.Validate(); err != nil {
		return in, err
	}
	tpl, err := t.mailings.send.Compile(t.ctx, mailingOf(in))
	if err != nil {
		return in, err
	}
	if _, err := t.mailings.send.SurveyIDs(t.ctx, tpl); err != nil {
		return in, err
	}
	return t.svc.SaveMailingTemplate(t.ctx, in)
}

// DeleteMailingTemplate deletes a mailing template; mailings started from
// it stay.
func (t *Templates) DeleteMailingTemplate(id int64) error {
	return t.svc.DeleteMailingTemplate(t.ctx, id)
}

func mailingOf(in resonanz.MailingTemplate) resonanz.Mailing {
	return resonanz.Mailing{Subject: in.Subject, Preheader: in.Preheader, Body: in.Body, Language: in.Language, LayoutID: in.LayoutID}
}

// CreateMailingFromTemplate starts a new draft mailing with the
// template's subject, preheader, body, language and layout. An empty
// name gives "<template> <date>" (numbered when taken).
func (t *Templates) CreateMailingFromTemplate(id int64, name string) (MailingDetail, error) {
	in, err := t.svc.MailingTemplate(t.ctx, id)
	if err != nil {
		return MailingDetail{}, err
	}
	m := mailingOf(in)
	m.Name = name
	if name == "" {
		if m.Name, err = t.freeMailingName(in.Name + " " + t.today()); err != nil {
			return MailingDetail{}, err
		}
	}
	return t.mailings.Save(m)
}

func (t *Templates) today() string {
	return t.Now().Format("2006-01-02")
}

// freeMailingName returns base, or base with " (2)", " (3)", … when a
// mailing has that name.
func (t *Templates) freeMailingName(base string) (string, error) {
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s (%d)", base, i)
		}
		_, err := t.mailings.svc.Mailings.MailingByName(t.ctx, name)
		if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
			return name, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", resonanz.FieldError("name", "error.mailing.name.taken", "Give the new mailing a name: "+base+" is taken.")
}
