package send

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Compile checks a mailing's template, in the layout it chose, against
// the project's attributes and salutation blocks; errors name the field
// and line:column. Every render of a mailing (preview, test send, send,
// exports) goes through here, so the mailing's layout is used everywhere;
// once the mailing has gone out, the layout as it was then.
func (s *Service) Compile(ctx context.Context, ml resonanz.Mailing) (*render.Template, error) {
	if ml.SentLayout == "" && ml.ID != 0 {
		// A mailing from the window comes without it (it is not in the JSON).
		if stored, err := s.svc.Mailings.Mailing(ctx, ml.ID); err == nil {
			ml.SentLayout = stored.SentLayout
		}
	}
	if ml.SentLayout != "" {
		return s.CompileWith(ctx, ml, ml.SentLayout) // the layout as it went out
	}
	layout, err := s.layoutHTML(ctx, ml.LayoutID)
	if err != nil {
		return nil, err
	}
	return s.CompileWith(ctx, ml, layout)
}

// layoutHTML returns the HTML of layout id, "" (the default layout) for 0.
func (s *Service) layoutHTML(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	if s.svc.Templates == nil {
		return "", resonanz.E(resonanz.EINTERNAL, "error.send.layoutsSetUp", "Layouts are not set up in this mode.")
	}
	l, err := s.svc.Templates.Layout(ctx, id)
	if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
		return "", resonanz.FieldError("layoutId", "error.mailing.layout.notFound", "The chosen layout does not exist (any more). Pick another one.")
	}
	return l.HTML, err
}

// CompileWith compiles the mailing's fields in the layout HTML ("" for
// the default layout).
func (s *Service) CompileWith(ctx context.Context, ml resonanz.Mailing, layout string) (*render.Template, error) {
	defs, err := s.svc.Attributes.Attributes(ctx)
	if err != nil {
		return nil, err
	}
	blocks, err := s.ownSalutations(ctx)
	if err != nil {
		return nil, err
	}
	return render.Compile(resonanz.Template{Subject: ml.Subject, Preheader: ml.Preheader, Body: ml.Body, Layout: layout, Language: ml.Language, Salutations: blocks}, defs)
}

// ownSalutations returns the project's own salutation blocks.
func (s *Service) ownSalutations(ctx context.Context) ([]resonanz.SalutationBlock, error) {
	var blocks []resonanz.SalutationBlock
	if _, err := s.svc.Settings.Value(ctx, resonanz.SettingSalutations, &blocks); err != nil {
		return nil, err
	}
	return blocks, nil
}

// Salutations returns the salutation blocks in use: the defaults (de, en;
// formal, informal) with the project's own blocks replacing those of the
// same name and language, and added ones.
func (s *Service) Salutations(ctx context.Context) ([]resonanz.SalutationBlock, error) {
	own, err := s.ownSalutations(ctx)
	if err != nil {
		return nil, err
	}
	out := render.DefaultSalutations()
	for _, b := range own {
		i := slices.IndexFunc(out, func(d resonanz.SalutationBlock) bool { return d.Name == b.Name && d.Language == b.Language })
		if i >= 0 {
			out[i] = b
		} else {
			out = append(out, b)
		}
	}
	// A rule for everyone has no genders and requires nothing: empty
	// lists, never null, for the editor.
	for i := range out {
		for j := range out[i].Rules {
			r := &out[i].Rules[j]
			if r.Genders == nil {
				r.Genders = []resonanz.Gender{}
			}
			if r.Requires == nil {
				r.Requires = []string{}
			}
		}
	}
	return out, nil
}

// SaveSalutation stores one block (replacing a default or an own block of
// the same name and language) after checking its rules, and returns the
// blocks in use.
func (s *Service) SaveSalutation(ctx context.Context, b resonanz.SalutationBlock) ([]resonanz.SalutationBlock, error) {
	if _, err := render.EvalSalutation(b, nil); err != nil {
		return nil, err
	}
	own, err := s.ownSalutations(ctx)
	if err != nil {
		return nil, err
	}
	own = slices.DeleteFunc(own, func(o resonanz.SalutationBlock) bool { return o.Name == b.Name && o.Language == b.Language })
	own = append(own, b)
	if err := s.svc.Settings.SetValue(ctx, resonanz.SettingSalutations, own); err != nil {
		return nil, err
	}
	return s.Salutations(ctx)
}

// SalutationRow is a salutation block's result for one sample recipient.
type SalutationRow struct {
	Recipient resonanz.Recipient `json:"recipient"`
	Text      string             `json:"text"`
	Rule      int                `json:"rule"` // index of the matching rule, -1 for none
}

// SampleRecipients are the people the salutation editor shows when none
// are picked, the cases every block must handle; the layout preview
// shows the first and, in English, the fifth.
var SampleRecipients = []resonanz.Recipient{
	{Email: "a.mueller@example.org", FirstName: "Anna", LastName: "Müller", Gender: resonanz.GenderFemale, Title: "Dr."},
	{Email: "j.schmidt@example.org", FirstName: "Jan", LastName: "Schmidt", Gender: resonanz.GenderMale},
	{Email: "k.weber@example.org", FirstName: "Kim", LastName: "Weber", Gender: resonanz.GenderDiverse},
	{Email: "a.weiss@example.org", FirstName: "Alex", LastName: "Weiß"},
	{Email: "info@example.org"},
	{Email: "s.smith@example.com", FirstName: "Sarah", LastName: "Smith", Gender: resonanz.GenderFemale, Language: "en"},
}

// SalutationSamples evaluates a block (as edited) for the stored people
// ids (at most 1000), or for SampleRecipients when ids is empty: the
// salutation editor's live table.
func (s *Service) SalutationSamples(ctx context.Context, b resonanz.SalutationBlock, ids []int64) ([]SalutationRow, error) {
	people := SampleRecipients
	if len(ids) > 0 {
		page, err := s.svc.Recipients.FindRecipients(ctx, resonanz.RecipientFilter{IDs: ids, Limit: min(len(ids), 1000), Sort: "createdAt"})
		if err != nil {
			return nil, err
		}
		people = page.Recipients
	}
	res, err := render.EvalSalutation(b, people)
	if err != nil {
		return nil, err
	}
	out := make([]SalutationRow, len(people))
	for i, r := range people {
		if r.Attributes == nil {
			r.Attributes = map[string]string{} // an object, not null, for the UI
		}
		out[i] = SalutationRow{Recipient: r, Text: res[i].Text, Rule: res[i].Rule}
	}
	return out, nil
}

// Preview is a mailing rendered for one recipient.
type Preview struct {
	Recipient resonanz.Recipient `json:"recipient"`
	Subject   string             `json:"subject"`
	Preheader string             `json:"preheader"`
	HTML      string             `json:"html"`
	Text      string             `json:"text"`
	// Skipped says why this recipient would not get the mailing ("" if
	// they would): a required placeholder is empty.
	Skipped string `json:"skipped"`
}

// Preview renders the mailing (as edited, not necessarily saved) for one
// recipient (0: the first stored, or a sample person), links unchanged (a
// preview records nothing).
func (s *Service) Preview(ctx context.Context, ml resonanz.Mailing, recipientID int64) (Preview, error) {
	tpl, err := s.Compile(ctx, ml)
	if err != nil {
		return Preview{}, err
	}
	r, err := s.previewRecipient(ctx, recipientID)
	if err != nil {
		return Preview{}, err
	}
	opt, err := s.PreviewOptions(ctx, tpl, ml.ID, r.ID, false)
	if err != nil {
		return Preview{}, err
	}
	res, err := tpl.Execute(&r, opt)
	p := Preview{Recipient: r, Subject: res.Subject, Preheader: res.Preheader, HTML: res.HTML, Text: res.Text}
	var skip *render.SkipError
	if errors.As(err, &skip) {
		p.Skipped = skip.Reason
	} else if err != nil {
		return p, err
	}
	return p, nil
}

// SurveyIDs resolves the survey slugs a template links; an unknown slug is
// an error naming it.
func (s *Service) SurveyIDs(ctx context.Context, tpl *render.Template) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, slug := range tpl.Surveys() {
		if s.svc.Surveys == nil {
			return nil, resonanz.E(resonanz.EINTERNAL, "error.send.surveysSetUp", "Surveys are not set up in this mode.")
		}
		sv, err := s.svc.Surveys.SurveyBySlug(ctx, slug)
		if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
			e := resonanz.FieldError("body", "error.template.survey",
				fmt.Sprintf(`There is no survey with the short name %q ({{ survey_url %q }}); create it under Surveys or correct the name.`, slug, slug))
			e.Params = map[string]string{"slug": slug}
			return nil, e
		} else if err != nil {
			return nil, err
		}
		ids[slug] = sv.ID
	}
	return ids, nil
}

// errNoListener is returned when a mail that is really sent would carry
// empty system links.
func errNoListener() error {
	return resonanz.FieldError("body", "error.template.noListener",
		"This mailing uses {{ profile_url }}, {{ unsubscribe_url }} or {{ survey_url }}, but no public listener URL is set. Set it in Settings → Listener, or remove these links.")
}

// PreviewOptions returns render options for one recipient with
// test-flagged system links (previews, test sends): nothing a click on
// them does is counted or changed. Without a listener the links stay
// empty; strict makes that an error (a test mail should show what
// recipients get). Target groups are asked for this one person only.
func (s *Service) PreviewOptions(ctx context.Context, tpl *render.Template, mailingID, recipientID int64, strict bool) (render.Options, error) {
	groups, err := s.groupsOf(ctx, tpl.Groups(), recipientID)
	if err != nil {
		return render.Options{}, err
	}
	opt := render.Options{InGroup: func(g string) bool { return groups[g] }}
	if len(tpl.SystemLinks()) == 0 && s.svc.Preview == nil {
		return opt, nil
	}
	var tracker Tracker
	if s.svc.Preview != nil {
		if tracker, err = s.svc.Preview(); err != nil {
			return render.Options{}, err
		}
	}
	if tracker == nil && strict && len(tpl.SystemLinks()) > 0 {
		return render.Options{}, errNoListener()
	}
	ids, err := s.SurveyIDs(ctx, tpl)
	if err != nil {
		return render.Options{}, err
	}
	opt.SystemURL = SystemURLs(tracker, mailingID, recipientID, ids)
	return opt, nil
}

// previewRecipient returns the recipient with the id, or for 0 the first
// one stored, or a sample person when there is none.
func (s *Service) previewRecipient(ctx context.Context, id int64) (resonanz.Recipient, error) {
	if id != 0 {
		return s.svc.Recipients.RecipientByID(ctx, id)
	}
	page, err := s.svc.Recipients.FindRecipients(ctx, resonanz.RecipientFilter{Limit: 1, Sort: "createdAt"})
	if err != nil {
		return resonanz.Recipient{}, err
	}
	if len(page.Recipients) > 0 {
		return page.Recipients[0], nil
	}
	return resonanz.Recipient{Email: "anna.beispiel@example.org", FirstName: "Anna", LastName: "Beispiel", Gender: resonanz.GenderFemale}, nil
}

// groupsOf answers which of the named target groups recipient id is in.
func (s *Service) groupsOf(ctx context.Context, names []string, id int64) (map[string]bool, error) {
	out := map[string]bool{}
	if len(names) == 0 || id == 0 {
		return out, nil
	}
	all, err := s.svc.Groups.TargetGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		if !slices.Contains(names, g.Name) {
			continue
		}
		page, err := s.svc.Groups.Matching(ctx, g.Rule, resonanz.RecipientFilter{IDs: []int64{id}, Limit: 1, Sort: "createdAt"})
		if err != nil {
			return nil, err
		}
		out[g.Name] = page.Total > 0
	}
	return out, nil
}

// RenderTemplate renders a template that is no stored mailing (the command
// line's `resonanz render`) for recipient r, with the project's attributes
// and the salutation blocks in use, untracked. A template error is an
// EINVALID *resonanz.Error naming its field and line:column; a recipient
// the template skips is a *render.SkipError.
func (s *Service) RenderTemplate(ctx context.Context, t resonanz.Template, r resonanz.Recipient) (render.Result, error) {
	defs, err := s.svc.Attributes.Attributes(ctx)
	if err != nil {
		return render.Result{}, err
	}
	if t.Salutations, err = s.Salutations(ctx); err != nil {
		return render.Result{}, err
	}
	tpl, err := render.Compile(t, defs)
	if err != nil {
		return render.Result{}, err
	}
	return tpl.Execute(&r, render.Options{})
}
