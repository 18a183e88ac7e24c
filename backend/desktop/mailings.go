package desktop

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
)

// MailingServices are what the Mailings façade uses beside the sending
// service.
type MailingServices struct {
	Mailings   resonanz.MailingService
	Recipients resonanz.RecipientService
	Attributes resonanz.AttributeService
}

// Mailings is the bound façade for writing and sending mailings: editing
// with template checks, preview per recipient, salutation blocks, test
// sends, exports and the send itself (all through send.Service).
type Mailings struct {
	ctx    context.Context
	svc    MailingServices
	send   *send.Service
	events Emitter
}

// NewMailings returns the Mailings façade.
func NewMailings(ctx context.Context, svc MailingServices, sending *send.Service, events Emitter) *Mailings {
	return &Mailings{ctx: ctx, svc: svc, send: sending, events: events}
}

// MailingDetail is a mailing with its links as the editor shows them.
type MailingDetail struct {
	Mailing resonanz.Mailing        `json:"mailing"`
	Links   []resonanz.Link         `json:"links"`
	Groups  []string                `json:"groups"` // target groups the conditional blocks use
	Fields  []resonanz.AttributeDef `json:"fields"` // placeholders that can be used
	// Problem is the template error of a stored draft (a mistake, or a
	// survey that does not exist yet): the draft is kept, sending refuses
	// it until the problem is fixed. nil when the mailing is sendable.
	Problem *UserError `json:"problem,omitempty"`
}

// List returns all mailings, newest first.
func (m *Mailings) List() ([]resonanz.Mailing, error) { return m.svc.Mailings.Mailings(m.ctx) }

// Get returns a mailing with its links.
func (m *Mailings) Get(id int64) (MailingDetail, error) {
	ml, err := m.svc.Mailings.Mailing(m.ctx, id)
	if err != nil {
		return MailingDetail{}, err
	}
	var groups []string
	tpl, problem, err := m.check(ml)
	if err != nil {
		return MailingDetail{}, err
	}
	if tpl != nil {
		groups = tpl.Groups()
	}
	d, err := m.detail(ml, groups)
	d.Problem = problem
	return d, err
}

// check compiles a mailing and resolves its surveys. A template problem
// (EINVALID: a mistake in the text, a survey not created yet) comes back
// as problem, with a nil template; other errors as err.
func (m *Mailings) check(ml resonanz.Mailing) (*render.Template, *UserError, error) {
	tpl, err := m.send.Compile(m.ctx, ml)
	if err == nil {
		_, err = m.send.SurveyIDs(m.ctx, tpl)
	}
	if err == nil {
		return tpl, nil, nil
	}
	if resonanz.ErrorCode(err) != resonanz.EINVALID {
		return nil, nil, err
	}
	u := ErrorFormatter{}.Format(err)
	return nil, &u, nil
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

// Save checks the template and stores the mailing (new when ID is 0) and
// the links found in it. A draft is stored even with a template error (a
// mistake, or a survey that does not exist yet), so no work is lost: the
// error comes back as Problem, with line and column, and sending refuses
// the mailing until it is fixed. The links stay as they were until the
// template compiles again.
func (m *Mailings) Save(in resonanz.Mailing) (MailingDetail, error) {
	tpl, problem, err := m.check(in)
	if err != nil {
		return MailingDetail{}, err
	}
	if problem != nil && in.Status != "" && in.Status != resonanz.MailingDraft {
		return MailingDetail{}, &resonanz.Error{Code: problem.Code, Field: problem.Field, Key: problem.Key, Params: problem.Params, Message: problem.Message}
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
	if problem != nil {
		d, err := m.detail(out, nil)
		d.Problem = problem
		return d, err
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

// DuplicateRequest asks for a copy of a mailing under a new name.
type DuplicateRequest struct {
	ID int64 `json:"id"`
	// Name is the copy's name in the user's language ("Kopie von …");
	// " (2)", " (3)", … are added while the name is taken.
	Name string `json:"name"`
}

// Duplicate stores a copy of a mailing as a new draft: name, subject,
// preheader, text, language, list and layout; no deliveries, no reactions.
func (m *Mailings) Duplicate(req DuplicateRequest) (MailingDetail, error) {
	src, err := m.svc.Mailings.Mailing(m.ctx, req.ID)
	if err != nil {
		return MailingDetail{}, err
	}
	cp := resonanz.Mailing{Subject: src.Subject, Preheader: src.Preheader, Body: src.Body, Language: src.Language,
		ListID: src.ListID, LayoutID: src.LayoutID, Status: resonanz.MailingDraft}
	// The UI names the copy in the user's language ("Kopie von …"); without
	// a name the copy is numbered, in no language: "Frühling (2)".
	base, first := strings.TrimSpace(req.Name), 1
	if base == "" {
		base, first = src.Name, 2
	}
	for i := first; ; i++ {
		cp.Name = base
		if i > 1 {
			cp.Name = fmt.Sprintf("%s (%d)", base, i)
		}
		d, err := m.Save(cp)
		var e *resonanz.Error
		if errors.As(err, &e) && e.Key == "error.mailing.name.taken" && i < 100 {
			continue
		}
		return d, err
	}
}

// PreviewRequest asks for a mailing (as currently edited, not necessarily
// saved) rendered for one recipient; RecipientID 0 takes the first one.
type PreviewRequest struct {
	Mailing     resonanz.Mailing `json:"mailing"`
	RecipientID int64            `json:"recipientId"`
}

// Preview is a mailing rendered for one recipient.
type Preview = send.Preview

// Preview renders the mailing for one recipient, links unchanged (a
// preview records nothing).
func (m *Mailings) Preview(req PreviewRequest) (Preview, error) {
	return m.send.Preview(m.ctx, req.Mailing, req.RecipientID)
}

// Salutations returns the salutation blocks in use: the defaults (de, en;
// formal, informal) with the project's own blocks replacing those of the
// same name and language, and added ones.
func (m *Mailings) Salutations() ([]resonanz.SalutationBlock, error) {
	return m.send.Salutations(m.ctx)
}

// SaveSalutation stores one block (replacing a default or an own block of
// the same name and language) after checking its rules.
func (m *Mailings) SaveSalutation(b resonanz.SalutationBlock) ([]resonanz.SalutationBlock, error) {
	return m.send.SaveSalutation(m.ctx, b)
}

// SalutationRow is a salutation block's result for one sample recipient.
type SalutationRow = send.SalutationRow

// SalutationSamples evaluates a block (as edited) for the given recipients,
// or for send.SampleRecipients when ids is empty: the editor's live table.
func (m *Mailings) SalutationSamples(b resonanz.SalutationBlock, ids []int64) ([]SalutationRow, error) {
	return m.send.SalutationSamples(m.ctx, b, ids)
}
