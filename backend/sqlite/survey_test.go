package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// surveyFixture is a store with two people, a choice attribute and a survey
// asking for travel style (fills the attribute), topics (interest tags), a
// comment and a rating.
type surveyFixture struct {
	db        *sqlite.DB
	svc       *sqlite.SurveyService
	anna, ben resonanz.Recipient
	survey    resonanz.Survey
}

func newSurveyFixture(t *testing.T) *surveyFixture {
	t.Helper()
	ctx := context.Background()
	f := &surveyFixture{db: MustOpenDB(t)}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f.db.Now = func() time.Time { return now }
	f.svc = sqlite.NewSurveyService(f.db)
	attrs := sqlite.NewAttributeService(f.db)
	for _, a := range []resonanz.AttributeDef{
		{Key: "reisestil", Label: "Reisestil", Type: resonanz.AttrChoice, Choices: []string{"aktiv", "ruhig"}},
		{Key: "zufriedenheit", Label: "Zufriedenheit", Type: resonanz.AttrNumber},
	} {
		if _, err := attrs.CreateAttribute(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	rs := sqlite.NewRecipientService(f.db)
	var err error
	if f.anna, err = rs.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org", FirstName: "Anna"}); err != nil {
		t.Fatal(err)
	}
	if f.ben, err = rs.CreateRecipient(ctx, resonanz.Recipient{Email: "ben@example.org"}); err != nil {
		t.Fatal(err)
	}
	f.survey, err = f.svc.SaveSurvey(ctx, resonanz.Survey{
		Name: "Leserumfrage 2026", Slug: "leserumfrage-2026", Title: "Wie reisen Sie?", Intro: "Drei kurze Fragen.", Status: resonanz.SurveyOpen,
		Questions: []resonanz.Question{
			{Type: resonanz.QuestionSingle, Text: "Ihr Reisestil?", Required: true, Attribute: "reisestil", Choices: []resonanz.Choice{
				{Label: "Aktiv", Value: "aktiv"}, {Label: "Ruhig", Value: "ruhig"}}},
			{Type: resonanz.QuestionMultiple, Text: "Welche Themen?", Choices: []resonanz.Choice{
				{Label: "Wandern", Interest: "Wandern"}, {Label: "Kultur", Interest: "Studienreisen"}, {Label: "Nichts davon"}}},
			{Type: resonanz.QuestionText, Text: "Anmerkungen"},
			{Type: resonanz.QuestionRating, Text: "Wie zufrieden sind Sie?", Attribute: "zufriedenheit"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *surveyFixture) q(i int) resonanz.Question { return f.survey.Questions[i] }

func (f *surveyFixture) answers(style, topics int, text string, rating int) []resonanz.SurveyAnswer {
	a := []resonanz.SurveyAnswer{{Question: f.q(0).Key, Choices: []string{f.q(0).Choices[style].Key}}}
	if topics >= 0 {
		a = append(a, resonanz.SurveyAnswer{Question: f.q(1).Key, Choices: []string{f.q(1).Choices[topics].Key}})
	}
	a = append(a, resonanz.SurveyAnswer{Question: f.q(2).Key, Text: text}, resonanz.SurveyAnswer{Question: f.q(3).Key, Rating: rating})
	return a
}

func TestSurveyService_Save(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/KeysAssignedAndStable", func(t *testing.T) {
		f := newSurveyFixture(t)
		keys := map[string]bool{}
		for _, q := range f.survey.Questions {
			keys[q.Key] = true
			for _, c := range q.Choices {
				keys[c.Key] = true
			}
		}
		if len(keys) != 4+2+3 {
			t.Fatalf("keys not unique: %v", keys)
		}
		s := f.survey
		s.Questions = append(s.Questions[:2:2], resonanz.Question{Type: resonanz.QuestionText, Text: "Neu"})
		got, err := f.svc.SaveSurvey(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if got.Questions[0].Key != f.q(0).Key || got.Questions[1].Choices[2].Key != f.q(1).Choices[2].Key || got.Questions[2].Key == "" || keys[got.Questions[2].Key] {
			t.Errorf("keys changed or reused: %+v", got.Questions)
		}
		byslug, err := f.svc.SurveyBySlug(ctx, " Leserumfrage-2026 ")
		if err != nil || byslug.ID != f.survey.ID || len(byslug.Questions) != 3 {
			t.Errorf("by slug: %+v %v", byslug, err)
		}
		list, err := f.svc.Surveys(ctx)
		if err != nil || len(list) != 1 || list[0].Responses != 0 {
			t.Errorf("list: %+v %v", list, err)
		}
		entries, _ := sqlite.NewAuditService(f.db).Recent(ctx, 10)
		if len(entries) < 2 || entries[0].Action != "survey.update" || entries[1].Action != "survey.create" || entries[0].Subject != "Leserumfrage 2026" {
			t.Errorf("audit: %+v", entries)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		f := newSurveyFixture(t)
		base := func() resonanz.Survey {
			return resonanz.Survey{Name: "X", Slug: "x", Title: "T", Status: resonanz.SurveyClosed, Questions: []resonanz.Question{
				{Type: resonanz.QuestionSingle, Text: "Q", Choices: []resonanz.Choice{{Label: "a"}, {Label: "b"}}}}}
		}
		for _, tc := range []struct {
			name, field string
			mod         func(*resonanz.Survey)
		}{
			{"no name", "name", func(s *resonanz.Survey) { s.Name = " " }},
			{"bad slug", "slug", func(s *resonanz.Survey) { s.Slug = "Umfrage 1" }},
			{"slug dash", "slug", func(s *resonanz.Survey) { s.Slug = "-x" }},
			{"no title", "title", func(s *resonanz.Survey) { s.Title = "" }},
			{"status", "status", func(s *resonanz.Survey) { s.Status = "paused" }},
			{"open without questions", "questions", func(s *resonanz.Survey) { s.Status = resonanz.SurveyOpen; s.Questions = nil }},
			{"type", "questions.0.type", func(s *resonanz.Survey) { s.Questions[0].Type = "slider" }},
			{"question text", "questions.0.text", func(s *resonanz.Survey) { s.Questions[0].Text = "" }},
			{"one choice", "questions.0.choices", func(s *resonanz.Survey) { s.Questions[0].Choices = s.Questions[0].Choices[:1] }},
			{"empty label", "questions.0.choices.1.label", func(s *resonanz.Survey) { s.Questions[0].Choices[1].Label = "" }},
			{"duplicate label", "questions.0.choices.1.label", func(s *resonanz.Survey) { s.Questions[0].Choices[1].Label = "A" }},
			{"tag with comma", "questions.0.choices.0.interest", func(s *resonanz.Survey) { s.Questions[0].Choices[0].Interest = "a,b" }},
			{"unknown attribute", "questions.0.attribute", func(s *resonanz.Survey) { s.Questions[0].Attribute = "hobby" }},
			{"builtin attribute", "questions.0.attribute", func(s *resonanz.Survey) { s.Questions[0].Attribute = "first_name" }},
			{"multiple with attribute", "questions.0.attribute", func(s *resonanz.Survey) {
				s.Questions[0].Type, s.Questions[0].Attribute = resonanz.QuestionMultiple, "reisestil"
			}},
			{"value not a choice of the attribute", "questions.0.choices.0.value", func(s *resonanz.Survey) { s.Questions[0].Attribute = "reisestil" }},
			{"text into number", "questions.0.attribute", func(s *resonanz.Survey) {
				s.Questions[0].Type, s.Questions[0].Attribute = resonanz.QuestionText, "zufriedenheit"
			}},
			{"duplicate key", "questions.1", func(s *resonanz.Survey) {
				s.Questions[0].Key = "abc"
				s.Questions = append(s.Questions, resonanz.Question{Key: "abc", Type: resonanz.QuestionText, Text: "T"})
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := base()
				tc.mod(&s)
				_, err := f.svc.SaveSurvey(ctx, s)
				var e *resonanz.Error
				if resonanz.ErrorCode(err) != resonanz.EINVALID || !errorsAs(err, &e) || e.Field != tc.field {
					t.Errorf("got %v, want field %s", err, tc.field)
				}
			})
		}
		list, _ := f.svc.Surveys(ctx)
		if len(list) != 1 {
			t.Errorf("invalid surveys were stored: %d", len(list))
		}
	})

	t.Run("ErrConflict/SlugAndName", func(t *testing.T) {
		f := newSurveyFixture(t)
		s := resonanz.Survey{Name: "Andere", Slug: "leserumfrage-2026", Title: "T"}
		if _, err := f.svc.SaveSurvey(ctx, s); !strings.Contains(resonanz.ErrorMessage(err), "short name") {
			t.Errorf("slug: %v", err)
		}
		s.Name, s.Slug = "leserumfrage 2026", "andere"
		if _, err := f.svc.SaveSurvey(ctx, s); !strings.Contains(resonanz.ErrorMessage(err), "already exists") {
			t.Errorf("name: %v", err)
		}
	})

	t.Run("OK/StatusAndDelete", func(t *testing.T) {
		f := newSurveyFixture(t)
		if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 0, "", 0)}); err != nil {
			t.Fatal(err)
		}
		s, err := f.svc.SetSurveyStatus(ctx, f.survey.ID, resonanz.SurveyClosed)
		if err != nil || s.Status != resonanz.SurveyClosed {
			t.Fatalf("close: %+v %v", s, err)
		}
		_, err = f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(1, 0, "", 0)})
		if resonanz.ErrorCode(err) != resonanz.EFORBIDDEN {
			t.Errorf("closed survey accepted answers: %v", err)
		}
		if _, err := f.svc.SetSurveyStatus(ctx, f.survey.ID, "paused"); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("bad status: %v", err)
		}
		if err := f.svc.DeleteSurvey(ctx, f.survey.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		f.db.SQL().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM survey_response) + (SELECT COUNT(*) FROM survey_interest)`).Scan(&n)
		if n != 0 {
			t.Errorf("answers left after delete: %d", n)
		}
		if err := f.svc.DeleteSurvey(ctx, f.survey.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("delete again: %v", err)
		}
		entries, _ := sqlite.NewAuditService(f.db).Recent(ctx, 1)
		if entries[0].Action != "survey.delete" || entries[0].Detail != `{"responses":1}` {
			t.Errorf("audit: %+v", entries[0])
		}
	})
}

func TestSurveyService_Submit(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/LatestWins", func(t *testing.T) {
		f := newSurveyFixture(t)
		first, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 0, " erst ", 4)})
		if err != nil {
			t.Fatal(err)
		}
		if first.Answers[2].Text != "erst" {
			t.Errorf("text not trimmed: %q", first.Answers[2].Text)
		}
		later := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		f.db.Now = func() time.Time { return later }
		if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(1, 1, "dann", 2)}); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.SurveyResponse(ctx, f.survey.ID, f.anna.ID)
		if err != nil || !got.SubmittedAt.Equal(later) || got.Answers[0].Choices[0] != f.q(0).Choices[1].Key || got.Answers[2].Text != "dann" {
			t.Errorf("latest: %+v %v", got, err)
		}
		all, err := f.svc.SurveyResponses(ctx, f.survey.ID)
		if err != nil || len(all) != 1 || all[0].Email != "anna@example.org" {
			t.Errorf("responses: %+v %v", all, err)
		}
		if _, err := f.svc.SurveyResponse(ctx, f.survey.ID, f.ben.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("ben: %v", err)
		}
	})

	t.Run("ErrInvalid/NothingStored", func(t *testing.T) {
		f := newSurveyFixture(t)
		q := f.survey.Questions
		for _, tc := range []struct {
			name    string
			answers []resonanz.SurveyAnswer
			field   string
		}{
			{"required missing", []resonanz.SurveyAnswer{{Question: q[2].Key, Text: "x"}}, "q_" + q[0].Key},
			{"unknown choice", []resonanz.SurveyAnswer{{Question: q[0].Key, Choices: []string{"deadbeef"}}}, "q_" + q[0].Key},
			{"choice of another question", []resonanz.SurveyAnswer{{Question: q[0].Key, Choices: []string{q[1].Choices[0].Key}}}, "q_" + q[0].Key},
			{"two single choices", []resonanz.SurveyAnswer{{Question: q[0].Key, Choices: []string{q[0].Choices[0].Key, q[0].Choices[1].Key}}}, "q_" + q[0].Key},
			{"repeated choice", []resonanz.SurveyAnswer{f.answers(0, -1, "", 0)[0], {Question: q[1].Key, Choices: []string{q[1].Choices[0].Key, q[1].Choices[0].Key}}}, "q_" + q[1].Key},
			{"rating 6", []resonanz.SurveyAnswer{f.answers(0, -1, "", 0)[0], {Question: q[3].Key, Rating: 6}}, "q_" + q[3].Key},
			{"rating with text", []resonanz.SurveyAnswer{f.answers(0, -1, "", 0)[0], {Question: q[3].Key, Rating: 3, Text: "x"}}, "q_" + q[3].Key},
			{"long text", []resonanz.SurveyAnswer{f.answers(0, -1, "", 0)[0], {Question: q[2].Key, Text: strings.Repeat("ä", resonanz.MaxSurveyTextAnswer+1)}}, "q_" + q[2].Key},
			{"invalid utf-8", []resonanz.SurveyAnswer{f.answers(0, -1, "", 0)[0], {Question: q[2].Key, Text: "a\xffb"}}, "q_" + q[2].Key},
			{"unknown question", []resonanz.SurveyAnswer{{Question: "nope", Text: "x"}}, "q_nope"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: tc.answers})
				var e *resonanz.Error
				if !errorsAs(err, &e) || e.Code != resonanz.EINVALID || e.Field != tc.field {
					t.Errorf("got %v, want field %s", err, tc.field)
				}
			})
		}
		if _, err := f.svc.SurveyResponse(ctx, f.survey.ID, f.anna.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("something was stored: %v", err)
		}
		_, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: 999, Answers: f.answers(0, 0, "", 0)})
		if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("unknown person: %v", err)
		}
		_, err = f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 0, "", 0), UpdateProfile: true})
		if resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("permission without wording: %v", err)
		}
	})

	t.Run("OK/AttributesOnlyWithPermission", func(t *testing.T) {
		f := newSurveyFixture(t)
		rs := sqlite.NewRecipientService(f.db)
		if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 0, "", 4)}); err != nil {
			t.Fatal(err)
		}
		r, _ := rs.RecipientByID(ctx, f.anna.ID)
		if len(r.Attributes) != 0 {
			t.Fatalf("attributes filled without permission: %v", r.Attributes)
		}
		const wording = "Meine Antworten dürfen mein Profil ergänzen."
		got, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(1, 0, "", 4),
			UpdateProfile: true, ProfileWording: wording, IP: "192.0.2.1", UserAgent: "UA"})
		if err != nil {
			t.Fatal(err)
		}
		r, _ = rs.RecipientByID(ctx, f.anna.ID)
		if r.Attributes["reisestil"] != "ruhig" || r.Attributes["zufriedenheit"] != "4" {
			t.Errorf("attributes: %v", r.Attributes)
		}
		stored, _ := f.svc.SurveyResponse(ctx, f.survey.ID, f.anna.ID)
		if !stored.UpdateProfile || stored.ProfileWording != wording || stored.IP != "192.0.2.1" || !got.UpdateProfile {
			t.Errorf("permission proof: %+v", stored)
		}
		entries, _ := sqlite.NewAuditService(f.db).Recent(ctx, 1)
		if entries[0].Action != "recipient.survey_update" || entries[0].Detail != `{"changed":["reisestil","zufriedenheit"]}` {
			t.Errorf("audit: %+v", entries[0])
		}
	})

	t.Run("OK/DeclaredInterestsNeedProfilingConsent", func(t *testing.T) {
		f := newSurveyFixture(t)
		rs := sqlite.NewRecipientService(f.db)
		for _, id := range []int64{f.anna.ID, f.ben.ID} {
			if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: id, Answers: f.answers(0, 0, "", 0),
				UpdateProfile: true, ProfileWording: "Profil ergänzen"}); err != nil {
				t.Fatal(err)
			}
		}
		// Without the permission box nothing is declared, even with consent.
		if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 1, "", 0)}); err != nil {
			t.Fatal(err)
		}
		var n int
		f.db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_interest WHERE recipient_id = ?`, f.anna.ID).Scan(&n)
		if n != 0 {
			t.Errorf("interests declared without permission: %d", n)
		}
		if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 0, "", 0),
			UpdateProfile: true, ProfileWording: "Profil ergänzen"}); err != nil {
			t.Fatal(err)
		}
		consent := sqlite.NewConsentService(f.db)
		if _, err := consent.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: f.anna.ID, Purpose: resonanz.PurposeProfiling, Granted: true,
			At: f.db.Now(), Source: resonanz.SourceForm, Wording: "Interessen auswerten"}); err != nil {
			t.Fatal(err)
		}
		d, err := rs.RecipientDetail(ctx, f.anna.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Interests) != 1 || d.Interests[0].Tag != "Wandern" || !d.Interests[0].Declared || d.Interests[0].Score != resonanz.DeclaredInterestBoost {
			t.Errorf("anna's interests: %+v", d.Interests)
		}
		if d, _ := rs.RecipientDetail(ctx, f.ben.ID); len(d.Interests) != 0 {
			t.Errorf("ben has no profiling consent but interests %+v", d.Interests)
		}
		groups := sqlite.NewTargetGroupService(f.db)
		for _, tc := range []struct {
			tag  string
			min  float64
			want int
		}{{"wandern", 3, 1}, {"Wandern", 3.5, 0}, {"Studienreisen", 0.1, 0}} {
			n, err := groups.CountMatching(ctx, resonanz.Condition{Kind: resonanz.CondInterest, Tag: tc.tag, Min: tc.min})
			if err != nil || n != tc.want {
				t.Errorf("interest %s ≥ %v: %d %v, want %d", tc.tag, tc.min, n, err, tc.want)
			}
		}
		// Withdrawing profiling removes the declared interest at once.
		f.db.Now = func() time.Time { return time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC) }
		if _, err := consent.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: f.anna.ID, Purpose: resonanz.PurposeProfiling, Granted: false,
			At: f.db.Now(), Source: resonanz.SourceProfilePage, Wording: "Interessen auswerten"}); err != nil {
			t.Fatal(err)
		}
		if d, _ := rs.RecipientDetail(ctx, f.anna.ID); len(d.Interests) != 0 {
			t.Errorf("interests after withdrawal: %+v", d.Interests)
		}
	})

	t.Run("OK/DetailExportErasure", func(t *testing.T) {
		f := newSurveyFixture(t)
		if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: f.anna.ID, Answers: f.answers(0, 1, "<b>toll</b>", 5),
			UpdateProfile: true, ProfileWording: "Profil ergänzen", IP: "192.0.2.9", UserAgent: "Mozilla/5.0"}); err != nil {
			t.Fatal(err)
		}
		rs := sqlite.NewRecipientService(f.db)
		exp, err := rs.PersonalData(ctx, f.anna.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(exp.Surveys) != 1 || exp.Surveys[0].SurveyName != "Leserumfrage 2026" || len(exp.Surveys[0].Answers) != 4 {
			t.Fatalf("export: %+v", exp.Surveys)
		}
		// Everything stored with the answers is exported: the permission, its wording and where it came from.
		if s := exp.Surveys[0]; !s.UpdateProfile || s.ProfileWording != "Profil ergänzen" || s.IP != "192.0.2.9" || s.UserAgent != "Mozilla/5.0" {
			t.Errorf("export lacks the survey's permission or origin: %+v", s)
		}
		want := []resonanz.PersonAnswer{{Question: "Ihr Reisestil?", Answer: "Aktiv"}, {Question: "Welche Themen?", Answer: "Kultur"},
			{Question: "Anmerkungen", Answer: "<b>toll</b>"}, {Question: "Wie zufrieden sind Sie?", Answer: "5/5"}}
		for i, a := range exp.Surveys[0].Answers {
			if a != want[i] {
				t.Errorf("answer %d: %+v, want %+v", i, a, want[i])
			}
		}
		if err := rs.EraseRecipient(ctx, f.anna.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		f.db.SQL().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM survey_response) + (SELECT COUNT(*) FROM survey_interest)`).Scan(&n)
		if n != 0 {
			t.Errorf("answers left after erasure: %d", n)
		}
	})

	t.Run("OK/Results", func(t *testing.T) {
		f := newSurveyFixture(t)
		for _, tc := range []struct {
			id     int64
			style  int
			text   string
			rating int
		}{{f.anna.ID, 0, "gut", 5}, {f.ben.ID, 0, "", 2}} {
			if _, err := f.svc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: f.survey.ID, RecipientID: tc.id, Answers: f.answers(tc.style, 0, tc.text, tc.rating)}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.svc.SurveyResults(ctx, f.survey.ID)
		if err != nil {
			t.Fatal(err)
		}
		q := res.Questions
		if res.Responses != 2 || q[0].Answered != 2 || q[0].Choices[0].Count != 2 || q[0].Choices[1].Count != 0 || q[0].Choices[0].Label != "Aktiv" {
			t.Errorf("single: %+v", q[0])
		}
		if q[1].Choices[0].Count != 2 || q[1].Answered != 2 {
			t.Errorf("multiple: %+v", q[1])
		}
		if len(q[2].Texts) != 1 || q[2].Texts[0].Text != "gut" || q[2].Answered != 1 {
			t.Errorf("text: %+v", q[2])
		}
		if len(q[3].Choices) != 5 || q[3].Choices[4].Count != 1 || q[3].Choices[1].Count != 1 || q[3].Average != 3.5 {
			t.Errorf("rating: %+v", q[3])
		}
		list, _ := f.svc.Surveys(ctx)
		if list[0].Responses != 2 || list[0].LastResponse.IsZero() {
			t.Errorf("summary: %+v", list[0])
		}
	})
}

func errorsAs(err error, target **resonanz.Error) bool { return errors.As(err, target) }
