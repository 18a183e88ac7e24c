package desktop

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
)

// MailingServices are what the Mailings façade uses.
type MailingServices struct {
	Mailings   resonanz.MailingService
	Recipients resonanz.RecipientService
	Attributes resonanz.AttributeService
	Groups     resonanz.TargetGroupService
	Settings   resonanz.SettingsService
	// Surveys resolves {{ survey_url "slug" }}; nil: no survey links.
	Surveys resonanz.SurveyService
	// Templates holds the layouts mailings choose; nil: every mailing uses
	// the default layout.
	Templates resonanz.TemplateService
}

// Mailings is the bound façade for writing mailings: editing with template
// checks, preview per recipient, salutation blocks.
type Mailings struct {
	ctx    context.Context
	svc    MailingServices
	send   Sending
	events Emitter
	runs   sendRuns
}

// NewMailings returns the Mailings façade.
func NewMailings(ctx context.Context, svc MailingServices, sending Sending, events Emitter) *Mailings {
	return &Mailings{ctx: ctx, svc: svc, send: sending, events: events}
}

// MailingDetail is a mailing with its links as the editor shows them.
type MailingDetail struct {
	Mailing resonanz.Mailing        `json:"mailing"`
	Links   []resonanz.Link         `json:"links"`
	Groups  []string                `json:"groups"` // target groups the conditional blocks use
	Fields  []resonanz.AttributeDef `json:"fields"` // placeholders that can be used
}

// List returns all mailings, newest first.
func (m *Mailings) List() ([]resonanz.Mailing, error) { return m.svc.Mailings.Mailings(m.ctx) }

// Get returns a mailing with its links.
func (m *Mailings) Get(id int64) (MailingDetail, error) {
	ml, err := m.svc.Mailings.Mailing(m.ctx, id)
	if err != nil {
		return MailingDetail{}, err
	}
	return m.detail(ml, nil)
}

func (m *Mailings) detail(ml resonanz.Mailing, groups []string) (MailingDetail, error) {
	links, err := m.svc.Mailings.Links(m.ctx, ml.ID)
	if err != nil {
		return MailingDetail{}, err
	}
	defs, err := m.svc.Attributes.Attributes(m.ctx)
	if err != nil {
		return MailingDetail{}, err
	}
	if groups == nil {
		groups = []string{}
	}
	return MailingDetail{Mailing: ml, Links: links, Groups: groups, Fields: defs}, nil
}

// compile checks a mailing's template, in the layout it chose, against
// the project's attributes and salutation blocks; errors name the field
// and line:column. Every render of a mailing (preview, test send, send,
// exports) goes through here, so the mailing's layout is used everywhere;
// once the mailing has gone out, the layout as it was then.
func (m *Mailings) compile(ml resonanz.Mailing) (*render.Template, error) {
	if ml.SentLayout == "" && ml.ID != 0 {
		// A mailing from the window comes without it (it is not in the JSON).
		if stored, err := m.svc.Mailings.Mailing(m.ctx, ml.ID); err == nil {
			ml.SentLayout = stored.SentLayout
		}
	}
	if ml.SentLayout != "" {
		return m.compileWith(ml, ml.SentLayout) // the layout as it went out
	}
	layout, err := m.layoutHTML(ml.LayoutID)
	if err != nil {
		return nil, err
	}
	return m.compileWith(ml, layout)
}

// layoutHTML returns the HTML of layout id, "" (the default layout) for 0.
func (m *Mailings) layoutHTML(id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	if m.svc.Templates == nil {
		return "", resonanz.Errorf(resonanz.EINTERNAL, "Layouts are not set up in this mode.")
	}
	l, err := m.svc.Templates.Layout(m.ctx, id)
	if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
		return "", resonanz.FieldError("layoutId", "error.mailing.layout.notFound", "The chosen layout does not exist (any more). Pick another one.")
	}
	return l.HTML, err
}

// compileWith compiles the mailing's fields in the layout HTML ("" for
// the default layout).
func (m *Mailings) compileWith(ml resonanz.Mailing, layout string) (*render.Template, error) {
	defs, err := m.svc.Attributes.Attributes(m.ctx)
	if err != nil {
		return nil, err
	}
	blocks, err := m.salutations()
	if err != nil {
		return nil, err
	}
	return render.Compile(resonanz.Template{Subject: ml.Subject, Preheader: ml.Preheader, Body: ml.Body, Layout: layout, Language: ml.Language, Salutations: blocks}, defs)
}

// Save checks the template and stores the mailing (new when ID is 0) and
// the links found in it. A template error is reported with line and column
// and nothing is stored.
func (m *Mailings) Save(in resonanz.Mailing) (MailingDetail, error) {
	tpl, err := m.compile(in)
	if err != nil {
		return MailingDetail{}, err
	}
	if _, err := m.surveyIDs(tpl); err != nil {
		return MailingDetail{}, err
	}
	var out resonanz.Mailing
	if in.ID == 0 {
		out, err = m.svc.Mailings.CreateMailing(m.ctx, in)
	} else {
		out, err = m.svc.Mailings.UpdateMailing(m.ctx, in)
	}
	if err != nil {
		return MailingDetail{}, err
	}
	links := make([]resonanz.Link, 0, len(tpl.Links()))
	for _, l := range tpl.Links() {
		links = append(links, resonanz.Link{URL: l.URL, Name: l.Name, Kind: l.Kind, Tags: l.Tags})
	}
	if _, err := m.svc.Mailings.SetLinks(m.ctx, out.ID, links); err != nil {
		return MailingDetail{}, err
	}
	return m.detail(out, tpl.Groups())
}

// PreviewRequest asks for a mailing (as currently edited, not necessarily
// saved) rendered for one recipient; RecipientID 0 takes the first one.
type PreviewRequest struct {
	Mailing     resonanz.Mailing `json:"mailing"`
	RecipientID int64            `json:"recipientId"`
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

// Preview renders the mailing for one recipient, links unchanged (a
// preview records nothing).
func (m *Mailings) Preview(req PreviewRequest) (Preview, error) {
	tpl, err := m.compile(req.Mailing)
	if err != nil {
		return Preview{}, err
	}
	r, err := m.previewRecipient(req.RecipientID)
	if err != nil {
		return Preview{}, err
	}
	groups, err := m.groupsOf(tpl.Groups(), r.ID)
	if err != nil {
		return Preview{}, err
	}
	opt, err := m.previewOptions(tpl, req.Mailing.ID, r.ID, false)
	if err != nil {
		return Preview{}, err
	}
	opt.InGroup = func(g string) bool { return groups[g] }
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

// surveyIDs resolves the survey slugs a template links; an unknown slug is
// an error naming it.
func (m *Mailings) surveyIDs(tpl *render.Template) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, slug := range tpl.Surveys() {
		if m.svc.Surveys == nil {
			return nil, resonanz.Errorf(resonanz.EINTERNAL, "Surveys are not set up in this mode.")
		}
		sv, err := m.svc.Surveys.SurveyBySlug(m.ctx, slug)
		if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
			return nil, resonanz.FieldError("body", "error.template.survey",
				fmt.Sprintf(`There is no survey with the short name %q ({{ survey_url %q }}); create it under Surveys or correct the name.`, slug, slug))
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

// previewOptions returns render options with test-flagged system links
// (previews, test sends, exports): nothing a click on them does is
// counted or changed. Without a listener the links stay empty; strict
// makes that an error (a test mail should show what recipients get).
func (m *Mailings) previewOptions(tpl *render.Template, mailingID, recipientID int64, strict bool) (render.Options, error) {
	if len(tpl.SystemLinks()) == 0 && m.send.Preview == nil {
		return render.Options{}, nil
	}
	var tracker send.Tracker
	if m.send.Preview != nil {
		var err error
		if tracker, err = m.send.Preview(); err != nil {
			return render.Options{}, err
		}
	}
	if tracker == nil && strict && len(tpl.SystemLinks()) > 0 {
		return render.Options{}, errNoListener()
	}
	ids, err := m.surveyIDs(tpl)
	if err != nil {
		return render.Options{}, err
	}
	return render.Options{SystemURL: send.SystemURLs(tracker, mailingID, recipientID, ids)}, nil
}

// previewRecipient returns the recipient with the id, or for 0 the first
// one stored, or a sample person when there is none.
func (m *Mailings) previewRecipient(id int64) (resonanz.Recipient, error) {
	if id != 0 {
		return m.svc.Recipients.RecipientByID(m.ctx, id)
	}
	page, err := m.svc.Recipients.FindRecipients(m.ctx, resonanz.RecipientFilter{Limit: 1, Sort: "createdAt"})
	if err != nil {
		return resonanz.Recipient{}, err
	}
	if len(page.Recipients) > 0 {
		return page.Recipients[0], nil
	}
	return resonanz.Recipient{Email: "anna.beispiel@example.org", FirstName: "Anna", LastName: "Beispiel", Gender: resonanz.GenderFemale}, nil
}

// groupsOf answers which of the named target groups recipient id is in.
func (m *Mailings) groupsOf(names []string, id int64) (map[string]bool, error) {
	out := map[string]bool{}
	if len(names) == 0 || id == 0 {
		return out, nil
	}
	all, err := m.svc.Groups.TargetGroups(m.ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		if !slices.Contains(names, g.Name) {
			continue
		}
		page, err := m.svc.Groups.Matching(m.ctx, g.Rule, resonanz.RecipientFilter{IDs: []int64{id}, Limit: 1, Sort: "createdAt"})
		if err != nil {
			return nil, err
		}
		out[g.Name] = page.Total > 0
	}
	return out, nil
}

// salutations returns the project's own salutation blocks.
func (m *Mailings) salutations() ([]resonanz.SalutationBlock, error) {
	var blocks []resonanz.SalutationBlock
	if _, err := m.svc.Settings.Value(m.ctx, resonanz.SettingSalutations, &blocks); err != nil {
		return nil, err
	}
	return blocks, nil
}

// Salutations returns the salutation blocks in use: the defaults (de, en;
// formal, informal) with the project's own blocks replacing those of the
// same name and language, and added ones.
func (m *Mailings) Salutations() ([]resonanz.SalutationBlock, error) {
	own, err := m.salutations()
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
	return out, nil
}

// SaveSalutation stores one block (replacing a default or an own block of
// the same name and language) after checking its rules.
func (m *Mailings) SaveSalutation(b resonanz.SalutationBlock) ([]resonanz.SalutationBlock, error) {
	if _, err := render.EvalSalutation(b, nil); err != nil {
		return nil, err
	}
	own, err := m.salutations()
	if err != nil {
		return nil, err
	}
	own = slices.DeleteFunc(own, func(o resonanz.SalutationBlock) bool { return o.Name == b.Name && o.Language == b.Language })
	own = append(own, b)
	if err := m.svc.Settings.SetValue(m.ctx, resonanz.SettingSalutations, own); err != nil {
		return nil, err
	}
	return m.Salutations()
}

// SalutationRow is a salutation block's result for one sample recipient.
type SalutationRow struct {
	Recipient resonanz.Recipient `json:"recipient"`
	Text      string             `json:"text"`
	Rule      int                `json:"rule"` // index of the matching rule, -1 for none
}

// SampleRecipients are the people the salutation editor shows when the
// store has none picked: the cases every block must handle.
var SampleRecipients = []resonanz.Recipient{
	{Email: "a.mueller@example.org", FirstName: "Anna", LastName: "Müller", Gender: resonanz.GenderFemale, Title: "Dr."},
	{Email: "j.schmidt@example.org", FirstName: "Jan", LastName: "Schmidt", Gender: resonanz.GenderMale},
	{Email: "k.weber@example.org", FirstName: "Kim", LastName: "Weber", Gender: resonanz.GenderDiverse},
	{Email: "info@example.org"},
	{Email: "s.smith@example.com", FirstName: "Sarah", LastName: "Smith", Gender: resonanz.GenderFemale, Language: "en"},
}

// SalutationSamples evaluates a block (as edited) for the given recipients,
// or for SampleRecipients when ids is empty: the editor's live table.
func (m *Mailings) SalutationSamples(b resonanz.SalutationBlock, ids []int64) ([]SalutationRow, error) {
	people := SampleRecipients
	if len(ids) > 0 {
		page, err := m.svc.Recipients.FindRecipients(m.ctx, resonanz.RecipientFilter{IDs: ids, Limit: min(len(ids), 1000), Sort: "createdAt"})
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
	for i := range people {
		out[i] = SalutationRow{Recipient: people[i], Text: res[i].Text, Rule: res[i].Rule}
	}
	return out, nil
}
