package relay

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// The relay's implementations of the listener's interfaces: every change
// becomes a sealed event (and, where the relay's own pages show it, a
// change of the relay's state) in one transaction, committed before the
// page answers.

type secretKey struct{}

// WithPersonSecret returns ctx carrying the person secret of the request
// (the ?k= of a profile or survey link).
func WithPersonSecret(ctx context.Context, secret []byte) context.Context {
	return context.WithValue(ctx, secretKey{}, secret)
}

func personSecret(ctx context.Context) []byte {
	b, _ := ctx.Value(secretKey{}).([]byte)
	return b
}

// Payload is the sealed content of an event.
type Payload struct {
	At          time.Time                  `json:"at"`
	Hits        []resonanz.Hit             `json:"hits,omitempty"`
	RecipientID int64                      `json:"recipientId,omitempty"`
	MailingID   int64                      `json:"mailingId,omitempty"`
	OneClick    bool                       `json:"oneClick,omitempty"`
	Client      resonanz.WebClient         `json:"client"`
	Profile     *resonanz.ProfileUpdate    `json:"profile,omitempty"`
	SurveyID    int64                      `json:"surveyId,omitempty"`
	Survey      *listener.SurveySubmission `json:"survey,omitempty"`
	Signup      *resonanz.Signup           `json:"signup,omitempty"`
	Token       string                     `json:"token,omitempty"` // a double opt-in confirmation
}

var notFound = resonanz.E(resonanz.ENOTFOUND, "error.relay.notFound", "not found")

func (s *Store) event(ctx context.Context, kind string, p Payload, then func(tx *sql.Tx, seq int64) error) error {
	if p.At.IsZero() {
		p.At = s.Now().UTC()
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	seq, err := s.appendEvent(ctx, tx, kind, p.At, body)
	if err != nil {
		return err
	}
	if then != nil {
		if err := then(tx, seq); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RecordHits appends the hits as one event (resonanz.HitRecorder): the
// desk applies the consent gate at each hit's time.
func (s *Store) RecordHits(ctx context.Context, hits []resonanz.Hit) error {
	if len(hits) == 0 {
		return nil
	}
	err := s.event(ctx, EventHits, Payload{Hits: hits}, nil)
	s.signalCommit()
	return err
}

// LinkTarget resolves a published link (listener.Links).
func (s *Store) LinkTarget(ctx context.Context, mailingID, linkID int64) (string, string, error) {
	var u, kind string
	err := queryOne(ctx, s.db, `SELECT url, kind FROM link WHERE mailing_id = ? AND link_id = ?`, []any{mailingID, linkID}, &u, &kind)
	return u, kind, err
}

// ImageURL resolves a published image (listener.Images).
func (s *Store) ImageURL(ctx context.Context, mailingID, imageID int64) (string, error) {
	var u string
	err := queryOne(ctx, s.db, `SELECT url FROM link WHERE mailing_id = ? AND link_id = ? AND kind = ?`, []any{mailingID, imageID, resonanz.LinkImage}, &u)
	return u, err
}

// Unsubscribe records the unsubscribe and shows it on the relay's profile
// page at once (listener.Subscriptions).
func (s *Store) Unsubscribe(ctx context.Context, recipientID, mailingID int64, oneClick bool, c resonanz.WebClient) error {
	return s.event(ctx, EventUnsubscribe, Payload{RecipientID: recipientID, MailingID: mailingID, OneClick: oneClick, Client: c},
		func(tx *sql.Tx, seq int64) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO unsubscribed (recipient_id, mailing_id, seq) VALUES (?, ?, ?)
				ON CONFLICT DO UPDATE SET seq = excluded.seq`, recipientID, mailingID, seq)
			return err
		})
}

func (s *Store) erased(ctx context.Context, recipientID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM erased WHERE recipient_id = ?`, recipientID).Scan(&n)
	return n > 0, err
}

// profile opens the person's profile with the secret of the request and
// lays the relay's own unsubscribes over it.
func (s *Store) profile(ctx context.Context, recipientID int64) (listener.ProfileView, []byte, error) {
	secret := personSecret(ctx)
	if secret == nil {
		return listener.ProfileView{}, nil, notFound
	}
	if gone, err := s.erased(ctx, recipientID); err != nil || gone {
		return listener.ProfileView{}, nil, errors.Join(err, notFound)
	}
	var rid int64
	var sealed []byte
	if err := queryOne(ctx, s.db, `SELECT recipient_id, sealed FROM profile WHERE lookup = ?`, []any{Lookup(secret)}, &rid, &sealed); err != nil {
		return listener.ProfileView{}, nil, err
	}
	if rid != recipientID {
		return listener.ProfileView{}, nil, notFound
	}
	plain, err := OpenProfile(secret, recipientID, sealed)
	if err != nil {
		return listener.ProfileView{}, nil, notFound
	}
	var v listener.ProfileView
	if err := json.Unmarshal(plain, &v); err != nil {
		return v, nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT u.mailing_id, ml.list_id FROM unsubscribed u
		LEFT JOIN mailing_list ml ON ml.mailing_id = u.mailing_id WHERE u.recipient_id = ?`, recipientID)
	if err != nil {
		return v, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m int64
		var l sql.NullInt64
		if err := rows.Scan(&m, &l); err != nil {
			return v, nil, err
		}
		for i := range v.Lists {
			if m == 0 || l.Valid && l.Int64 == v.Lists[i].ListID {
				v.Lists[i].Subscribed = false
			}
		}
	}
	return v, secret, rows.Err()
}

// Profile returns the profile sealed for the link's person (listener.Profiles).
func (s *Store) Profile(ctx context.Context, recipientID int64) (listener.ProfileView, error) {
	v, _, err := s.profile(ctx, recipientID)
	return v, err
}

// UpdateProfile records the change for the desk and reseals the profile
// with it, so that the next visit shows it.
func (s *Store) UpdateProfile(ctx context.Context, recipientID int64, u listener.ProfileUpdate, c resonanz.WebClient) error {
	v, secret, err := s.profile(ctx, recipientID)
	if err != nil {
		return err
	}
	v.FirstName, v.LastName, v.Title, v.Language, v.Gender = u.FirstName, u.LastName, u.Title, u.Language, u.Gender
	for _, ch := range u.Lists {
		for i := range v.Lists {
			if v.Lists[i].ListID == ch.ListID {
				v.Lists[i].Subscribed = ch.Subscribe
			}
		}
	}
	if v.Consents == nil {
		v.Consents = map[string]bool{}
	}
	for _, ch := range u.Consents {
		v.Consents[ch.Purpose] = ch.Granted
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := SealProfile(secret, recipientID, plain)
	if err != nil {
		return err
	}
	return s.event(ctx, EventProfile, Payload{RecipientID: recipientID, MailingID: u.MailingID, Profile: &u, Client: c},
		func(tx *sql.Tx, seq int64) error {
			if _, err := tx.ExecContext(ctx, `UPDATE profile SET sealed = ?, changed_seq = ? WHERE lookup = ?`, sealed, seq, Lookup(secret)); err != nil {
				return err
			}
			// The unsubscribes are in the resealed profile now.
			_, err := tx.ExecContext(ctx, `DELETE FROM unsubscribed WHERE recipient_id = ?`, recipientID)
			return err
		})
}

// Export returns what the relay can show of the person: the published
// profile (the desk holds the full record and the ledger).
func (s *Store) Export(ctx context.Context, recipientID int64) (resonanz.PersonalDataExport, error) {
	v, _, err := s.profile(ctx, recipientID)
	if err != nil {
		return resonanz.PersonalDataExport{}, err
	}
	out := resonanz.PersonalDataExport{Format: resonanz.PersonalDataFormat, ExportedAt: s.Now().UTC()}
	out.Recipient = resonanz.Recipient{ID: recipientID, Email: v.Email, FirstName: v.FirstName, LastName: v.LastName,
		Gender: v.Gender, Title: v.Title, Language: v.Language}
	out.Source = "relay"
	return out, nil
}

// RequestErasure records the request for the desk and removes the person's
// profile from the relay at once.
func (s *Store) RequestErasure(ctx context.Context, recipientID int64, c resonanz.WebClient) error {
	return s.event(ctx, EventErasure, Payload{RecipientID: recipientID, Client: c}, func(tx *sql.Tx, seq int64) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO erased (recipient_id, seq) VALUES (?, ?) ON CONFLICT DO UPDATE SET seq = excluded.seq`,
			recipientID, seq); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM profile WHERE recipient_id = ?`, recipientID)
		return err
	})
}

func (s *Store) survey(ctx context.Context, id int64) (resonanz.Survey, error) {
	var body []byte
	var sv resonanz.Survey
	if err := queryOne(ctx, s.db, `SELECT body FROM survey WHERE id = ?`, []any{id}, &body); err != nil {
		return sv, err
	}
	return sv, json.Unmarshal(body, &sv)
}

// SurveyForm returns a published survey (listener.Surveys); the person's
// language only when the link carries the person secret.
func (s *Store) SurveyForm(ctx context.Context, surveyID, recipientID int64) (listener.SurveyView, error) {
	if gone, err := s.erased(ctx, recipientID); err != nil || gone {
		return listener.SurveyView{}, errors.Join(err, notFound)
	}
	sv, err := s.survey(ctx, surveyID)
	if err != nil {
		return listener.SurveyView{}, err
	}
	v := listener.SurveyView{Survey: sv}
	if p, _, err := s.profile(ctx, recipientID); err == nil {
		v.Language = p.Language
	}
	var at int64
	if err := s.db.QueryRowContext(ctx, `SELECT at FROM answered WHERE survey_id = ? AND recipient_id = ?`, surveyID, recipientID).Scan(&at); err == nil {
		v.AnsweredAt = time.UnixMilli(at).UTC()
	}
	return v, nil
}

// SubmitSurvey checks the answers against the published survey and records
// them sealed for the desk.
func (s *Store) SubmitSurvey(ctx context.Context, surveyID, recipientID int64, sub listener.SurveySubmission, c resonanz.WebClient) error {
	sv, err := s.survey(ctx, surveyID)
	if err != nil {
		return err
	}
	if sv.Status != resonanz.SurveyOpen {
		return resonanz.E(resonanz.EFORBIDDEN, "error.survey.closed", "The survey is closed.")
	}
	if _, err := sv.CheckAnswers(sub.Answers); err != nil {
		return err
	}
	now := s.Now().UTC()
	return s.event(ctx, EventSurvey, Payload{At: now, RecipientID: recipientID, SurveyID: surveyID, Survey: &sub, Client: c},
		func(tx *sql.Tx, seq int64) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO answered (survey_id, recipient_id, at, seq) VALUES (?, ?, ?, ?)
				ON CONFLICT DO UPDATE SET at = excluded.at, seq = excluded.seq`, surveyID, recipientID, now.UnixMilli(), seq)
			return err
		})
}

// FormList returns a published list (listener.Signups).
func (s *Store) FormList(ctx context.Context, listID int64) (listener.ListChoice, error) {
	l := listener.ListChoice{ListID: listID}
	err := queryOne(ctx, s.db, `SELECT name, description FROM list WHERE id = ?`, []any{listID}, &l.Name, &l.Description)
	return l, err
}

// Confirm accepts the confirmation link of a pending double opt-in the
// desk published (by the token's hash), records it sealed for the desk,
// which confirms at the event's time, and answers with the list's name.
func (s *Store) Confirm(ctx context.Context, token string, c resonanz.WebClient) (resonanz.OptInRequest, error) {
	sum := sha256.Sum256([]byte(token))
	h := hex.EncodeToString(sum[:])
	var req resonanz.OptInRequest
	var exp, used int64
	if err := queryOne(ctx, s.db, `SELECT list_name, expires_at, used_seq FROM optin WHERE token_hash = ?`, []any{h}, &req.ListName, &exp, &used); err != nil {
		return req, err
	}
	req.ExpiresAt = time.UnixMilli(exp).UTC()
	now := s.Now().UTC()
	if used != 0 {
		req.ConfirmedAt = now
		return req, nil
	}
	if now.After(req.ExpiresAt) {
		return req, &resonanz.Error{Code: resonanz.EFORBIDDEN, Key: "error.optin.expired", Message: "This confirmation link has expired; please subscribe again."}
	}
	req.ConfirmedAt, req.ConfirmedIP, req.ConfirmedUA = now, c.IP, c.UserAgent
	return req, s.event(ctx, EventConfirm, Payload{At: now, Token: token, Client: c}, func(tx *sql.Tx, seq int64) error {
		_, err := tx.ExecContext(ctx, `UPDATE optin SET used_seq = ? WHERE token_hash = ?`, seq, h)
		return err
	})
}

// RecordHitEvents appends one hits event per batch, all in one transaction
// (bulk loads: benchmarks and tests).
func (s *Store) RecordHitEvents(ctx context.Context, batches [][]resonanz.Hit) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, hits := range batches {
		body, err := json.Marshal(Payload{At: s.Now().UTC(), Hits: hits})
		if err != nil {
			return err
		}
		if _, err := s.appendEvent(ctx, tx, EventHits, s.Now().UTC(), body); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// UnsubscribeView names the lists a mailing's unsubscribe link ends
// (listener.UnsubscribeViews). The relay does not know the address: the
// profile is sealed, and the unsubscribe link carries no person secret.
func (s *Store) UnsubscribeView(ctx context.Context, recipientID, mailingID int64) (listener.UnsubscribeView, error) {
	v := listener.UnsubscribeView{}
	rows, err := s.db.QueryContext(ctx, `SELECT l.name FROM mailing_list m JOIN list l ON l.id = m.list_id
		WHERE m.mailing_id = ? ORDER BY l.name`, mailingID)
	if err != nil {
		return v, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return v, err
		}
		v.Lists = append(v.Lists, n)
	}
	return v, rows.Err()
}
