package listener

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Surveys serves the survey page (/s/{token}).
type Surveys interface {
	// SurveyForm returns the survey and what the page needs to know about
	// the person; ENOTFOUND for an unknown survey or an erased person.
	SurveyForm(ctx context.Context, surveyID, recipientID int64) (SurveyView, error)
	// SubmitSurvey stores the person's answers, replacing earlier ones
	// (resonanz.SurveyService.SubmitSurvey): EFORBIDDEN when the survey is
	// closed, EINVALID with Field "q_<question key>" for answers that do
	// not fit it.
	SubmitSurvey(ctx context.Context, surveyID, recipientID int64, s SurveySubmission, client resonanz.WebClient) error
}

// SurveyView is what the survey page shows.
type SurveyView struct {
	Survey   resonanz.Survey
	Language string // the recipient's language ("de", "en" or "")
	// AnsweredAt is when the person last answered (zero: not yet); the page
	// then says that sending again replaces the earlier answers. The
	// answers themselves are not shown again: the link may be forwarded.
	AnsweredAt time.Time
}

// SurveySubmission is a submitted survey form.
type SurveySubmission struct {
	Answers []resonanz.SurveyAnswer
	// UpdateProfile: the person ticked "use my answers to update my
	// profile" (unticked by default); Wording is the exact text shown.
	UpdateProfile bool
	Wording       string
}

// purposeSurveyProfile keys the wording of the survey page's permission
// box in the texts (Config.Wordings can override it like consent texts).
const purposeSurveyProfile = "survey_profile"

// surveyForm is the survey page's view model.
type surveyForm struct {
	Intro     string
	Questions []surveyQuestion
	Profile   *checkRow // nil when no answer fills an attribute
}

type surveyQuestion struct {
	Field, Text, Type, Value, Error string
	Required                        bool
	Options                         []surveyOption
}

type surveyOption struct {
	Input, Value, Label string
	Checked             bool
}

// surveyForm builds the view model; submitted (nil on GET) keeps what the
// person entered when the form comes back with errors.
func (s *Server) surveyForm(t texts, sv resonanz.Survey, submitted map[string][]string, errs map[string]string) *surveyForm {
	f := &surveyForm{Intro: sv.Intro}
	has := func(field, v string) bool {
		for _, x := range submitted[field] {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, q := range sv.Questions {
		field := "q_" + q.Key
		sq := surveyQuestion{Field: field, Text: q.Text, Type: q.Type, Required: q.Required, Error: errs[field]}
		switch q.Type {
		case resonanz.QuestionSingle, resonanz.QuestionMultiple:
			input := "radio"
			if q.Type == resonanz.QuestionMultiple {
				input = "checkbox"
			}
			for _, c := range q.Choices {
				sq.Options = append(sq.Options, surveyOption{Input: input, Value: c.Key, Label: c.Label, Checked: has(field, c.Key)})
			}
		case resonanz.QuestionRating:
			for v := 1; v <= resonanz.MaxRating; v++ {
				n := strconv.Itoa(v)
				sq.Options = append(sq.Options, surveyOption{Input: "radio", Value: n, Label: n, Checked: has(field, n)})
			}
		case resonanz.QuestionText:
			if vs := submitted[field]; len(vs) > 0 {
				sq.Value = vs[0]
			}
		}
		f.Questions = append(f.Questions, sq)
	}
	if sv.HasMappings() {
		w := t.wording(purposeSurveyProfile, "")
		f.Profile = &checkRow{Field: "profile_ok", Wording: w, Hash: resonanz.WordingHash(w), Checked: has("profile_ok", "1")}
	}
	return f
}

func (s *Server) serveSurvey(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := s.signer.VerifyKind(tok, KindSurvey, s.cfg.Now())
	if err != nil || s.deps.Surveys == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	v, err := s.deps.Surveys.SurveyForm(ctx, c.SurveyID, c.RecipientID)
	if err != nil {
		if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
			s.notFound(w, r)
			return
		}
		s.cfg.Log.Error("listener: survey", "survey", c.SurveyID, "recipient", c.RecipientID, "err", err)
		s.message(w, s.lang(r, ""), http.StatusInternalServerError, "error_title", "error_text")
		return
	}
	if c.Test { // a test token names a real recipient: say nothing about them
		v.AnsweredAt, v.Language = time.Time{}, ""
	}
	t := s.lang(r, v.Language)
	closed := func(status int) {
		s.render(w, status, pageData{T: t, Title: v.Survey.Title, Text: t["survey_closed"], Preview: c.Test})
	}
	if v.Survey.Status != resonanz.SurveyOpen {
		status := http.StatusOK
		if r.Method == http.MethodPost {
			status = http.StatusGone
		}
		closed(status)
		return
	}
	page := pageData{T: t, Page: "survey", Title: v.Survey.Title, Preview: c.Test, CSRF: s.signer.csrf(tok, s.cfg.Now())}
	if !v.AnsweredAt.IsZero() {
		page.Notice = t["survey_answered"]
	}
	if r.Method != http.MethodPost {
		page.Survey = s.surveyForm(t, v.Survey, nil, nil)
		s.render(w, http.StatusOK, page)
		return
	}
	if !s.parseFormMax(w, r, t, s.cfg.MaxSurveyBody) {
		return
	}
	if !s.signer.checkCSRF(tok, r.PostForm.Get("csrf"), s.cfg.Now()) {
		s.message(w, t, http.StatusForbidden, "csrf_title", "csrf_text")
		return
	}
	sub, errs := s.surveySubmission(t, v.Survey, r)
	if len(errs) == 0 && !c.Test {
		err := s.deps.Surveys.SubmitSurvey(ctx, c.SurveyID, c.RecipientID, sub, s.webClient(r))
		var e *resonanz.Error
		switch {
		case err == nil:
		case resonanz.ErrorCode(err) == resonanz.EFORBIDDEN:
			closed(http.StatusGone)
			return
		case resonanz.ErrorCode(err) == resonanz.ENOTFOUND:
			s.notFound(w, r)
			return
		case errors.As(err, &e) && e.Code == resonanz.EINVALID:
			errs = map[string]string{e.Field: surveyErrorText(t, e)}
		default:
			s.cfg.Log.Error("listener: submit survey", "survey", c.SurveyID, "recipient", c.RecipientID, "err", err)
			s.message(w, t, http.StatusInternalServerError, "error_title", "error_text")
			return
		}
	}
	if len(errs) > 0 {
		page.Notice = ""
		page.Error = t["survey_fix"]
		if msg, ok := errs[""]; ok {
			page.Error = msg
		}
		page.Survey = s.surveyForm(t, v.Survey, r.PostForm, errs)
		s.render(w, http.StatusUnprocessableEntity, page)
		return
	}
	s.render(w, http.StatusOK, pageData{T: t, Title: t["survey_done_title"], Text: t["survey_done_text"], Preview: c.Test})
}

// surveyErrorText is the page's text for an answer error (the domain's
// messages are English; the page speaks the person's language).
func surveyErrorText(t texts, e *resonanz.Error) string {
	if e == nil {
		return t["survey_invalid"]
	}
	switch e.Key {
	case "error.survey.answer.required":
		return t["survey_required"]
	case "error.survey.answer.long":
		return t["survey_too_long"]
	}
	return t["survey_invalid"]
}

// surveySubmission reads the form: field q_<key> per question (choice keys,
// the text, or the rating 1–5), and the permission box. Errors are keyed by
// field ("" for the page).
func (s *Server) surveySubmission(t texts, sv resonanz.Survey, r *http.Request) (SurveySubmission, map[string]string) {
	f := r.PostForm
	var sub SurveySubmission
	errs := map[string]string{}
	for _, q := range sv.Questions {
		field := "q_" + q.Key
		vals := f[field]
		var nonEmpty []string
		for _, v := range vals {
			if v != "" {
				nonEmpty = append(nonEmpty, v)
			}
		}
		if len(nonEmpty) == 0 {
			continue
		}
		a := resonanz.SurveyAnswer{Question: q.Key}
		switch q.Type {
		case resonanz.QuestionSingle, resonanz.QuestionMultiple:
			a.Choices = nonEmpty
		case resonanz.QuestionText:
			if len(vals) > 1 {
				errs[field] = t["survey_invalid"]
				continue
			}
			a.Text = vals[0]
		case resonanz.QuestionRating:
			n, err := strconv.Atoi(nonEmpty[0])
			if err != nil || len(nonEmpty) > 1 || n < 1 {
				n = -1 // not a rating: CheckAnswers says so
			}
			a.Rating = n
		}
		sub.Answers = append(sub.Answers, a)
	}
	if sv.HasMappings() && f.Get("profile_ok") == "1" {
		w, ok := s.findWording(t, purposeSurveyProfile, "", f.Get("profile_ok_w"))
		if !ok {
			errs[""] = t["stale"]
		}
		sub.UpdateProfile, sub.Wording = true, w
	}
	// Check every question at once, so the page marks all of them.
	for _, q := range sv.Questions {
		field := "q_" + q.Key
		if _, done := errs[field]; done {
			continue
		}
		var mine []resonanz.SurveyAnswer
		for _, a := range sub.Answers {
			if a.Question == q.Key {
				mine = append(mine, a)
			}
		}
		one := resonanz.Survey{Questions: []resonanz.Question{q}}
		if _, err := one.CheckAnswers(mine); err != nil {
			var e *resonanz.Error
			errors.As(err, &e)
			errs[field] = surveyErrorText(t, e)
		}
	}
	return sub, errs
}
