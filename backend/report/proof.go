// Package report renders documents for people to read: the consent proof
// bundle (an HTML page that shows every consent record with its wording) and,
// later, analysis reports. It does no IO beyond the writer it is given.
package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/frontend/src/lib/i18n"
)

//go:embed proof.html.tmpl
var templates embed.FS

var proofTemplate = template.Must(template.New("proof.html.tmpl").Funcs(funcs("de")).ParseFS(templates, "proof.html.tmpl"))

var monthsEN = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// When formats t (in UTC) as the desk does in lang: 01.03.2026, 09:30:00 UTC
// in German, 1 Mar 2026, 09:30:00 UTC in English.
func When(lang string, t time.Time) string {
	t = t.UTC()
	if i18n.Lang(lang) == "en" {
		return fmt.Sprintf("%d %s %d, %s UTC", t.Day(), monthsEN[t.Month()-1], t.Year(), t.Format("15:04:05"))
	}
	return t.Format("02.01.2006, 15:04:05") + " UTC"
}

// Day formats a date as the desk does in lang: 01.03.2026 or 1 Mar 2026.
func Day(lang string, t time.Time) string {
	if i18n.Lang(lang) == "en" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsEN[t.Month()-1], t.Year())
	}
	return t.Format("02.01.2006")
}

// funcs are the template's functions for one language: every word on the
// page comes from the desk's catalogues (de.json, en.json).
func funcs(lang string) template.FuncMap {
	tr := func(key string, params ...string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			m[params[i]] = params[i+1]
		}
		return i18n.T(lang, key, key, m)
	}
	purpose := func(purpose, list string) string {
		if purpose == resonanz.PurposeNewsletter {
			return tr("consent.purpose.newsletterList", "list", list)
		}
		return i18n.T(lang, "consent.purpose."+purpose, purpose, nil)
	}
	return template.FuncMap{
		"lang": func() string { return i18n.Lang(lang) },
		"t":    tr,
		"when": func(t time.Time) string { return When(lang, t) },
		"purpose": func(c resonanz.ConsentRecord) string {
			return purpose(c.Purpose, c.ListName)
		},
		"statePurpose": func(s resonanz.ConsentState) string {
			return purpose(s.Purpose, s.ListName)
		},
		"granted": func(g bool) string {
			if g {
				return tr("consent.granted")
			}
			return tr("consent.withdrawn")
		},
		"source": func(source string) string {
			if name, ok := strings.CutPrefix(source, "provider:"); ok {
				return tr("consent.source.provider", "name", name)
			}
			return i18n.T(lang, "consent.source."+source, source, nil)
		},
		"wording": func(c resonanz.ConsentRecord) string {
			return i18n.T(lang, c.WordingKey, c.Wording, c.TextParams)
		},
		"evidence": func(c resonanz.ConsentRecord) string {
			return i18n.T(lang, c.EvidenceKey, c.Evidence, c.TextParams)
		},
		"origin": func(d resonanz.PersonalDataExport) string {
			params := map[string]string{}
			for k, v := range d.SourceParams {
				params[k] = v
			}
			if day, err := time.Parse(time.DateOnly, params["date"]); err == nil {
				params["date"] = Day(lang, day)
			}
			return i18n.T(lang, d.SourceKey, d.Source, params)
		},
		"status": func(status string) string {
			return i18n.T(lang, "recipients.status."+status, status, nil)
		},
	}
}

// ProofHTML writes the consent proof bundle of one person as a standalone
// HTML page (no scripts, no external resources) in lang ("de" or "en", the
// user's saved language; German otherwise). Every value is escaped by
// html/template: recipient data is never markup.
func ProofHTML(w io.Writer, d resonanz.PersonalDataExport, lang string) error {
	t, err := proofTemplate.Clone()
	if err != nil {
		return err
	}
	return t.Funcs(funcs(lang)).Execute(w, d)
}
