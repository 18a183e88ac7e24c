package resonanz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Question types of a survey.
const (
	QuestionSingle   = "single"   // one of the choices (radio buttons)
	QuestionMultiple = "multiple" // any of the choices (checkboxes)
	QuestionText     = "text"     // free text
	QuestionRating   = "rating"   // 1 to MaxRating
)

// Survey states: only an open survey accepts answers.
const (
	SurveyOpen   = "open"
	SurveyClosed = "closed"
)

// Survey limits; longer input is rejected, not truncated.
const (
	MaxRating             = 5
	MaxSurveyQuestions    = 50
	MaxQuestionChoices    = 30
	MaxSurveyTextAnswer   = 2000 // characters of a text answer
	maxSurveyTitle        = 200
	maxSurveyIntro        = 4000
	maxQuestionText       = 500
	maxChoiceLabel        = 200
	maxInterestTag        = 100
	surveyKeyBytes        = 4 // question and choice keys: 8 hex digits
	DeclaredInterestBoost = 3 // see DeclaredInterestWeight
)

// DeclaredInterestWeight is what one declared interest (a survey choice
// mapped to an interest tag, answered with a current profiling consent)
// adds to that tag's interest score when new: as much as three fresh
// clicks, because the person said so explicitly. Like clicks it halves
// every half-life from the time of the answer, so an old survey does not
// outweigh what the person reads today.
func DeclaredInterestWeight(age, halfLife time.Duration) float64 {
	return DeclaredInterestBoost * InterestWeight(age, halfLife)
}

// Survey is a questionnaire the user links from mailings
// ({{ survey_url "slug" }}); recipients answer it on the listener's page.
type Survey struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`  // internal name in the desk
	Slug      string     `json:"slug"`  // template reference: lower-case letters, digits, dashes
	Title     string     `json:"title"` // shown as the page heading
	Intro     string     `json:"intro"` // shown above the questions
	Status    string     `json:"status"`
	Questions []Question `json:"questions"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// Question is one question of a survey. Key is stable across edits (the
// store assigns it when empty), so stored answers keep their meaning.
type Question struct {
	Key      string   `json:"key"`
	Type     string   `json:"type"`
	Text     string   `json:"text"`
	Required bool     `json:"required"`
	Choices  []Choice `json:"choices"` // single and multiple choice
	// Attribute is the custom attribute an answer fills when the person
	// agreed on the page (single choice: the choice's Value, text: the
	// text, rating: the number). "" fills nothing.
	Attribute string `json:"attribute"`
}

// Choice is one answer option of a choice question.
type Choice struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// Value is what the question's attribute is set to (default: Label).
	Value string `json:"value"`
	// Interest is a declared interest tag the choice adds to the person's
	// interest profile (only with a current profiling consent).
	Interest string `json:"interest"`
}

// SurveySummary is a survey in the desk's list.
type SurveySummary struct {
	Survey
	Responses    int       `json:"responses"`
	LastResponse time.Time `json:"lastResponse,omitzero"`
}

// SurveyAnswer is a person's answer to one question.
type SurveyAnswer struct {
	Question string   `json:"question"`          // Question.Key
	Choices  []string `json:"choices,omitempty"` // chosen Choice.Keys
	Text     string   `json:"text,omitempty"`
	Rating   int      `json:"rating,omitempty"`
}

// SurveyResponse is a person's (latest) submission of a survey.
type SurveyResponse struct {
	SurveyID    int64          `json:"surveyId"`
	RecipientID int64          `json:"recipientId"`
	Email       string         `json:"email,omitempty"` // filled in listings
	Answers     []SurveyAnswer `json:"answers"`
	SubmittedAt time.Time      `json:"submittedAt"`
	// UpdateProfile says the person ticked "use my answers to update my
	// profile"; ProfileWording is the exact text next to the box.
	UpdateProfile  bool   `json:"updateProfile"`
	ProfileWording string `json:"profileWording,omitempty"`
	IP             string `json:"ip,omitempty"`
	UserAgent      string `json:"userAgent,omitempty"`
}

// PersonSurvey is a person's survey answers as the recipient detail and the
// data export show them: question texts and answers in words.
type PersonSurvey struct {
	SurveyID       int64     `json:"surveyId"`
	SurveyName     string    `json:"surveyName"`
	SurveyTitle    string    `json:"surveyTitle"`
	SubmittedAt    time.Time `json:"submittedAt"`
	UpdateProfile  bool      `json:"updateProfile"`
	ProfileWording string    `json:"profileWording,omitempty"`
	// IP and UserAgent are where the answers came from (stored with them,
	// so part of the data export and of the proof of the permission).
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"userAgent,omitempty"`
	Answers   []PersonAnswer `json:"answers"`
}

// PersonAnswer is one answer in words.
type PersonAnswer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// SurveyResults are the counts of a survey's answers.
type SurveyResults struct {
	Survey    Survey           `json:"survey"`
	Responses int              `json:"responses"`
	Questions []QuestionResult `json:"questions"`
}

// QuestionResult counts the answers to one question.
type QuestionResult struct {
	Key      string        `json:"key"`
	Type     string        `json:"type"`
	Text     string        `json:"text"`
	Answered int           `json:"answered"`
	Choices  []ChoiceCount `json:"choices"` // choice questions; ratings as "1".."5"
	Average  float64       `json:"average"` // rating
	Texts    []TextAnswer  `json:"texts"`   // text questions, newest first
}

// ChoiceCount is how often one choice (or rating value) was picked.
type ChoiceCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// TextAnswer is one free-text answer.
type TextAnswer struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// MaxResultTexts bounds the text answers SurveyResults lists per question
// (the CSV export has all).
const MaxResultTexts = 1000

// SurveyService stores surveys and their answers.
type SurveyService interface {
	Surveys(ctx context.Context) ([]SurveySummary, error)
	Survey(ctx context.Context, id int64) (Survey, error)
	SurveyBySlug(ctx context.Context, slug string) (Survey, error)
	// SaveSurvey creates (ID 0) or updates a survey; question and choice
	// keys are assigned where empty. It is audited.
	SaveSurvey(ctx context.Context, s Survey) (Survey, error)
	// SetSurveyStatus opens or closes a survey (audited).
	SetSurveyStatus(ctx context.Context, id int64, status string) (Survey, error)
	// DeleteSurvey removes a survey and all its answers (audited).
	DeleteSurvey(ctx context.Context, id int64) error
	// SubmitSurvey stores a person's answers (replacing earlier ones),
	// fills mapped attributes when UpdateProfile is set and records the
	// declared interests. EFORBIDDEN for a closed survey, EINVALID for
	// answers that do not fit the survey, ENOTFOUND for an unknown survey
	// or person.
	SubmitSurvey(ctx context.Context, r SurveyResponse) (SurveyResponse, error)
	// SurveyResponse returns a person's answers (ENOTFOUND if none).
	SurveyResponse(ctx context.Context, surveyID, recipientID int64) (SurveyResponse, error)
	// SurveyResponses returns all answers of a survey with the people's
	// addresses, oldest first (for the CSV export).
	SurveyResponses(ctx context.Context, surveyID int64) ([]SurveyResponse, error)
	SurveyResults(ctx context.Context, surveyID int64) (SurveyResults, error)
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$`)

// ValidSlug reports whether s can be a survey slug.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// NewSurveyKey returns a random key for a question or choice.
func NewSurveyKey() string {
	b := make([]byte, surveyKeyBytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Normalize trims the texts and assigns keys to new questions and choices.
func (s *Survey) Normalize() {
	s.Name, s.Slug = strings.TrimSpace(s.Name), strings.ToLower(strings.TrimSpace(s.Slug))
	s.Title, s.Intro = strings.TrimSpace(s.Title), strings.TrimSpace(s.Intro)
	if s.Status == "" {
		s.Status = SurveyClosed
	}
	if s.Questions == nil {
		s.Questions = []Question{}
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		q.Text, q.Attribute = strings.TrimSpace(q.Text), strings.TrimSpace(q.Attribute)
		if q.Key == "" {
			q.Key = NewSurveyKey()
		}
		if q.Type != QuestionSingle && q.Type != QuestionMultiple {
			q.Choices = nil
		}
		if q.Choices == nil {
			q.Choices = []Choice{}
		}
		for j := range q.Choices {
			c := &q.Choices[j]
			c.Label, c.Value, c.Interest = strings.TrimSpace(c.Label), strings.TrimSpace(c.Value), strings.TrimSpace(c.Interest)
			if c.Key == "" {
				c.Key = NewSurveyKey()
			}
		}
	}
}

func surveyField(field, key, msg string) error {
	return FieldError(field, "error.survey."+key, msg)
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n || !utf8.ValidString(s) }

var surveyKeyPattern = regexp.MustCompile(`^[a-z0-9]{1,16}$`)

// Validate checks a (normalized) survey against the attribute definitions
// (nil: mappings are not checked). Field names the input as
// "questions.2.choices.1.label" (0-based), the message counts from 1.
func (s Survey) Validate(defs []AttributeDef) error {
	switch {
	case s.Name == "":
		return surveyField("name", "name.required", "Enter a name for the survey.")
	case tooLong(s.Name, 200):
		return surveyField("name", "name.long", "The name is longer than 200 characters.")
	case !ValidSlug(s.Slug):
		return surveyField("slug", "slug.invalid", "The short name (slug) may use lower-case letters a–z, digits and dashes (at most 60, not starting or ending with a dash), e.g. kundenumfrage-2026.")
	case s.Title == "":
		return surveyField("title", "title.required", "Enter the title recipients see.")
	case tooLong(s.Title, maxSurveyTitle):
		return surveyField("title", "title.long", fmt.Sprintf("The title is longer than %d characters.", maxSurveyTitle))
	case tooLong(s.Intro, maxSurveyIntro):
		return surveyField("intro", "intro.long", fmt.Sprintf("The introduction is longer than %d characters.", maxSurveyIntro))
	case s.Status != SurveyOpen && s.Status != SurveyClosed:
		return surveyField("status", "status.invalid", "The status must be open or closed.")
	case len(s.Questions) > MaxSurveyQuestions:
		return surveyField("questions", "questions.many", fmt.Sprintf("A survey can have at most %d questions.", MaxSurveyQuestions))
	case s.Status == SurveyOpen && len(s.Questions) == 0:
		return surveyField("questions", "questions.none", "Add at least one question before opening the survey.")
	}
	var attrs map[string]AttributeDef
	if defs != nil {
		attrs = map[string]AttributeDef{}
		for _, d := range defs {
			attrs[d.Key] = d
		}
	}
	keys := map[string]bool{}
	for i, q := range s.Questions {
		f := "questions." + strconv.Itoa(i)
		where := "Question " + strconv.Itoa(i+1) + ": "
		if !surveyKeyPattern.MatchString(q.Key) || keys[q.Key] {
			return surveyField(f, "question.key", where+"its internal key is missing or used twice; reload the survey.")
		}
		keys[q.Key] = true
		switch {
		case q.Type != QuestionSingle && q.Type != QuestionMultiple && q.Type != QuestionText && q.Type != QuestionRating:
			return surveyField(f+".type", "question.type", where+"choose a type (single choice, multiple choice, text or rating).")
		case q.Text == "":
			return surveyField(f+".text", "question.text", where+"enter the question.")
		case tooLong(q.Text, maxQuestionText):
			return surveyField(f+".text", "question.long", fmt.Sprintf("%sthe question is longer than %d characters.", where, maxQuestionText))
		}
		choice := q.Type == QuestionSingle || q.Type == QuestionMultiple
		if choice && len(q.Choices) < 2 {
			return surveyField(f+".choices", "choices.few", where+"give at least two choices.")
		}
		if len(q.Choices) > MaxQuestionChoices {
			return surveyField(f+".choices", "choices.many", fmt.Sprintf("%sat most %d choices.", where, MaxQuestionChoices))
		}
		labels := map[string]bool{}
		for j, c := range q.Choices {
			cf := f + ".choices." + strconv.Itoa(j)
			cwhere := where + "choice " + strconv.Itoa(j+1) + ": "
			switch {
			case !surveyKeyPattern.MatchString(c.Key) || keys[c.Key]:
				return surveyField(cf, "choice.key", cwhere+"its internal key is missing or used twice; reload the survey.")
			case c.Label == "":
				return surveyField(cf+".label", "choice.label", cwhere+"enter a label.")
			case tooLong(c.Label, maxChoiceLabel) || tooLong(c.Value, maxChoiceLabel):
				return surveyField(cf+".label", "choice.long", fmt.Sprintf("%sthe label or value is longer than %d characters.", cwhere, maxChoiceLabel))
			case labels[strings.ToLower(c.Label)]:
				return surveyField(cf+".label", "choice.duplicate", cwhere+"the label "+quoteShort(c.Label)+" is used twice.")
			case tooLong(c.Interest, maxInterestTag) || strings.ContainsAny(c.Interest, ",\r\n"):
				return surveyField(cf+".interest", "choice.interest", cwhere+"an interest tag has at most 100 characters and no commas.")
			}
			keys[c.Key], labels[strings.ToLower(c.Label)] = true, true
		}
		if q.Attribute == "" {
			continue
		}
		if q.Type == QuestionMultiple {
			return surveyField(f+".attribute", "attribute.multiple", where+"a multiple-choice question cannot fill an attribute; map its choices to interest tags instead.")
		}
		if attrs == nil {
			continue
		}
		d, ok := attrs[q.Attribute]
		switch {
		case !ok:
			return surveyField(f+".attribute", "attribute.unknown", where+"the attribute "+quoteShort(q.Attribute)+" does not exist.")
		case d.Builtin:
			return surveyField(f+".attribute", "attribute.builtin", where+"a survey can only fill custom attributes, not "+d.Label+".")
		case q.Type == QuestionText && d.Type != AttrText:
			return surveyField(f+".attribute", "attribute.type", where+"a text answer can only fill a text attribute.")
		case q.Type == QuestionRating && d.Type != AttrNumber && d.Type != AttrText:
			return surveyField(f+".attribute", "attribute.type", where+"a rating can only fill a number or text attribute.")
		}
		for j, c := range q.Choices {
			if v, err := d.Canonical(c.AttributeValue()); err != nil || v == "" {
				return surveyField(f+".choices."+strconv.Itoa(j)+".value", "choice.value",
					where+"choice "+strconv.Itoa(j+1)+": "+quoteShort(c.AttributeValue())+" is not a valid value of the attribute "+d.Label+".")
			}
		}
	}
	return nil
}

// AttributeValue is what a chosen choice writes into the question's
// attribute: Value, or the label when Value is empty.
func (c Choice) AttributeValue() string {
	if c.Value != "" {
		return c.Value
	}
	return c.Label
}

// HasMappings reports whether answers can fill attributes or declare
// interests, i.e. whether the page asks for permission to update the
// profile.
func (s Survey) HasMappings() bool {
	return slices.ContainsFunc(s.Questions, func(q Question) bool {
		return q.Attribute != "" || slices.ContainsFunc(q.Choices, func(c Choice) bool { return c.Interest != "" })
	})
}

// Question returns the question with the key.
func (s Survey) Question(key string) (Question, bool) {
	for _, q := range s.Questions {
		if q.Key == key {
			return q, true
		}
	}
	return Question{}, false
}

// CheckAnswers validates submitted answers against the survey and returns
// them in question order, without empty answers. Errors are EINVALID with
// Field "q_<key>" (the form field of the question).
func (s Survey) CheckAnswers(in []SurveyAnswer) ([]SurveyAnswer, error) {
	byKey := map[string]SurveyAnswer{}
	for _, a := range in {
		if _, ok := s.Question(a.Question); !ok {
			return nil, FieldError("q_"+a.Question, "error.survey.answer.unknown", "An answer refers to a question that does not exist (any more). Please reload the page.")
		}
		if _, dup := byKey[a.Question]; dup {
			return nil, FieldError("q_"+a.Question, "error.survey.answer.duplicate", "A question was answered twice.")
		}
		byKey[a.Question] = a
	}
	out := []SurveyAnswer{}
	for i, q := range s.Questions {
		a, given := byKey[q.Key]
		field := "q_" + q.Key
		where := "Question " + strconv.Itoa(i+1) + ": "
		a.Question = q.Key
		a.Text = strings.TrimSpace(a.Text)
		empty := len(a.Choices) == 0 && a.Text == "" && a.Rating == 0
		if !given || empty {
			if q.Required {
				return nil, FieldError(field, "error.survey.answer.required", where+"please answer this question.")
			}
			continue
		}
		switch q.Type {
		case QuestionSingle, QuestionMultiple:
			if a.Text != "" || a.Rating != 0 {
				return nil, FieldError(field, "error.survey.answer.invalid", where+"the answer is not one of the choices.")
			}
			if q.Type == QuestionSingle && len(a.Choices) > 1 {
				return nil, FieldError(field, "error.survey.answer.single", where+"choose only one answer.")
			}
			seen := map[string]bool{}
			for _, c := range a.Choices {
				if seen[c] || !slices.ContainsFunc(q.Choices, func(x Choice) bool { return x.Key == c }) {
					return nil, FieldError(field, "error.survey.answer.invalid", where+"the answer is not one of the choices.")
				}
				seen[c] = true
			}
			// Keep the survey's order of choices.
			ordered := []string{}
			for _, c := range q.Choices {
				if seen[c.Key] {
					ordered = append(ordered, c.Key)
				}
			}
			a.Choices = ordered
		case QuestionText:
			if len(a.Choices) > 0 || a.Rating != 0 {
				return nil, FieldError(field, "error.survey.answer.invalid", where+"expected a text.")
			}
			if !utf8.ValidString(a.Text) || strings.ContainsRune(a.Text, 0) {
				return nil, FieldError(field, "error.survey.answer.invalid", where+"the text contains invalid characters.")
			}
			if utf8.RuneCountInString(a.Text) > MaxSurveyTextAnswer {
				return nil, FieldError(field, "error.survey.answer.long", fmt.Sprintf("%sthe text is longer than %d characters.", where, MaxSurveyTextAnswer))
			}
		case QuestionRating:
			if len(a.Choices) > 0 || a.Text != "" || a.Rating < 1 || a.Rating > MaxRating {
				return nil, FieldError(field, "error.survey.answer.rating", fmt.Sprintf("%schoose a rating from 1 to %d.", where, MaxRating))
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// AnswerEffects returns what checked answers mean for the profile: raw
// attribute values by key (to be canonicalized against the definitions)
// and the declared interest tags, in survey order without duplicates.
func (s Survey) AnswerEffects(answers []SurveyAnswer) (attrs map[string]string, interests []string) {
	attrs = map[string]string{}
	seen := map[string]bool{}
	for _, a := range answers {
		q, ok := s.Question(a.Question)
		if !ok {
			continue
		}
		for _, c := range q.Choices {
			if !slices.Contains(a.Choices, c.Key) {
				continue
			}
			if q.Attribute != "" && q.Type == QuestionSingle {
				attrs[q.Attribute] = c.AttributeValue()
			}
			if c.Interest != "" && !seen[strings.ToLower(c.Interest)] {
				seen[strings.ToLower(c.Interest)] = true
				interests = append(interests, c.Interest)
			}
		}
		if q.Attribute != "" {
			switch q.Type {
			case QuestionText:
				attrs[q.Attribute] = a.Text
			case QuestionRating:
				attrs[q.Attribute] = strconv.Itoa(a.Rating)
			}
		}
	}
	return attrs, interests
}

// AnswerText renders an answer in words: choice labels joined by "; ", the
// rating as "4/5", or the text. Answers to questions removed since are
// rendered from what is stored.
func (s Survey) AnswerText(a SurveyAnswer) (question, answer string) {
	q, ok := s.Question(a.Question)
	if !ok {
		q = Question{Text: "(removed question " + a.Question + ")"}
	}
	switch {
	case len(a.Choices) > 0:
		labels := make([]string, 0, len(a.Choices))
		for _, k := range a.Choices {
			label := k
			for _, c := range q.Choices {
				if c.Key == k {
					label = c.Label
				}
			}
			labels = append(labels, label)
		}
		return q.Text, strings.Join(labels, "; ")
	case a.Rating != 0:
		return q.Text, strconv.Itoa(a.Rating) + "/" + strconv.Itoa(MaxRating)
	}
	return q.Text, a.Text
}
