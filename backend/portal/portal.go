// Package portal is the home of the recipients' own use cases behind the
// listener's pages: the profile page (view, update, export, erasure), the
// signup form and its double opt-in, the unsubscribe link, the survey
// page, and the confirmation and profile-link mails (also the ones the
// desk sends to unconfirmed members). It implements the listener's small
// interfaces over the store; every change is one transaction of the store
// (sqlite.PortalService and the services it names).
package portal

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Store is what the portal changes, each method in one transaction
// (sqlite.PortalService implements it).
type Store interface {
	// UpdateProfile stores a submitted profile form: the person's data,
	// list changes and consent changes together, or nothing.
	UpdateProfile(ctx context.Context, recipientID int64, u resonanz.ProfileUpdate, client resonanz.WebClient) error
	// Signup finds or creates the person and records a pending double
	// opt-in; a suppressed person gets the zero request and no error.
	Signup(ctx context.Context, s resonanz.Signup, client resonanz.WebClient) (resonanz.Recipient, resonanz.OptInRequest, error)
	// PurgeExpiredSignups deletes the people only the signup form created
	// who never confirmed, once their links expired; it returns how many.
	PurgeExpiredSignups(ctx context.Context) (int, error)
	// EraseOwnData erases the person at their own request, audited with
	// the recipient as the actor; ENOTFOUND when already erased.
	EraseOwnData(ctx context.Context, recipientID int64, client resonanz.WebClient) error
}

// Unsubscriber ends memberships from a mail's link (sqlite.SubscriptionService).
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, recipientID, mailingID int64, source string, client resonanz.WebClient, wording resonanz.Text) error
}

// Mailer is a resonanz.Mailer that can be closed.
type Mailer interface {
	resonanz.Mailer
	Close() error
}

// Services are what the portal uses; the composition root provides them.
type Services struct {
	Store         Store
	Subscriptions Unsubscriber
	Recipients    resonanz.RecipientService
	Lists         resonanz.ListService
	OptIns        resonanz.OptInService
	Surveys       resonanz.SurveyService
	Settings      resonanz.SettingsService
	// Mailings says which list a mailing went to (the unsubscribe page
	// names it); nil: the page names the person's lists.
	Mailings interface {
		Mailing(ctx context.Context, id int64) (resonanz.Mailing, error)
	}
	// Mailer connects to the configured SMTP server (notices).
	Mailer func(ctx context.Context) (Mailer, error)
	// URLs builds the listener's links; it fails when no public URL is set.
	URLs func(ctx context.Context) (listener.URLs, error)
	// Now is the clock of notice dates (default time.Now).
	Now func() time.Time
}

// Service implements the listener's Subscriptions, Profiles, Signups,
// Surveys and Mailer, and the desk's confirmation mails.
type Service struct {
	svc       Services
	lastPurge atomic.Int64 // unix nanoseconds of the last purge of expired signups
}

// purgeEvery is how often the signup form purges expired unconfirmed signups.
const purgeEvery = time.Hour

// purgeExpired deletes expired unconfirmed signups, at most once per
// purgeEvery. A failure is no reason to refuse the visitor: the next one
// tries again.
func (s *Service) purgeExpired(ctx context.Context) {
	now := s.svc.Now().UnixNano()
	last := s.lastPurge.Load()
	if now-last < int64(purgeEvery) || !s.lastPurge.CompareAndSwap(last, now) {
		return
	}
	s.svc.Store.PurgeExpiredSignups(ctx)
}

// New returns the portal over svc.
func New(svc Services) *Service {
	if svc.Now == nil {
		svc.Now = time.Now
	}
	return &Service{svc: svc}
}

// Unsubscribe ends the membership(s) from the link in a mail (see
// listener.Subscriptions).
func (s *Service) Unsubscribe(ctx context.Context, recipientID, mailingID int64, oneClick bool, c resonanz.WebClient) error {
	source := resonanz.SourceUnsubscribeLink
	if oneClick {
		source = resonanz.SourceOneClick
	}
	return s.svc.Subscriptions.Unsubscribe(ctx, recipientID, mailingID, source, c,
		resonanz.T("ledger.wording.unsubscribeLink", "Unsubscribed with the link in the mail (List-Unsubscribe)."))
}

// UnsubscribeView names the address and the lists an unsubscribe from
// mailingID ends: the mailing's list, or every list the person is on
// (listener.UnsubscribeViews).
func (s *Service) UnsubscribeView(ctx context.Context, recipientID, mailingID int64) (listener.UnsubscribeView, error) {
	det, err := s.svc.Recipients.RecipientDetail(ctx, recipientID)
	if err != nil {
		return listener.UnsubscribeView{}, err
	}
	v := listener.UnsubscribeView{Email: det.Recipient.Email}
	var only int64
	if mailingID != 0 && s.svc.Mailings != nil {
		m, err := s.svc.Mailings.Mailing(ctx, mailingID)
		if err != nil && resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			return v, err
		}
		only = m.ListID
	}
	member := map[int64]bool{}
	for _, m := range det.Lists {
		member[m.ListID] = m.Status == resonanz.StatusConfirmed || m.Status == resonanz.StatusUnconfirmed
	}
	lists, err := s.svc.Lists.Lists(ctx)
	if err != nil {
		return v, err
	}
	for _, l := range lists {
		if only != 0 && l.ID == only || only == 0 && member[l.ID] {
			v.Lists = append(v.Lists, l.Name)
		}
	}
	return v, nil
}

// Branding returns the business's branding (listener.Brands).
func (s *Service) Branding(ctx context.Context) (resonanz.Branding, error) {
	return resonanz.BrandingStore{Settings: s.svc.Settings}.Branding(ctx)
}

// Logo returns the stored logo (listener.Brands).
func (s *Service) Logo(ctx context.Context) (resonanz.Logo, error) {
	return resonanz.BrandingStore{Settings: s.svc.Settings}.Logo(ctx)
}

// Profile returns what the profile page shows: the person's data, the
// lists they are on and their tracking and profiling consents.
func (s *Service) Profile(ctx context.Context, recipientID int64) (listener.ProfileView, error) {
	det, err := s.svc.Recipients.RecipientDetail(ctx, recipientID)
	if err != nil {
		return listener.ProfileView{}, err
	}
	r := det.Recipient
	v := listener.ProfileView{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Gender: r.Gender, Title: r.Title,
		Language: r.Language, Consents: map[string]bool{}, Suppressed: det.Suppressed != ""}
	for _, c := range det.Consent {
		if c.Purpose == resonanz.PurposeNewsletter && c.Granted {
			v.MailName = strings.TrimSpace(r.FirstName + " " + r.LastName)
		}
	}
	for _, st := range det.Current {
		if st.Purpose != resonanz.PurposeNewsletter {
			v.Consents[st.Purpose] = st.Granted
		}
	}
	lists, err := s.svc.Lists.Lists(ctx)
	if err != nil {
		return v, err
	}
	status := map[int64]string{}
	for _, m := range det.Lists {
		status[m.ListID] = m.Status
	}
	for _, l := range lists {
		st, member := status[l.ID]
		// A person sees the lists they are on, and the lists that are open
		// to subscribe (any list they were ever on, or every list when
		// they are on none yet would be a guess: keep to their own).
		if !member {
			continue
		}
		v.Lists = append(v.Lists, listener.ListChoice{ListID: l.ID, Name: l.Name, Description: l.Description,
			Subscribed: st == resonanz.StatusConfirmed || st == resonanz.StatusUnconfirmed, Confirmed: st == resonanz.StatusConfirmed})
	}
	return v, nil
}

// UpdateProfile stores a submitted profile form in one transaction.
func (s *Service) UpdateProfile(ctx context.Context, recipientID int64, u listener.ProfileUpdate, c resonanz.WebClient) error {
	return s.svc.Store.UpdateProfile(ctx, recipientID, u, c)
}

// Export returns the person's data (GDPR Art. 15/20).
func (s *Service) Export(ctx context.Context, recipientID int64) (resonanz.PersonalDataExport, error) {
	return s.svc.Recipients.PersonalData(ctx, recipientID)
}

// RequestErasure erases the person at once (GDPR Art. 17).
func (s *Service) RequestErasure(ctx context.Context, recipientID int64, c resonanz.WebClient) error {
	return s.svc.Store.EraseOwnData(ctx, recipientID, c)
}

// FormList returns the list of a signup form.
func (s *Service) FormList(ctx context.Context, listID int64) (listener.ListChoice, error) {
	l, err := s.list(ctx, listID)
	if err != nil {
		return listener.ListChoice{}, err
	}
	return listener.ListChoice{ListID: l.ID, Name: l.Name, Description: l.Description}, nil
}

// list returns the list with the id (ENOTFOUND when it was deleted).
func (s *Service) list(ctx context.Context, listID int64) (resonanz.List, error) {
	lists, err := s.svc.Lists.Lists(ctx)
	if err != nil {
		return resonanz.List{}, err
	}
	for _, l := range lists {
		if l.ID == listID {
			return l, nil
		}
	}
	return resonanz.List{}, resonanz.E(resonanz.ENOTFOUND, "error.portal.listDoesExist", "The list does not exist any more.")
}

// Signup creates the recipient (or finds the existing one, whose data it
// leaves alone) and records a pending double opt-in, in one transaction.
func (s *Service) Signup(ctx context.Context, in listener.Signup, c resonanz.WebClient) (listener.SignupResult, error) {
	s.purgeExpired(ctx)
	r, req, err := s.svc.Store.Signup(ctx, in, c)
	if err != nil || req.Token == "" {
		return listener.SignupResult{}, err
	}
	to, err := s.publicAddressee(ctx, r)
	if err != nil {
		return listener.SignupResult{}, err
	}
	return listener.SignupResult{Token: req.Token, Addressee: to}, nil
}

// publicAddressee is addressee for mails the public forms trigger: the
// anonymous form takes any name, so a person who never confirmed (no
// newsletter grant in the ledger) is mailed without one — in To: and in
// the greeting.
func (s *Service) publicAddressee(ctx context.Context, r resonanz.Recipient) (listener.Addressee, error) {
	to := addressee(r)
	if to.Name == "" {
		return to, nil
	}
	d, err := s.svc.Recipients.RecipientDetail(ctx, r.ID)
	if err != nil {
		return to, err
	}
	for _, c := range d.Consent {
		if c.Purpose == resonanz.PurposeNewsletter && c.Granted {
			return to, nil
		}
	}
	to.Name = ""
	return to, nil
}

func addressee(r resonanz.Recipient) listener.Addressee {
	return listener.Addressee{RecipientID: r.ID, Email: r.Email, Name: strings.TrimSpace(r.FirstName + " " + r.LastName), Language: r.Language}
}

// Confirm confirms the double opt-in behind token.
func (s *Service) Confirm(ctx context.Context, token string, c resonanz.WebClient) (resonanz.OptInRequest, error) {
	return s.svc.OptIns.ConfirmOptIn(ctx, token, c)
}

// ProfileRecipient finds a recipient by address for the profile login.
func (s *Service) ProfileRecipient(ctx context.Context, email string) (listener.Addressee, error) {
	r, err := s.svc.Recipients.RecipientByEmail(ctx, email)
	if err != nil {
		return listener.Addressee{}, err
	}
	return s.publicAddressee(ctx, r)
}

// SurveyForm returns the survey and when the person answered it last.
func (s *Service) SurveyForm(ctx context.Context, surveyID, recipientID int64) (listener.SurveyView, error) {
	sv, err := s.svc.Surveys.Survey(ctx, surveyID)
	if err != nil {
		return listener.SurveyView{}, err
	}
	r, err := s.svc.Recipients.RecipientByID(ctx, recipientID)
	if err != nil {
		return listener.SurveyView{}, err
	}
	v := listener.SurveyView{Survey: sv, Language: r.Language}
	if prev, err := s.svc.Surveys.SurveyResponse(ctx, surveyID, recipientID); err == nil {
		v.AnsweredAt = prev.SubmittedAt
	} else if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		return v, err
	}
	return v, nil
}

// SubmitSurvey stores the person's answers (one transaction of the store).
func (s *Service) SubmitSurvey(ctx context.Context, surveyID, recipientID int64, sub listener.SurveySubmission, c resonanz.WebClient) error {
	_, err := s.svc.Surveys.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: surveyID, RecipientID: recipientID, Answers: sub.Answers,
		UpdateProfile: sub.UpdateProfile, ProfileWording: sub.Wording, IP: c.IP, UserAgent: c.UserAgent})
	return err
}

// SendNotice mails a confirmation or profile link through the configured
// SMTP server, from the sender identity, with its own Message-ID and
// nothing tracked.
func (s *Service) SendNotice(ctx context.Context, n listener.Notice) error {
	from, err := s.sender(ctx)
	if err != nil {
		return err
	}
	mailer, err := s.svc.Mailer(ctx)
	if err != nil {
		return err
	}
	defer mailer.Close()
	return sendNotice(ctx, mailer, from, n, s.svc.Now())
}

// sender is the sender of notices: the sender identity, which must be set.
func (s *Service) sender(ctx context.Context) (resonanz.SenderIdentity, error) {
	from, err := s.svc.Settings.Sender(ctx)
	if err == nil && from.FromAddress == "" {
		err = resonanz.FieldError("fromAddress", "error.sender.fromAddress.required", "Set the sender address first (Settings → Sender).")
	}
	return from, err
}

// sendNotice sends one notice; the mailer gives it a fresh Message-ID.
func sendNotice(ctx context.Context, mailer resonanz.Mailer, from resonanz.SenderIdentity, n listener.Notice, now time.Time) error {
	msg := &resonanz.Message{From: from, To: n.To, ToName: n.ToName, Subject: n.Subject, HTML: n.HTML, Text: n.Text, Date: now,
		Headers: map[string]string{"Auto-Submitted": "auto-generated", "X-Resonanz-Notice": n.Kind}}
	per, err := mailer.Send(ctx, []*resonanz.Message{msg})
	if err == nil && len(per) == 1 {
		err = per[0]
	}
	if err != nil {
		return fmt.Errorf("send %s mail: %w", n.Kind, err)
	}
	return nil
}

// ConfirmRelaySignup mails the confirmation for a signup made on a relay,
// as the listener does for its own form: in the language the person has,
// else the form's, else German; with no name (anybody can type any text
// into the form).
func (s *Service) ConfirmRelaySignup(ctx context.Context, sig listener.Signup, r listener.SignupResult) error {
	lang := r.Language
	if lang != "de" && lang != "en" {
		lang = sig.Language
	}
	if lang != "de" && lang != "en" {
		lang = "de"
	}
	urls, err := s.svc.URLs(ctx)
	if err != nil {
		return err
	}
	l, err := s.FormList(ctx, sig.ListID)
	if err != nil {
		return err
	}
	b, err := s.Branding(ctx)
	if err != nil {
		return err
	}
	n := listener.ConfirmationNotice(lang, r.Email, "", l.Name, sig.Wording, urls.Confirm(r.Token), listener.BrandNotice(b))
	n.RecipientID = r.RecipientID
	return s.SendNotice(ctx, n)
}

// deskClient marks double opt-in requests the sender started from the desk
// (the person's own step is the confirmation).
var deskClient = resonanz.WebClient{UserAgent: "Resonanz desk (confirmation mail sent by the sender)"}

// SendConfirmation mails a fresh double opt-in request to one person whose
// membership of listID is unconfirmed: "send the confirmation again" in
// the recipient's detail. A failed mail is an error with its reason; a
// person not waiting for a confirmation (confirmed, unsubscribed,
// blocked) is a conflict.
func (s *Service) SendConfirmation(ctx context.Context, recipientID, listID int64) (resonanz.ConfirmationResult, error) {
	res, err := s.SendConfirmations(ctx, listID, []int64{recipientID}, func(resonanz.ConfirmationResult) {})
	if err == nil && res.Failed > 0 {
		err = resonanz.E(resonanz.EINVALID, "error.recipient.confirmationMailWas", "The confirmation mail was not sent: {reasons}", "reasons", strings.Join(res.Errors, "; "))
	} else if err == nil && res.Sent == 0 {
		err = &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.optin.notPending",
			Message: "This person is not waiting for a confirmation on the list (confirmed, unsubscribed or blocked)."}
	}
	return res, err
}

// SendListConfirmations mails a fresh double opt-in request to every
// unconfirmed member of listID (SendConfirmations over all of them);
// progress is called after each person.
func (s *Service) SendListConfirmations(ctx context.Context, listID int64, progress func(resonanz.ConfirmationResult)) (resonanz.ConfirmationResult, error) {
	var ids []int64
	f := resonanz.RecipientFilter{ListID: listID, Status: resonanz.StatusUnconfirmed, Limit: 1000}
	for {
		page, err := s.svc.Recipients.FindRecipients(ctx, f)
		if err != nil {
			return resonanz.ConfirmationResult{Errors: []string{}}, err
		}
		for _, p := range page.Recipients {
			ids = append(ids, p.ID)
		}
		if len(page.Recipients) < f.Limit {
			break
		}
		f.AfterID = page.Recipients[len(page.Recipients)-1].ID
	}
	return s.SendConfirmations(ctx, listID, ids, progress)
}

// SendConfirmations mails a fresh double opt-in request per unconfirmed
// member of listID among ids, over one SMTP connection pool, in the
// person's language (German when unknown); progress is called after each
// person.
func (s *Service) SendConfirmations(ctx context.Context, listID int64, ids []int64, progress func(resonanz.ConfirmationResult)) (resonanz.ConfirmationResult, error) {
	res := resonanz.ConfirmationResult{Total: len(ids), Errors: []string{}}
	urls, err := s.svc.URLs(ctx)
	if err != nil {
		return res, err
	}
	from, err := s.sender(ctx)
	if err != nil {
		return res, err
	}
	list, err := s.list(ctx, listID)
	if err != nil {
		return res, err
	}
	b, err := s.Branding(ctx)
	if err != nil {
		return res, err
	}
	brand := listener.BrandNotice(b)
	if len(ids) == 0 {
		return res, nil
	}
	mailer, err := s.svc.Mailer(ctx)
	if err != nil {
		return res, err
	}
	defer mailer.Close()
	fail := func(email string, err error) {
		res.Failed++
		if len(res.Errors) < 10 {
			res.Errors = append(res.Errors, email+": "+resonanz.ErrorMessage(err))
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		det, err := s.svc.Recipients.RecipientDetail(ctx, id)
		if err != nil {
			fail(fmt.Sprint("recipient ", id), err)
			res.Done++
			progress(res)
			continue
		}
		r := det.Recipient
		pending := false
		for _, m := range det.Lists {
			pending = pending || m.ListID == listID && m.Status == resonanz.StatusUnconfirmed
		}
		if !pending || det.Suppressed != "" {
			res.Skipped++
		} else {
			lang := r.Language
			if lang != "de" && lang != "en" {
				lang = "de"
			}
			wording := listener.NewsletterWording(lang, list.Name)
			req, err := s.svc.OptIns.RequestOptIn(ctx, id, listID, wording, deskClient)
			if err == nil {
				to := addressee(r)
				n := listener.ConfirmationNotice(lang, to.Email, to.Name, list.Name, wording, urls.Confirm(req.Token), brand)
				err = sendNotice(ctx, mailer, from, n, time.Now())
			}
			if err != nil {
				fail(r.Email, err)
			} else {
				res.Sent++
			}
		}
		res.Done++
		progress(res)
	}
	return res, nil
}
