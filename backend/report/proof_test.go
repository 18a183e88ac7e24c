package report_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/report"
	"github.com/resonanz/resonanz/backend/resonanz"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

func TestProofHTML(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	d := resonanz.PersonalDataExport{
		Format: resonanz.PersonalDataFormat, ExportedAt: at.Add(24 * time.Hour),
		RecipientDetail: resonanz.RecipientDetail{
			Recipient: resonanz.Recipient{ID: 7, Email: "anna@example.org", LastName: `<script>alert(1)</script>`},
			Lists:     []resonanz.Membership{{ListID: 1, ListName: "Reisen & Kultur", Status: "confirmed", UpdatedAt: at}},
			Consent: []resonanz.ConsentRecord{
				{ID: 1, Purpose: resonanz.PurposeNewsletter, ListID: 1, ListName: "Reisen & Kultur", Granted: true, At: at,
					Source: resonanz.SourceDoubleOptIn, Wording: "Ja, ich möchte den Newsletter.\nAbmeldung jederzeit.",
					WordingHash: resonanz.WordingHash("Ja, ich möchte den Newsletter.\nAbmeldung jederzeit."), IP: "203.0.113.7", UserAgent: "Mozilla/5.0"},
				{ID: 2, Purpose: resonanz.PurposeTrackingOpens, Granted: true, At: at.Add(time.Hour), Source: resonanz.SourceImport,
					Wording: "Öffnungen dürfen gemessen werden.", WordingHash: "abc", Evidence: `Messe 2025 <img src=x onerror=alert(1)>`},
				{ID: 3, Purpose: resonanz.PurposeTrackingOpens, Granted: false, At: at.Add(48 * time.Hour), Source: resonanz.SourceProfilePage, WordingHash: "def"},
				{ID: 4, Purpose: resonanz.PurposeNewsletter, ListID: 1, ListName: "Reisen & Kultur", Granted: false, At: at.Add(96 * time.Hour),
					Source: resonanz.SourceUnsubscribeLink, Wording: "Unsubscribed with the link in the mail (List-Unsubscribe).", WordingKey: "ledger.wording.unsubscribeLink"},
			},
			Current: []resonanz.ConsentState{
				{Purpose: resonanz.PurposeNewsletter, ListID: 1, ListName: "Reisen & Kultur", Granted: true, Since: at, RecordID: 1},
				{Purpose: resonanz.PurposeTrackingOpens, Granted: false, Since: at.Add(48 * time.Hour), RecordID: 3},
			},
			Source:       `Imported from "kunden.csv" on 2026-03-01 (import 1)`,
			SourceKey:    "ledger.source.import",
			SourceParams: map[string]string{"file": "kunden.csv", "date": "2026-03-01", "importId": "1"},
			Surveys: []resonanz.PersonSurvey{
				{SurveyID: 2, SurveyName: "leser-2026", SurveyTitle: "Was lesen Sie gern?", SubmittedAt: at.Add(72 * time.Hour),
					UpdateProfile: true, ProfileWording: "Meine Antworten dürfen mein Profil ergänzen <b>sofort</b>.",
					IP: "198.51.100.4", UserAgent: "Mozilla/5.0 (X11)"},
				{SurveyID: 1, SurveyName: "umfrage", SurveyTitle: "Kurz gefragt", SubmittedAt: at.Add(50 * time.Hour), IP: "198.51.100.4"},
			},
		},
	}
	for _, tc := range []struct {
		lang   string
		golden string
		want   []string // words and formats of the language
	}{
		{"de", "proof.de.golden.html", []string{`<html lang="de">`, "Einwilligungsnachweis für anna@example.org", "01.03.2026, 09:30:00 UTC",
			"Newsletter: Reisen &amp; Kultur", "Double-Opt-in", "widerrufen", "Abmeldelink in der Mail", "Über den Abmeldelink in der Mail abgemeldet",
			"Importiert aus", "bestätigt (seit 01.03.2026, 09:30:00 UTC)"}},
		{"en", "proof.en.golden.html", []string{`<html lang="en">`, "Consent proof for anna@example.org", "1 Mar 2026, 09:30:00 UTC",
			"withdrawn", "Unsubscribed with the link in the mail", "Imported from", "confirmed (since 1 Mar 2026, 09:30:00 UTC)"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.ProofHTML(&buf, d, tc.lang); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			for _, bad := range []string{"<script>alert", "<img src=x", "<b>sofort"} {
				if strings.Contains(got, bad) {
					t.Errorf("unescaped %q in the page", bad)
				}
			}
			for _, key := range []string{"proof.", "consent.", "recipients.status.", "ledger."} {
				if strings.Contains(got, key) {
					t.Errorf("a catalogue key %s… is on the page instead of its text", key)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			goldenfile.Assert(t, filepath.Join("testdata", tc.golden), []byte(got))
		})
	}
}
