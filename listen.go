package main

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
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

func (d listenerDeps) Unsubscribe(ctx context.Context, recipientID, mailingID int64, c resonanz.WebClient) error {
	return d.a.subscriptionSvc.Unsubscribe(ctx, recipientID, mailingID, c, unsubscribeWording)
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
			err = d.a.subscriptionSvc.UnsubscribeList(ctx, recipientID, l.ListID, c, l.Wording)
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
func (a *App) newListener(addr, publicURL string, trackRate float64, log *slog.Logger) (*listener.Server, error) {
	secret, err := a.listenerKey(context.Background())
	if err != nil {
		return nil, err
	}
	deps := listenerDeps{a: a}
	cfg := listener.Config{Addr: addr, PublicURL: publicURL, Secret: secret, Log: log, TrackRate: trackRate}
	if err := cfg.Validate(); err != nil {
		return nil, resonanz.Errorf(resonanz.EINVALID, "%v", err)
	}
	return listener.New(cfg, listener.Deps{Hits: a.reactionSvc, Links: a.mailingSvc, Images: a.mailingSvc,
		Subscriptions: deps, Profiles: deps, Surveys: deps}), nil
}
