package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
)

// listenerKeyName names the listener's token key in the secret store.
const listenerKeyName = "listener.key"

// listenerKey returns the listener's HMAC key, creating 32 random bytes the
// first time. It lives in the secret store (OS keyring or a 0600 file), not
// the database, so a copy or backup of resonanz.db does not carry it.
func (a *App) listenerKey(ctx context.Context) ([]byte, error) {
	a.keyMu.Lock()
	defer a.keyMu.Unlock()
	b, err := a.secrets.Secret(ctx, listenerKeyName)
	if err != nil {
		return nil, err
	}
	if len(b) >= listener.MinSecretLength {
		return b, nil
	}
	b = make([]byte, 32)
	rand.Read(b)
	if err := a.secrets.SetSecret(ctx, listenerKeyName, b); err != nil {
		return nil, err
	}
	return b, nil
}

// unsubscribeWording is stored in the ledger for one-click unsubscribes.
const unsubscribeWording = "Unsubscribed with the link in the mail (List-Unsubscribe / Abmeldelink)."

// listenerDeps adapts the store to what the listener needs.
type listenerDeps struct {
	a *App
}

func (d listenerDeps) Unsubscribe(ctx context.Context, recipientID, mailingID int64, oneClick bool, c resonanz.WebClient) error {
	source := resonanz.SourceUnsubscribeLink
	if oneClick {
		source = resonanz.SourceOneClick
	}
	return d.a.subscriptionSvc.Unsubscribe(ctx, recipientID, mailingID, source, c, unsubscribeWording)
}

func (d listenerDeps) Profile(ctx context.Context, recipientID int64) (listener.ProfileView, error) {
	det, err := d.a.recipientSvc.RecipientDetail(ctx, recipientID)
	if err != nil {
		return listener.ProfileView{}, err
	}
	r := det.Recipient
	v := listener.ProfileView{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Gender: r.Gender, Title: r.Title,
		Language: r.Language, Consents: map[string]bool{}}
	for _, st := range det.Current {
		if st.Purpose != resonanz.PurposeNewsletter {
			v.Consents[st.Purpose] = st.Granted
		}
	}
	lists, err := d.a.listSvc.Lists(ctx)
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
			Subscribed: st == resonanz.StatusConfirmed || st == resonanz.StatusUnconfirmed})
	}
	return v, nil
}

func (d listenerDeps) UpdateProfile(ctx context.Context, recipientID int64, u listener.ProfileUpdate, c resonanz.WebClient) error {
	r, err := d.a.recipientSvc.RecipientByID(ctx, recipientID)
	if err != nil {
		return err
	}
	r.FirstName, r.LastName, r.Gender, r.Title, r.Language = u.FirstName, u.LastName, u.Gender, u.Title, u.Language
	if _, err := d.a.recipientSvc.UpdateRecipient(ctx, r); err != nil {
		return err
	}
	for _, l := range u.Lists {
		if l.Subscribe {
			err = d.a.subscriptionSvc.Subscribe(ctx, recipientID, l.ListID, c, l.Wording)
		} else {
			err = d.a.subscriptionSvc.UnsubscribeListFrom(ctx, recipientID, l.ListID, u.MailingID, c, l.Wording)
		}
		if err != nil {
			return err
		}
	}
	for _, ch := range u.Consents {
		if _, err := d.a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: recipientID, Purpose: ch.Purpose,
			Granted: ch.Granted, At: d.a.db.Now(), Source: resonanz.SourceProfilePage, Wording: ch.Wording, IP: c.IP, UserAgent: c.UserAgent}); err != nil {
			return err
		}
	}
	return nil
}

func (d listenerDeps) Export(ctx context.Context, recipientID int64) (resonanz.PersonalDataExport, error) {
	return d.a.recipientSvc.PersonalData(ctx, recipientID)
}

// FormList returns the list of a signup form.
func (d listenerDeps) FormList(ctx context.Context, listID int64) (listener.ListChoice, error) {
	lists, err := d.a.listSvc.Lists(ctx)
	if err != nil {
		return listener.ListChoice{}, err
	}
	for _, l := range lists {
		if l.ID == listID {
			return listener.ListChoice{ListID: l.ID, Name: l.Name, Description: l.Description}, nil
		}
	}
	return listener.ListChoice{}, resonanz.Errorf(resonanz.ENOTFOUND, "The list does not exist any more.")
}

// Signup creates the recipient (or finds the existing one, whose data it
// leaves alone) and records a pending double opt-in.
func (d listenerDeps) Signup(ctx context.Context, s listener.Signup, c resonanz.WebClient) (listener.SignupResult, error) {
	r, err := d.a.recipientSvc.RecipientByEmail(ctx, s.Email)
	if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
		r, err = d.a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: s.Email, FirstName: s.FirstName, LastName: s.LastName, Language: s.Language})
		if resonanz.ErrorCode(err) == resonanz.ECONFLICT { // created by a parallel request
			r, err = d.a.recipientSvc.RecipientByEmail(ctx, s.Email)
		}
	} else if err == nil {
		det, derr := d.a.recipientSvc.RecipientDetail(ctx, r.ID)
		if derr != nil {
			return listener.SignupResult{}, derr
		}
		if det.Suppressed != "" { // bounced or complained: no mail, same answer
			return listener.SignupResult{}, nil
		}
		// Existing data stays as it is: anybody can type any address and
		// name into the form.
	}
	if err != nil {
		return listener.SignupResult{}, err
	}
	req, err := d.a.optInSvc.RequestOptIn(ctx, r.ID, s.ListID, s.Wording, c, s.Consents...)
	if err != nil {
		return listener.SignupResult{}, err
	}
	return listener.SignupResult{Token: req.Token, Addressee: addressee(r)}, nil
}

func addressee(r resonanz.Recipient) listener.Addressee {
	return listener.Addressee{RecipientID: r.ID, Email: r.Email, Name: strings.TrimSpace(r.FirstName + " " + r.LastName), Language: r.Language}
}

func (d listenerDeps) Confirm(ctx context.Context, token string, c resonanz.WebClient) (resonanz.OptInRequest, error) {
	return d.a.optInSvc.ConfirmOptIn(ctx, token, c)
}

func (d listenerDeps) ProfileRecipient(ctx context.Context, email string) (listener.Addressee, error) {
	r, err := d.a.recipientSvc.RecipientByEmail(ctx, email)
	if err != nil {
		return listener.Addressee{}, err
	}
	return addressee(r), nil
}

// SendNotice mails a confirmation or profile link through the configured
// SMTP server, from the sender identity, with its own Message-ID and
// nothing tracked.
func (d listenerDeps) SendNotice(ctx context.Context, n listener.Notice) error {
	return d.a.sendNotice(ctx, n)
}

func (a *App) sendNotice(ctx context.Context, n listener.Notice) error {
	from, err := a.noticeSender(ctx)
	if err != nil {
		return err
	}
	mailer, err := a.smtpMailer(ctx, a.smtpOverride)
	if err != nil {
		return err
	}
	defer mailer.Close()
	return sendNoticeWith(ctx, mailer, from, n, a.db.Now())
}

// noticeSender is the sender of notices: the sender identity, which must be set.
func (a *App) noticeSender(ctx context.Context) (resonanz.SenderIdentity, error) {
	from, err := a.settingsSvc.Sender(ctx)
	if err == nil && from.FromAddress == "" {
		err = resonanz.FieldError("fromAddress", "error.sender.fromAddress.required", "Set the sender address first (Settings → Sender).")
	}
	return from, err
}

func sendNoticeWith(ctx context.Context, mailer resonanz.Mailer, from resonanz.SenderIdentity, n listener.Notice, now time.Time) error {
	msg := &resonanz.Message{From: from, To: n.To, ToName: n.ToName, Subject: n.Subject, HTML: n.HTML, Text: n.Text,
		MessageID: smtp.NewMessageID(from.FromAddress), Date: now,
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

// deskClient marks double opt-in requests the sender started from the desk
// (the person's own step is the confirmation).
var deskClient = resonanz.WebClient{UserAgent: "Resonanz desk (confirmation mail sent by the sender)"}

// SendConfirmations implements desktop.ConfirmationMailer: a fresh double
// opt-in request and mail per unconfirmed member, over one SMTP connection
// pool, in the person's language (German when unknown).
func (a *App) SendConfirmations(ctx context.Context, listID int64, ids []int64, progress func(resonanz.ConfirmationResult)) (resonanz.ConfirmationResult, error) {
	res := resonanz.ConfirmationResult{Total: len(ids), Errors: []string{}}
	urls, err := a.listenerURLBuilder(ctx)
	if err != nil {
		return res, err
	}
	from, err := a.noticeSender(ctx)
	if err != nil {
		return res, err
	}
	lists, err := a.listSvc.Lists(ctx)
	if err != nil {
		return res, err
	}
	var list resonanz.List
	for _, l := range lists {
		if l.ID == listID {
			list = l
		}
	}
	if list.ID == 0 {
		return res, resonanz.Errorf(resonanz.ENOTFOUND, "The list does not exist any more.")
	}
	if len(ids) == 0 {
		return res, nil
	}
	mailer, err := a.smtpMailer(ctx, a.smtpOverride)
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
		det, err := a.recipientSvc.RecipientDetail(ctx, id)
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
			req, err := a.optInSvc.RequestOptIn(ctx, id, listID, wording, deskClient)
			if err == nil {
				to := addressee(r)
				n := listener.ConfirmationNotice(lang, to.Email, to.Name, list.Name, wording, urls.Confirm(req.Token))
				err = sendNoticeWith(ctx, mailer, from, n, time.Now())
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

func (d listenerDeps) RequestErasure(ctx context.Context, recipientID int64, _ resonanz.WebClient) error {
	return d.a.recipientSvc.EraseRecipient(ctx, recipientID)
}

func (d listenerDeps) SurveyForm(ctx context.Context, surveyID, recipientID int64) (listener.SurveyView, error) {
	sv, err := d.a.surveySvc.Survey(ctx, surveyID)
	if err != nil {
		return listener.SurveyView{}, err
	}
	r, err := d.a.recipientSvc.RecipientByID(ctx, recipientID)
	if err != nil {
		return listener.SurveyView{}, err
	}
	v := listener.SurveyView{Survey: sv, Language: r.Language}
	if prev, err := d.a.surveySvc.SurveyResponse(ctx, surveyID, recipientID); err == nil {
		v.AnsweredAt = prev.SubmittedAt
	} else if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		return v, err
	}
	return v, nil
}

func (d listenerDeps) SubmitSurvey(ctx context.Context, surveyID, recipientID int64, s listener.SurveySubmission, c resonanz.WebClient) error {
	_, err := d.a.surveySvc.SubmitSurvey(ctx, resonanz.SurveyResponse{SurveyID: surveyID, RecipientID: recipientID, Answers: s.Answers,
		UpdateProfile: s.UpdateProfile, ProfileWording: s.Wording, IP: c.IP, UserAgent: c.UserAgent})
	return err
}

// newListener builds the recipient-facing listener over the app's store.
// trackRate limits tracking requests per client IP and second (0: the
// listener's default, negative: off, e.g. for load tests).
func (a *App) newListener(addr, publicURL string, trackRate float64, trusted []string, log *slog.Logger) (*listener.Server, error) {
	secret, err := a.listenerKey(context.Background())
	if err != nil {
		return nil, err
	}
	proxies, err := listener.ParseTrustedProxies(trusted)
	if err != nil {
		return nil, trustedProxiesError(err)
	}
	deps := listenerDeps{a: a}
	cfg := listener.Config{Addr: addr, PublicURL: publicURL, Secret: secret, Log: log, TrackRate: trackRate, TrustedProxies: proxies}
	if err := cfg.Validate(); err != nil {
		return nil, resonanz.Errorf(resonanz.EINVALID, "%v", err)
	}
	return listener.New(cfg, listener.Deps{Hits: a.reactionSvc, Links: a.mailingSvc, Images: a.mailingSvc,
		Subscriptions: deps, Profiles: deps, Surveys: deps, Signups: deps, Mailer: deps}), nil
}

// listenerRun is the one listener the desk owns: started and stopped from
// Settings (or with the app), stopped gracefully on shutdown so that the
// batched hits are written.
type listenerRun struct {
	mu        sync.Mutex
	srv       *listener.Server
	done      chan struct{} // closed when Serve returned
	addr      string
	publicURL string
	started   time.Time
	err       string
	failed    atomic.Value // string: why Serve returned by itself
}

// listenerSettings returns the stored listener settings with defaults.
func (a *App) listenerSettings(ctx context.Context) (resonanz.ListenerSettings, error) {
	var ls resonanz.ListenerSettings
	if _, err := a.settingsSvc.Value(ctx, resonanz.SettingListener, &ls); err != nil {
		return ls, err
	}
	if ls.Addr == "" {
		ls.Addr = resonanz.DefaultListenerAddr
	}
	if ls.TrustedProxies == nil {
		ls.TrustedProxies = []string{}
	}
	return ls, nil
}

// StartListener starts the desk's listener with the stored settings; it
// is a no-op while one runs.
func (a *App) StartListener(ctx context.Context) (resonanz.ListenerStatus, error) {
	lr := &a.listen
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.srv != nil {
		return a.listenerStatusLocked(), nil
	}
	if a.db == nil {
		return a.listenerStatusLocked(), resonanz.Errorf(resonanz.EINVALID, "Restore a backup first: the data file is damaged.")
	}
	ls, err := a.listenerSettings(ctx)
	if err != nil {
		return a.listenerStatusLocked(), err
	}
	public := ls.PublicURL
	if public == "" {
		public = "http://" + ls.Addr
	}
	srv, err := a.newListener(ls.Addr, public, 0, ls.TrustedProxies, a.log)
	if err != nil {
		lr.err = resonanz.ErrorMessage(err)
		return a.listenerStatusLocked(), err
	}
	ln, err := net.Listen("tcp", ls.Addr)
	if err != nil {
		srv.Shutdown(ctx)
		e := resonanz.Errorf(resonanz.ECONFLICT, "Cannot listen on %s: %v. Is another program (or another Resonanz) using the port? Pick another address.", ls.Addr, errors.Unwrap(err))
		lr.err = e.Error()
		return a.listenerStatusLocked(), e
	}
	lr.srv, lr.done, lr.addr, lr.publicURL, lr.started, lr.err = srv, make(chan struct{}), ln.Addr().String(), public, a.db.Now(), ""
	go func(srv *listener.Server, done chan struct{}) {
		// Not under lr.mu: StopListener holds it while waiting for done.
		if err := srv.Serve(context.Background(), ln); err != nil {
			a.log.Error("listener stopped", "err", err)
			lr.failed.Store(err.Error())
		}
		close(done)
	}(srv, lr.done)
	a.log.Info("listener started", "addr", lr.addr, "publicUrl", public)
	return a.listenerStatusLocked(), nil
}

// StopListener stops the desk's listener gracefully: running requests end,
// then every queued hit is written.
func (a *App) StopListener(ctx context.Context) (resonanz.ListenerStatus, error) {
	lr := &a.listen
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.srv == nil {
		return a.listenerStatusLocked(), nil
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := lr.srv.Shutdown(sctx)
	<-lr.done
	st := lr.srv.Stats()
	lr.srv = nil
	if err != nil {
		lr.err = err.Error()
		return a.listenerStatusLocked(), fmt.Errorf("stop listener: %w", err)
	}
	a.log.Info("listener stopped", "hits", st.Recorded, "dropped", st.Dropped)
	return a.listenerStatusLocked(), nil
}

// ListenerStatus reports the desk's listener.
func (a *App) ListenerStatus() resonanz.ListenerStatus {
	a.listen.mu.Lock()
	defer a.listen.mu.Unlock()
	return a.listenerStatusLocked()
}

func (a *App) listenerStatusLocked() resonanz.ListenerStatus {
	lr := &a.listen
	if lr.srv != nil {
		select {
		case <-lr.done: // stopped by itself: write its hits, report why
			lr.srv.Shutdown(context.Background())
			lr.srv = nil
			lr.err, _ = lr.failed.Load().(string)
		default:
		}
	}
	st := resonanz.ListenerStatus{Error: lr.err}
	if lr.srv == nil {
		return st
	}
	s := lr.srv.Stats()
	st.Running, st.Addr, st.PublicURL, st.StartedAt = true, lr.addr, lr.publicURL, lr.started
	st.Hits, st.Queued, st.Dropped, st.Notices, st.NoticeErrors = s.Recorded, s.Queued, s.Dropped+s.Failed, s.NoticesSent, s.NoticeErrors
	return st
}

// autoStartListener starts the listener when the settings say so; a failure
// is logged and shown in Settings, it does not keep the desk from opening.
func (a *App) autoStartListener(ctx context.Context) {
	if a.db == nil { // recovery: nothing to serve from
		return
	}
	ls, err := a.listenerSettings(ctx)
	if err != nil || !ls.AutoStart {
		return
	}
	if _, err := a.StartListener(ctx); err != nil {
		a.log.Warn("listener did not start with the app", "err", err)
	}
}

// listenerURLBuilder returns URLs for the configured public URL; it fails
// when none is set (a signup form or confirmation link needs one).
func (a *App) listenerURLBuilder(ctx context.Context) (listener.URLs, error) {
	ls, err := a.listenerSettings(ctx)
	if err != nil {
		return listener.URLs{}, err
	}
	if ls.PublicURL == "" {
		return listener.URLs{}, resonanz.FieldError("publicUrl", "error.listener.publicUrlMissing",
			"Set the listener's public URL first (Settings → Listener): the links in the mails point there.")
	}
	secret, err := a.listenerKey(ctx)
	if err != nil {
		return listener.URLs{}, err
	}
	signer, err := listener.NewSigner(secret)
	if err != nil {
		return listener.URLs{}, err
	}
	urls, err := listener.NewURLs(ls.PublicURL, signer)
	if err != nil {
		return listener.URLs{}, resonanz.Errorf(resonanz.EINVALID, "%v", err)
	}
	return urls, nil
}

// signupForms returns every list's signup form URL and an embeddable HTML
// snippet (a plain form that posts the address; the listener shows the full
// form with the consent wordings before anything is stored). Without a
// public URL there are none.
func (a *App) signupForms(ctx context.Context) ([]resonanz.SignupForm, error) {
	if ls, err := a.listenerSettings(ctx); err != nil || ls.PublicURL == "" {
		return []resonanz.SignupForm{}, err
	}
	urls, err := a.listenerURLBuilder(ctx)
	if err != nil {
		return nil, err
	}
	lists, err := a.listSvc.Lists(ctx)
	if err != nil {
		return nil, err
	}
	out := []resonanz.SignupForm{}
	for _, l := range lists {
		u := urls.Form(l.ID)
		name := html.EscapeString(l.Name)
		snippet := fmt.Sprintf(`<form action="%s" method="post">
  <label>E-Mail <input type="email" name="email" required></label>
  <button type="submit">Newsletter „%s“ abonnieren</button>
</form>`, html.EscapeString(u), name)
		out = append(out, resonanz.SignupForm{ListID: l.ID, ListName: l.Name, URL: u, Snippet: snippet})
	}
	return out, nil
}
