package resonanz_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

func testSurvey() resonanz.Survey {
	return resonanz.Survey{Questions: []resonanz.Question{
		{Key: "q1", Type: resonanz.QuestionSingle, Attribute: "stil", Choices: []resonanz.Choice{{Key: "a", Label: "Aktiv", Value: "aktiv"}, {Key: "b", Label: "Ruhig"}}},
		{Key: "q2", Type: resonanz.QuestionMultiple, Choices: []resonanz.Choice{{Key: "c", Label: "Wandern", Interest: "Wandern"},
			{Key: "d", Label: "Berge", Interest: "wandern"}, {Key: "e", Label: "Kultur", Interest: "Studienreisen"}}},
		{Key: "q3", Type: resonanz.QuestionText, Attribute: "notiz"},
		{Key: "q4", Type: resonanz.QuestionRating, Attribute: "note"},
	}}
}

func TestSurvey_AnswerEffects(t *testing.T) {
	s := testSurvey()
	answers, err := s.CheckAnswers([]resonanz.SurveyAnswer{
		{Question: "q4", Rating: 5},
		{Question: "q2", Choices: []string{"e", "d", "c"}},
		{Question: "q1", Choices: []string{"b"}},
		{Question: "q3", Text: "  "},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Question order, choices in survey order, the blank text dropped.
	want := []resonanz.SurveyAnswer{{Question: "q1", Choices: []string{"b"}}, {Question: "q2", Choices: []string{"c", "d", "e"}}, {Question: "q4", Rating: 5}}
	if !reflect.DeepEqual(answers, want) {
		t.Fatalf("checked %+v", answers)
	}
	attrs, interests := s.AnswerEffects(answers)
	if !reflect.DeepEqual(attrs, map[string]string{"stil": "Ruhig", "note": "5"}) || !reflect.DeepEqual(interests, []string{"Wandern", "Studienreisen"}) {
		t.Errorf("effects %v %v", attrs, interests)
	}
	if !s.HasMappings() || (resonanz.Survey{Questions: []resonanz.Question{{Key: "x", Type: resonanz.QuestionText}}}).HasMappings() {
		t.Error("HasMappings")
	}
	if q, a := s.AnswerText(resonanz.SurveyAnswer{Question: "gone", Text: "alt"}); q != "(removed question gone)" || a != "alt" {
		t.Errorf("removed question: %q %q", q, a)
	}
}

func TestDeclaredInterestWeight(t *testing.T) {
	const halfLife = 90 * 24 * time.Hour
	if w := resonanz.DeclaredInterestWeight(0, halfLife); w != 3 {
		t.Errorf("new: %v", w)
	}
	if w := resonanz.DeclaredInterestWeight(halfLife, halfLife); w != 1.5 {
		t.Errorf("after one half-life: %v", w)
	}
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "leserumfrage-2026": true, "-a": false, "a-": false, "A": false, "ä": false, "a b": false, "": false,
		"a123456789012345678901234567890123456789012345678901234567890": false} {
		if resonanz.ValidSlug(s) != want {
			t.Errorf("ValidSlug(%q) = %v", s, !want)
		}
	}
}
