package desktop

import (
	"context"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Surveys is the bound façade of the Surveys screen: defining surveys,
// opening and closing them, results and the CSV export of the answers.
type Surveys struct {
	ctx   context.Context
	svc   resonanz.SurveyService
	attrs resonanz.AttributeService
}

// NewSurveys returns the Surveys façade.
func NewSurveys(ctx context.Context, svc resonanz.SurveyService, attrs resonanz.AttributeService) *Surveys {
	return &Surveys{ctx: ctx, svc: svc, attrs: attrs}
}

// List returns all surveys with their numbers of answers.
func (s *Surveys) List() ([]resonanz.SurveySummary, error) { return s.svc.Surveys(s.ctx) }

// Get returns one survey.
func (s *Surveys) Get(id int64) (resonanz.Survey, error) { return s.svc.Survey(s.ctx, id) }

// Attributes returns the custom attributes answers can fill.
func (s *Surveys) Attributes() ([]resonanz.AttributeDef, error) {
	all, err := s.attrs.Attributes(s.ctx)
	if err != nil {
		return nil, err
	}
	out := []resonanz.AttributeDef{}
	for _, a := range all {
		if !a.Builtin {
			out = append(out, a)
		}
	}
	return out, nil
}

// Save creates (ID 0) or updates a survey; errors name the field, e.g.
// "questions.1.choices.0.label".
func (s *Surveys) Save(in resonanz.Survey) (resonanz.Survey, error) {
	return s.svc.SaveSurvey(s.ctx, in)
}

// SetStatus opens ("open") or closes ("closed") a survey.
func (s *Surveys) SetStatus(id int64, status string) (resonanz.Survey, error) {
	return s.svc.SetSurveyStatus(s.ctx, id, status)
}

// Delete removes a survey and all its answers.
func (s *Surveys) Delete(id int64) error { return s.svc.DeleteSurvey(s.ctx, id) }

// Results returns the counts per question and choice and the text answers.
func (s *Surveys) Results(id int64) (resonanz.SurveyResults, error) {
	return s.svc.SurveyResults(s.ctx, id)
}

// ExportCSV returns all answers of a survey as CSV (UTF-8 with BOM, ";"):
// one row per person with the address, the time, whether they allowed the
// profile update, and one column per question (choice labels joined by
// "; ", the text, or the rating). Cells are formula-safe.
func (s *Surveys) ExportCSV(id int64) (FileContent, error) {
	sv, err := s.svc.Survey(s.ctx, id)
	if err != nil {
		return FileContent{}, err
	}
	responses, err := s.svc.SurveyResponses(s.ctx, id)
	if err != nil {
		return FileContent{}, err
	}
	header := []string{"email", "submitted_at", "profile_update"}
	for i, q := range sv.Questions {
		header = append(header, strconv.Itoa(i+1)+". "+q.Text)
	}
	var b strings.Builder
	w, err := recipientcsv.NewWriter(&b, header, recipientcsv.WriteOptions{Delimiter: ';', BOM: true})
	if err != nil {
		return FileContent{}, err
	}
	for _, r := range responses {
		row := []string{r.Email, r.SubmittedAt.UTC().Format("2006-01-02 15:04:05Z"), strconv.FormatBool(r.UpdateProfile)}
		byKey := map[string]resonanz.SurveyAnswer{}
		for _, a := range r.Answers {
			byKey[a.Question] = a
		}
		for _, q := range sv.Questions {
			cell := ""
			if a, ok := byKey[q.Key]; ok {
				_, cell = sv.AnswerText(a)
				if a.Rating != 0 {
					cell = strconv.Itoa(a.Rating)
				}
			}
			row = append(row, cell)
		}
		if err := w.Write(row); err != nil {
			return FileContent{}, err
		}
	}
	if err := w.Flush(); err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: safeFileName(sv.Slug) + "-answers.csv", Content: b.String()}, nil
}
