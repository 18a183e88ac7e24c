// Package report renders documents for people to read: the consent proof
// bundle (an HTML page that shows every consent record with its wording) and,
// later, analysis reports. It does no IO beyond the writer it is given.
package report

import (
	"embed"
	"html/template"
	"io"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

//go:embed proof.html.tmpl
var templates embed.FS

var proofTemplate = template.Must(template.New("proof.html.tmpl").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"purpose": func(c resonanz.ConsentRecord) string {
		return resonanz.PurposeLabel(c.Purpose, c.ListName)
	},
	"statePurpose": func(s resonanz.ConsentState) string {
		return resonanz.PurposeLabel(s.Purpose, s.ListName)
	},
}).ParseFS(templates, "proof.html.tmpl"))

// ProofHTML writes the consent proof bundle of one person as a standalone
// HTML page (no scripts, no external resources). Every value is escaped by
// html/template: recipient data is never markup.
func ProofHTML(w io.Writer, d resonanz.PersonalDataExport) error {
	return proofTemplate.Execute(w, d)
}
