package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// PortalService keeps what recipients change on their own pages (profile
// page, signup form): each method is one transaction, composed of the
// private helpers the desk's services use, with one clock reading for all
// the rows it writes. A failure part-way leaves nothing applied.
type PortalService struct {
	db *DB
}

// NewPortalService returns the portal's store over db.
func NewPortalService(db *DB) *PortalService { return &PortalService{db: db} }

// PurgeExpiredSignups deletes the recipients that only the public signup
// form created and that never confirmed, once every confirmation link of
// theirs has expired: the row was made together with its first opt-in
// request, was never edited or imported over, and has no consent record,
// no confirmed or unsubscribed membership and no delivery. The audit log
// records the number, no personal data. It returns how many went.
func (s *PortalService) PurgeExpiredSignups(ctx context.Context) (int, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("purge signups: %w", err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	res, err := tx.ExecContext(ctx, `
		DELETE FROM recipient WHERE id IN (
			SELECT r.id FROM recipient r
			WHERE r.id IN (SELECT recipient_id FROM opt_in WHERE confirmed_at IS NULL AND expires_at < ?1)
			  AND r.import_id IS NULL AND r.updated_at = r.created_at
			  AND EXISTS (SELECT 1 FROM opt_in o WHERE o.recipient_id = r.id AND o.requested_at = r.created_at)
			  AND NOT EXISTS (SELECT 1 FROM opt_in o WHERE o.recipient_id = r.id AND (o.confirmed_at IS NOT NULL OR o.expires_at >= ?1))
			  AND NOT EXISTS (SELECT 1 FROM consent c WHERE c.recipient_id = r.id)
			  AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.recipient_id = r.id AND m.status <> 'unconfirmed')
			  AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.recipient_id = r.id)
			  AND NOT EXISTS (SELECT 1 FROM import_change ic WHERE ic.recipient_id = r.id)
			  AND NOT EXISTS (SELECT 1 FROM survey_response sr WHERE sr.recipient_id = r.id))`, now)
	if err != nil {
		return 0, fmt.Errorf("purge signups: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, nil
	}
	if err := appendAudit(ctx, tx, now, "system", "recipient.purge_unconfirmed", "", fmt.Sprintf(`{"erased":%d}`, n)); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// EraseOwnData erases the person at their own request from the profile
// page (GDPR Art. 17), like RecipientService.EraseRecipient, but audited
// with the recipient as the actor. The client is not stored: the audit
// row keeps no personal data. An erased person is ENOTFOUND.
func (s *PortalService) EraseOwnData(ctx context.Context, recipientID int64, _ resonanz.WebClient) error {
	return eraseRecipient(ctx, s.db, recipientID, "recipient", `{"erased":1,"via":"profile_page"}`)
}

// UpdateProfile stores the person's own data, the list subscriptions and
// the consents they changed (each with the wording shown; source
// profile_page and the client's IP and user agent) in one transaction.
// An erased person is ENOTFOUND; invalid data is EINVALID and nothing is
// stored.
func (s *PortalService) UpdateProfile(ctx context.Context, recipientID int64, u resonanz.ProfileUpdate, client resonanz.WebClient) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(s.db.Now())); err != nil || done {
		return err
	}
	now := resonanz.EventTime(ctx, s.db.Now())
	before, err := scanRecipient(tx.QueryRowContext(ctx, `SELECT `+recipientColumns+` FROM recipient r WHERE r.id = ?`, recipientID))
	if errors.Is(err, sql.ErrNoRows) {
		return errRecipientNotFound()
	} else if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	in := before
	in.FirstName, in.LastName, in.Gender, in.Title, in.Language = u.FirstName, u.LastName, u.Gender, u.Title, u.Language
	defs, err := customAttributes(ctx, tx)
	if err != nil {
		return err
	}
	r, key, err := prepareRecipient(in, defs)
	if err != nil {
		return err
	}
	if err := updateRecipient(ctx, tx, recipientID, r, key, millis(now)); err != nil {
		return err
	}
	if err := appendAudit(ctx, tx, millis(now), "desk", "recipient.update", fmt.Sprint(recipientID), changedFields(before, r)); err != nil {
		return err
	}
	for _, l := range u.Lists {
		if l.Subscribe {
			_, err = subscribe(ctx, tx, recipientID, l.ListID, client, l.Wording, now)
		} else {
			err = unsubscribeListFrom(ctx, tx, recipientID, l.ListID, u.MailingID, client, l.Wording, now)
		}
		if err != nil {
			return err
		}
	}
	for _, ch := range u.Consents {
		c := resonanz.ConsentRecord{RecipientID: recipientID, Purpose: ch.Purpose, Granted: ch.Granted, At: fromMillis(millis(now)),
			Source: resonanz.SourceProfilePage, Wording: strings.TrimSpace(ch.Wording), IP: client.IP, UserAgent: client.UserAgent}
		if err := c.Validate(); err != nil {
			return err
		}
		if err := checkConsentRefs(ctx, tx, c); err != nil {
			return err
		}
		if _, err := insertConsent(ctx, tx, c, 0); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return nil
}

// Signup finds the person by address or creates them (an existing
// person's data stays as it is: anybody can type any address and name
// into the form) and records a pending double opt-in, in one transaction.
// A suppressed person (bounced, complained) gets no request: the zero
// OptInRequest and no error, so the answer to the form is the same.
func (s *PortalService) Signup(ctx context.Context, in resonanz.Signup, client resonanz.WebClient) (resonanz.Recipient, resonanz.OptInRequest, error) {
	req, err := newOptInRequest(0, in.ListID, in.Wording, client, in.Consents)
	if err != nil {
		return resonanz.Recipient{}, req, err
	}
	req.Token = in.Token
	r, req, err := s.signup(ctx, in, req)
	if resonanz.ErrorCode(err) == resonanz.ECONFLICT && r.ID == 0 {
		// Created by a parallel request between our read and our insert.
		r, req, err = s.signup(ctx, in, req)
	}
	return r, req, err
}

func (s *PortalService) signup(ctx context.Context, in resonanz.Signup, req resonanz.OptInRequest) (resonanz.Recipient, resonanz.OptInRequest, error) {
	_, key, err := resonanz.NormalizeEmail(in.Email)
	if err != nil {
		return resonanz.Recipient{}, req, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return resonanz.Recipient{}, req, fmt.Errorf("signup: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(s.db.Now())); err != nil || done {
		return resonanz.Recipient{}, resonanz.OptInRequest{}, err
	}
	now := resonanz.EventTime(ctx, s.db.Now())
	r, err := scanRecipient(tx.QueryRowContext(ctx, `SELECT `+recipientColumns+` FROM recipient r WHERE r.email_key = ?`, key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		defs, err := customAttributes(ctx, tx)
		if err != nil {
			return resonanz.Recipient{}, req, err
		}
		nr, nkey, err := prepareRecipient(resonanz.Recipient{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Language: in.Language}, defs)
		if err != nil {
			return resonanz.Recipient{}, req, err
		}
		id, err := insertRecipient(ctx, tx, nr, nkey, millis(now))
		if err != nil {
			return resonanz.Recipient{}, req, err
		}
		if err := appendAudit(ctx, tx, millis(now), "desk", "recipient.create", fmt.Sprint(id), "{}"); err != nil {
			return resonanz.Recipient{}, req, err
		}
		if r, err = scanRecipient(tx.QueryRowContext(ctx, `SELECT `+recipientColumns+` FROM recipient r WHERE r.id = ?`, id)); err != nil {
			return resonanz.Recipient{}, req, fmt.Errorf("signup: %w", err)
		}
	case err != nil:
		return resonanz.Recipient{}, req, fmt.Errorf("signup: %w", err)
	default:
		var suppressed bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM suppression WHERE recipient_id = ?)`, r.ID).Scan(&suppressed); err != nil {
			return r, req, fmt.Errorf("signup: %w", err)
		}
		if suppressed { // bounced or complained: no mail, same answer
			return r, resonanz.OptInRequest{}, nil
		}
	}
	req.RecipientID = r.ID
	if req, err = requestOptIn(ctx, tx, req, now); err != nil {
		return r, req, err
	}
	if err := tx.Commit(); err != nil {
		return r, req, fmt.Errorf("signup: %w", err)
	}
	return r, req, nil
}
