package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// SurveyService implements resonanz.SurveyService. Questions are stored as
// JSON in the survey row (keys stay stable across edits); each person has
// one response row per survey (the latest submission), and the interest
// tags it declared are mirrored in survey_interest for interest scores.
type SurveyService struct {
	db *DB
}

var _ resonanz.SurveyService = (*SurveyService)(nil)

// NewSurveyService returns the survey service over db.
func NewSurveyService(db *DB) *SurveyService { return &SurveyService{db: db} }

func errSurveyNotFound() error {
	return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.survey.notFound", Message: "The survey does not exist (any more)."}
}

const surveyColumns = `s.id, s.name, s.slug, s.title, s.intro, s.status, s.questions, s.created_at, s.updated_at`

func scanSurvey(row interface{ Scan(...any) error }, extra ...any) (resonanz.Survey, error) {
	var s resonanz.Survey
	var questions string
	var created, updated int64
	if err := row.Scan(append([]any{&s.ID, &s.Name, &s.Slug, &s.Title, &s.Intro, &s.Status, &questions, &created, &updated}, extra...)...); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(questions), &s.Questions); err != nil {
		return s, fmt.Errorf("survey %d: questions: %w", s.ID, err)
	}
	if s.Questions == nil {
		s.Questions = []resonanz.Question{}
	}
	for i := range s.Questions {
		if s.Questions[i].Choices == nil {
			s.Questions[i].Choices = []resonanz.Choice{}
		}
	}
	s.CreatedAt, s.UpdatedAt = fromMillis(created), fromMillis(updated)
	return s, nil
}

// Surveys returns all surveys by name with their response counts.
func (s *SurveyService) Surveys(ctx context.Context) ([]resonanz.SurveySummary, error) {
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT `+surveyColumns+`, COUNT(r.recipient_id), COALESCE(MAX(r.submitted_at), 0)
		FROM survey s LEFT JOIN survey_response r ON r.survey_id = s.id
		GROUP BY s.id ORDER BY s.name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("read surveys: %w", err)
	}
	defer rows.Close()
	out := []resonanz.SurveySummary{}
	for rows.Next() {
		var sum resonanz.SurveySummary
		var last int64
		if sum.Survey, err = scanSurvey(rows, &sum.Responses, &last); err != nil {
			return nil, fmt.Errorf("read surveys: %w", err)
		}
		if last > 0 {
			sum.LastResponse = fromMillis(last)
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

// Survey returns one survey.
func (s *SurveyService) Survey(ctx context.Context, id int64) (resonanz.Survey, error) {
	return survey(ctx, s.db.db, `s.id = ?`, id)
}

// SurveyBySlug returns the survey with the slug (as templates name it).
func (s *SurveyService) SurveyBySlug(ctx context.Context, slug string) (resonanz.Survey, error) {
	return survey(ctx, s.db.db, `s.slug = ?`, strings.ToLower(strings.TrimSpace(slug)))
}

func survey(ctx context.Context, q querier, where string, arg any) (resonanz.Survey, error) {
	sv, err := scanSurvey(q.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM survey s WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return sv, errSurveyNotFound()
	} else if err != nil {
		return sv, fmt.Errorf("read survey: %w", err)
	}
	return sv, nil
}

// SaveSurvey creates (ID 0) or updates a survey after checking it against
// the attribute definitions; new questions and choices get keys.
func (s *SurveyService) SaveSurvey(ctx context.Context, in resonanz.Survey) (resonanz.Survey, error) {
	in.Normalize()
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return in, fmt.Errorf("save survey: %w", err)
	}
	defer tx.Rollback()
	custom, err := customAttributes(ctx, tx)
	if err != nil {
		return in, err
	}
	defs := slices.Clone(resonanz.BuiltinAttributes)
	for _, d := range custom {
		defs = append(defs, d)
	}
	if err := in.Validate(defs); err != nil {
		return in, err
	}
	questions := string(mustJSON(in.Questions))
	now := millis(s.db.Now())
	action := "survey.update"
	if in.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO survey (name, slug, title, intro, status, questions, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Name, in.Slug, in.Title, in.Intro, in.Status, questions, now, now)
		if err != nil {
			return in, surveyWriteError(err, in)
		}
		in.ID, _ = res.LastInsertId()
		in.CreatedAt = fromMillis(now)
		action = "survey.create"
	} else {
		var created int64
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM survey WHERE id = ?`, in.ID).Scan(&created); errors.Is(err, sql.ErrNoRows) {
			return in, errSurveyNotFound()
		} else if err != nil {
			return in, fmt.Errorf("save survey: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE survey SET name = ?, slug = ?, title = ?, intro = ?, status = ?, questions = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.Slug, in.Title, in.Intro, in.Status, questions, now, in.ID); err != nil {
			return in, surveyWriteError(err, in)
		}
		in.CreatedAt = fromMillis(created)
	}
	in.UpdatedAt = fromMillis(now)
	detail := mustJSON(map[string]any{"slug": in.Slug, "status": in.Status, "questions": len(in.Questions)})
	if err := appendAudit(ctx, tx, now, "desk", action, in.Name, string(detail)); err != nil {
		return in, err
	}
	return in, tx.Commit()
}

func surveyWriteError(err error, in resonanz.Survey) error {
	if isUniqueViolation(err) {
		if strings.Contains(err.Error(), "survey.slug") {
			return resonanz.FieldError("slug", "error.survey.slug.taken", "Another survey already uses the short name "+strconv.Quote(in.Slug)+".")
		}
		return resonanz.FieldError("name", "error.survey.name.taken", "A survey named "+strconv.Quote(in.Name)+" already exists.")
	}
	return fmt.Errorf("save survey: %w", err)
}

// SetSurveyStatus opens or closes a survey.
func (s *SurveyService) SetSurveyStatus(ctx context.Context, id int64, status string) (resonanz.Survey, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return resonanz.Survey{}, fmt.Errorf("survey status: %w", err)
	}
	defer tx.Rollback()
	sv, err := survey(ctx, tx, `s.id = ?`, id)
	if err != nil {
		return sv, err
	}
	sv.Status = status
	if err := sv.Validate(nil); err != nil {
		return sv, err
	}
	now := millis(s.db.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE survey SET status = ?, updated_at = ? WHERE id = ?`, status, now, id); err != nil {
		return sv, fmt.Errorf("survey status: %w", err)
	}
	sv.UpdatedAt = fromMillis(now)
	if err := appendAudit(ctx, tx, now, "desk", "survey."+status, sv.Name, `{}`); err != nil {
		return sv, err
	}
	return sv, tx.Commit()
}

// DeleteSurvey deletes a survey with all its answers.
func (s *SurveyService) DeleteSurvey(ctx context.Context, id int64) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete survey: %w", err)
	}
	defer tx.Rollback()
	var name string
	var responses int
	if err := tx.QueryRowContext(ctx, `SELECT name, (SELECT COUNT(*) FROM survey_response WHERE survey_id = ?1) FROM survey WHERE id = ?1`, id).Scan(&name, &responses); errors.Is(err, sql.ErrNoRows) {
		return errSurveyNotFound()
	} else if err != nil {
		return fmt.Errorf("delete survey: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM survey WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete survey: %w", err)
	}
	if err := appendAudit(ctx, tx, millis(s.db.Now()), "desk", "survey.delete", name, fmt.Sprintf(`{"responses":%d}`, responses)); err != nil {
		return err
	}
	return tx.Commit()
}

// SubmitSurvey stores a person's answers, replacing earlier ones. Only with
// UpdateProfile (and its wording) are the mapped custom attributes set
// (values that no longer fit the attribute's definition are left out) and
// the declared interests recorded; whether those count is decided when
// scores are computed (a current profiling consent).
func (s *SurveyService) SubmitSurvey(ctx context.Context, r resonanz.SurveyResponse) (resonanz.SurveyResponse, error) {
	if r.UpdateProfile && strings.TrimSpace(r.ProfileWording) == "" {
		return r, resonanz.E(resonanz.EINVALID, "error.survey.permissionUpdateProfile", "The permission to update the profile needs the wording that was shown.")
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("submit survey: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(s.db.Now())); err != nil || done {
		return r, err
	}
	sv, err := survey(ctx, tx, `s.id = ?`, r.SurveyID)
	if err != nil {
		return r, err
	}
	if sv.Status != resonanz.SurveyOpen {
		return r, &resonanz.Error{Code: resonanz.EFORBIDDEN, Key: "error.survey.closed", Message: "The survey is closed."}
	}
	if r.Answers, err = sv.CheckAnswers(r.Answers); err != nil {
		return r, err
	}
	var attrsJSON string
	if err := tx.QueryRowContext(ctx, `SELECT attrs FROM recipient WHERE id = ?`, r.RecipientID).Scan(&attrsJSON); errors.Is(err, sql.ErrNoRows) {
		return r, errRecipientNotFound()
	} else if err != nil {
		return r, fmt.Errorf("submit survey: %w", err)
	}
	if r.SubmittedAt.IsZero() {
		r.SubmittedAt = resonanz.EventTime(ctx, s.db.Now())
	}
	at := millis(r.SubmittedAt)
	r.SubmittedAt = fromMillis(at)
	if !r.UpdateProfile {
		r.ProfileWording = ""
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO survey_response (survey_id, recipient_id, answers, submitted_at, update_profile, profile_wording, ip, ua)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (survey_id, recipient_id) DO UPDATE SET answers = excluded.answers, submitted_at = excluded.submitted_at,
			update_profile = excluded.update_profile, profile_wording = excluded.profile_wording, ip = excluded.ip, ua = excluded.ua`,
		r.SurveyID, r.RecipientID, string(mustJSON(r.Answers)), at, r.UpdateProfile, r.ProfileWording, r.IP, r.UserAgent); err != nil {
		return r, fmt.Errorf("submit survey: %w", err)
	}
	values, interests := sv.AnswerEffects(r.Answers)
	if _, err := tx.ExecContext(ctx, `DELETE FROM survey_interest WHERE survey_id = ? AND recipient_id = ?`, r.SurveyID, r.RecipientID); err != nil {
		return r, fmt.Errorf("submit survey: %w", err)
	}
	if !r.UpdateProfile {
		interests = nil
	}
	for _, tag := range interests {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO survey_interest (survey_id, recipient_id, tag, at) VALUES (?, ?, ?, ?)`,
			r.SurveyID, r.RecipientID, tag, at); err != nil {
			return r, fmt.Errorf("submit survey: %w", err)
		}
	}
	if r.UpdateProfile && len(values) > 0 {
		if err := s.fillAttributes(ctx, tx, r.RecipientID, attrsJSON, values, at); err != nil {
			return r, err
		}
	}
	return r, tx.Commit()
}

// fillAttributes sets the custom attributes a survey answer maps to.
func (s *SurveyService) fillAttributes(ctx context.Context, tx *sql.Tx, recipientID int64, attrsJSON string, values map[string]string, at int64) error {
	defs, err := customAttributes(ctx, tx)
	if err != nil {
		return err
	}
	attrs := map[string]string{}
	if err := json.Unmarshal([]byte(attrsJSON), &attrs); err != nil {
		return fmt.Errorf("submit survey: recipient %d attributes: %w", recipientID, err)
	}
	var changed []string
	for key, raw := range values {
		d, ok := defs[key]
		if !ok {
			continue
		}
		v, err := d.Canonical(raw)
		if err != nil || v == "" || attrs[key] == v {
			continue
		}
		attrs[key] = v
		changed = append(changed, key)
	}
	if len(changed) == 0 {
		return nil
	}
	slices.Sort(changed)
	if _, err := tx.ExecContext(ctx, `UPDATE recipient SET attrs = ?, updated_at = ? WHERE id = ?`, string(mustJSON(attrs)), at, recipientID); err != nil {
		return fmt.Errorf("submit survey: %w", err)
	}
	// Field names only: the audit log is no second copy of personal data.
	detail := mustJSON(map[string][]string{"changed": changed})
	return appendAudit(ctx, tx, at, "recipient", "recipient.survey_update", strconv.FormatInt(recipientID, 10), string(detail))
}

const responseColumns = `r.survey_id, r.recipient_id, r.answers, r.submitted_at, r.update_profile, r.profile_wording, r.ip, r.ua`

func scanResponse(row interface{ Scan(...any) error }, extra ...any) (resonanz.SurveyResponse, error) {
	var r resonanz.SurveyResponse
	var answers string
	var at int64
	if err := row.Scan(append([]any{&r.SurveyID, &r.RecipientID, &answers, &at, &r.UpdateProfile, &r.ProfileWording, &r.IP, &r.UserAgent}, extra...)...); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
		return r, fmt.Errorf("survey answers: %w", err)
	}
	r.SubmittedAt = fromMillis(at)
	return r, nil
}

// SurveyResponse returns a person's answers to a survey.
func (s *SurveyService) SurveyResponse(ctx context.Context, surveyID, recipientID int64) (resonanz.SurveyResponse, error) {
	r, err := scanResponse(s.db.db.QueryRowContext(ctx, `SELECT `+responseColumns+` FROM survey_response r WHERE r.survey_id = ? AND r.recipient_id = ?`, surveyID, recipientID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.survey.response.notFound", Message: "This person has not answered the survey."}
	} else if err != nil {
		return r, fmt.Errorf("read survey response: %w", err)
	}
	return r, nil
}

// SurveyResponses returns all answers of a survey, oldest first, with the
// people's addresses.
func (s *SurveyService) SurveyResponses(ctx context.Context, surveyID int64) ([]resonanz.SurveyResponse, error) {
	if _, err := s.Survey(ctx, surveyID); err != nil {
		return nil, err
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+responseColumns+`, p.email FROM survey_response r JOIN recipient p ON p.id = r.recipient_id
		WHERE r.survey_id = ? ORDER BY r.submitted_at, r.recipient_id`, surveyID)
	if err != nil {
		return nil, fmt.Errorf("read survey responses: %w", err)
	}
	defer rows.Close()
	out := []resonanz.SurveyResponse{}
	for rows.Next() {
		var email string
		r, err := scanResponse(rows, &email)
		if err != nil {
			return nil, fmt.Errorf("read survey responses: %w", err)
		}
		r.Email = email
		out = append(out, r)
	}
	return out, rows.Err()
}

// SurveyResults counts the answers per question and choice; ratings count
// per value 1..5 with their average; text answers are listed newest first.
func (s *SurveyService) SurveyResults(ctx context.Context, surveyID int64) (resonanz.SurveyResults, error) {
	sv, err := s.Survey(ctx, surveyID)
	if err != nil {
		return resonanz.SurveyResults{}, err
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT answers, submitted_at FROM survey_response WHERE survey_id = ? ORDER BY submitted_at DESC`, surveyID)
	if err != nil {
		return resonanz.SurveyResults{}, fmt.Errorf("survey results: %w", err)
	}
	defer rows.Close()
	res := resonanz.SurveyResults{Survey: sv, Questions: make([]resonanz.QuestionResult, len(sv.Questions))}
	index := map[string]int{}
	ratingSums := make([]int, len(sv.Questions))
	for i, q := range sv.Questions {
		index[q.Key] = i
		qr := resonanz.QuestionResult{Key: q.Key, Type: q.Type, Text: q.Text, Choices: []resonanz.ChoiceCount{}, Texts: []resonanz.TextAnswer{}}
		for _, c := range q.Choices {
			qr.Choices = append(qr.Choices, resonanz.ChoiceCount{Key: c.Key, Label: c.Label})
		}
		if q.Type == resonanz.QuestionRating {
			for v := 1; v <= resonanz.MaxRating; v++ {
				qr.Choices = append(qr.Choices, resonanz.ChoiceCount{Key: strconv.Itoa(v), Label: strconv.Itoa(v)})
			}
		}
		res.Questions[i] = qr
	}
	for rows.Next() {
		var raw string
		var at int64
		if err := rows.Scan(&raw, &at); err != nil {
			return res, fmt.Errorf("survey results: %w", err)
		}
		var answers []resonanz.SurveyAnswer
		if err := json.Unmarshal([]byte(raw), &answers); err != nil {
			return res, fmt.Errorf("survey results: %w", err)
		}
		res.Responses++
		for _, a := range answers {
			i, ok := index[a.Question]
			if !ok {
				continue // the question was removed since
			}
			qr := &res.Questions[i]
			counted := false
			switch qr.Type {
			case resonanz.QuestionSingle, resonanz.QuestionMultiple:
				for _, k := range a.Choices {
					for j := range qr.Choices {
						if qr.Choices[j].Key == k {
							qr.Choices[j].Count++
							counted = true
						}
					}
				}
			case resonanz.QuestionRating:
				if a.Rating >= 1 && a.Rating <= resonanz.MaxRating {
					qr.Choices[a.Rating-1].Count++
					ratingSums[i] += a.Rating
					counted = true
				}
			case resonanz.QuestionText:
				if a.Text != "" {
					if len(qr.Texts) < resonanz.MaxResultTexts {
						qr.Texts = append(qr.Texts, resonanz.TextAnswer{Text: a.Text, At: fromMillis(at)})
					}
					counted = true
				}
			}
			if counted {
				qr.Answered++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("survey results: %w", err)
	}
	for i := range res.Questions {
		if res.Questions[i].Type == resonanz.QuestionRating && res.Questions[i].Answered > 0 {
			res.Questions[i].Average = float64(ratingSums[i]) / float64(res.Questions[i].Answered)
		}
	}
	return res, nil
}

// personSurveys returns a person's answers in words, newest first.
func personSurveys(ctx context.Context, q querier, recipientID int64) ([]resonanz.PersonSurvey, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+responseColumns+`, `+surveyColumns+`
		FROM survey_response r JOIN survey s ON s.id = r.survey_id WHERE r.recipient_id = ? ORDER BY r.submitted_at DESC`, recipientID)
	if err != nil {
		return nil, fmt.Errorf("recipient surveys: %w", err)
	}
	defer rows.Close()
	out := []resonanz.PersonSurvey{}
	for rows.Next() {
		var sv resonanz.Survey
		var questions string
		var created, updated int64
		r, err := scanResponse(rows, &sv.ID, &sv.Name, &sv.Slug, &sv.Title, &sv.Intro, &sv.Status, &questions, &created, &updated)
		if err != nil {
			return nil, fmt.Errorf("recipient surveys: %w", err)
		}
		if err := json.Unmarshal([]byte(questions), &sv.Questions); err != nil {
			return nil, fmt.Errorf("recipient surveys: %w", err)
		}
		p := resonanz.PersonSurvey{SurveyID: sv.ID, SurveyName: sv.Name, SurveyTitle: sv.Title, SubmittedAt: r.SubmittedAt,
			UpdateProfile: r.UpdateProfile, ProfileWording: r.ProfileWording, IP: r.IP, UserAgent: r.UserAgent, Answers: []resonanz.PersonAnswer{}}
		for _, a := range r.Answers {
			question, answer := sv.AnswerText(a)
			p.Answers = append(p.Answers, resonanz.PersonAnswer{Question: question, Answer: answer})
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// declaredInterests adds the interests declared in surveys to scores, for
// people whose profiling consent is granted now (timelines decide).
func declaredInterests(ctx context.Context, q querier, tag string, recipientID int64, scores map[int64]map[string]*resonanz.InterestScore,
	now int64, weight func(at int64) float64) error {
	rows, err := q.QueryContext(ctx, `SELECT recipient_id, tag, at FROM survey_interest
		WHERE (?1 = 0 OR recipient_id = ?1) AND (?2 = '' OR tag = ?2) ORDER BY recipient_id, at`, recipientID, tag)
	if err != nil {
		return fmt.Errorf("declared interests: %w", err)
	}
	type decl struct {
		id  int64
		tag string
		at  int64
	}
	var decls []decl
	var ids []any
	for rows.Next() {
		var d decl
		if err := rows.Scan(&d.id, &d.tag, &d.at); err != nil {
			rows.Close()
			return fmt.Errorf("declared interests: %w", err)
		}
		if len(ids) == 0 || ids[len(ids)-1] != any(d.id) {
			ids = append(ids, d.id)
		}
		decls = append(decls, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("declared interests: %w", err)
	}
	if len(decls) == 0 {
		return nil
	}
	timelines, err := consentTimelines(ctx, q, purposesProfiling, ids)
	if err != nil {
		return err
	}
	nowT := fromMillis(now)
	for _, d := range decls {
		// The consent decision point: a current profiling consent.
		if !timelines[d.id].Granted(resonanz.PurposeProfiling, 0, nowT) {
			continue
		}
		tags := scores[d.id]
		if tags == nil {
			tags = map[string]*resonanz.InterestScore{}
			scores[d.id] = tags
		}
		// Tags compare case-insensitively: join a click score of the same tag.
		var sc *resonanz.InterestScore
		for k, v := range tags {
			if strings.EqualFold(k, d.tag) {
				sc = v
				break
			}
		}
		if sc == nil {
			sc = &resonanz.InterestScore{Tag: d.tag}
			tags[d.tag] = sc
		}
		sc.Score += weight(d.at)
		sc.Declared = true
		if at := fromMillis(d.at); at.After(sc.DeclaredAt) {
			sc.DeclaredAt = at
		}
	}
	return nil
}
