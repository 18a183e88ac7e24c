package desktop_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

func TestSurveys_ExportCSV(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	db.Now = func() time.Time { return time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC) }
	surveys := desktop.NewSurveys(ctx, sqlite.NewSurveyService(db), sqlite.NewAttributeService(db))
	if _, err := sqlite.NewAttributeService(db).CreateAttribute(ctx, resonanz.AttributeDef{Key: "stil", Label: "Stil", Type: resonanz.AttrText}); err != nil {
		t.Fatal(err)
	}
	attrs, err := surveys.Attributes()
	if err != nil || len(attrs) != 1 || attrs[0].Key != "stil" {
		t.Fatalf("attributes (custom only): %+v %v", attrs, err)
	}
	sv, err := surveys.Save(resonanz.Survey{Name: "Leser", Slug: "leser", Title: "T", Status: resonanz.SurveyOpen, Questions: []resonanz.Question{
		{Type: resonanz.QuestionMultiple, Text: "Themen", Choices: []resonanz.Choice{{Label: "Wandern"}, {Label: "Kultur"}}},
		{Type: resonanz.QuestionText, Text: "Anmerkung"},
		{Type: resonanz.QuestionRating, Text: "Note"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	q := sv.Questions
	if _, err := sqlite.NewSurveyService(db).SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: sv.ID, RecipientID: anna.ID, Answers: []resonanz.SurveyAnswer{
		{Question: q[0].Key, Choices: []string{q[0].Choices[1].Key, q[0].Choices[0].Key}},
		{Question: q[1].Key, Text: "=HYPERLINK(\"https://evil.example\")"},
		{Question: q[2].Key, Rating: 4},
	}}); err != nil {
		t.Fatal(err)
	}
	f, err := surveys.ExportCSV(sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(f.Content, "\ufeff")), "\n")
	if f.Name != "leser-answers.csv" || len(lines) != 2 {
		t.Fatalf("%s: %q", f.Name, f.Content)
	}
	if got := strings.TrimSpace(lines[0]); got != "email;submitted_at;profile_update;1. Themen;2. Anmerkung;3. Note" {
		t.Errorf("header %q", got)
	}
	row := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(row, `anna@example.org;2026-11-02 09:30:00Z;false;"Wandern; Kultur";`) || !strings.HasSuffix(row, ";4") {
		t.Errorf("row %q", row)
	}
	if !strings.Contains(row, `;"'=HYPERLINK(`) {
		t.Errorf("formula not neutralized: %q", row)
	}
}
