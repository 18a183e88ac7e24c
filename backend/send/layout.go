package send

import (
	"context"
	"errors"
	"strings"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// sampleMailing is the content a layout is checked and previewed with.
func sampleMailing(lang string) resonanz.Mailing {
	if lang == "en" {
		return resonanz.Mailing{Language: "en", Subject: "Our news for {{ first_name | default:\"you\" }}", Preheader: "A sample preview line",
			Body: "# A sample heading\n\n{{ salutation }},\n\nthis is sample text to show the layout: **bold**, *italic* and a [link](https://example.org/).\n\n- a first point\n- a second point\n\n> A quote stands out.\n\nKind regards"}
	}
	return resonanz.Mailing{Language: "de", Subject: "Neuigkeiten für {{ first_name | default:\"Sie\" }}", Preheader: "Eine Beispiel-Vorschauzeile",
		Body: "# Eine Beispiel-Überschrift\n\n{{ salutation }},\n\ndies ist Beispieltext, der das Layout zeigt: **fett**, *kursiv* und ein [Link](https://example.org/).\n\n- ein erster Punkt\n- ein zweiter Punkt\n\n> Ein Zitat hebt sich ab.\n\nViele Grüße"}
}

// CheckLayout compiles a layout's HTML (as edited, not necessarily saved)
// around sample content in lang ("en", else German); errors about the
// layout name the field "html" and, for syntax, line:column.
func (s *Service) CheckLayout(ctx context.Context, html, lang string) (*render.Template, error) {
	tpl, err := s.CompileWith(ctx, sampleMailing(lang), html)
	var e *resonanz.Error
	if errors.As(err, &e) && e.Field == "layout" {
		c := *e
		c.Field, c.Message = "html", strings.TrimPrefix(c.Message, "layout: ")
		return nil, &c
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.SurveyIDs(ctx, tpl); err != nil {
		if errors.As(err, &e) && e.Field == "body" {
			c := *e
			c.Field = "html"
			return nil, &c
		}
		return nil, err
	}
	return tpl, nil
}

// LayoutPreview is a layout rendered around sample content.
type LayoutPreview struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// PreviewLayout renders the layout as edited (not necessarily saved)
// around sample content for a sample person in the language ("de" or
// "en"). Errors are those of CheckLayout.
func (s *Service) PreviewLayout(ctx context.Context, html, language string) (LayoutPreview, error) {
	if language != "en" {
		language = "de"
	}
	tpl, err := s.CheckLayout(ctx, html, language)
	if err != nil {
		return LayoutPreview{}, err
	}
	r := SampleRecipients[0]
	if language == "en" {
		r = SampleRecipients[4]
	}
	opt, err := s.PreviewOptions(ctx, tpl, 0, 0, false)
	if err != nil {
		return LayoutPreview{}, err
	}
	res, err := tpl.Execute(&r, opt)
	if err != nil {
		return LayoutPreview{}, err
	}
	return LayoutPreview{Subject: res.Subject, HTML: res.HTML, Text: res.Text}, nil
}
