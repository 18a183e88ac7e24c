package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// SubscriptionService changes list memberships on the recipient's own
// request (unsubscribe link, profile page) and keeps the ledger in step.
type SubscriptionService struct {
	db *DB
}

// NewSubscriptionService returns the subscription service over db.
func NewSubscriptionService(db *DB) *SubscriptionService { return &SubscriptionService{db: db} }

// Unsubscribe ends the recipient's membership on the mailing's list (every
// list when mailingID is 0 or the mailing has no list) and appends a
// newsletter withdrawal per list that changed, with source naming the
// channel (resonanz.SourceUnsubscribeLink, SourceOneClick,
// SourceMailUnsubscribe). When something changed and the mailing exists, the
// unsubscribe is counted for the mailing's report. Repeating it changes
// nothing.
func (s *SubscriptionService) Unsubscribe(ctx context.Context, recipientID, mailingID int64, source string, client resonanz.WebClient, wording resonanz.Text) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(s.db.Now())); err != nil || done {
		return err
	}
	if err := recipientExists(ctx, tx, recipientID); err != nil {
		return err
	}
	var listID int64
	mailingExists := false
	if mailingID != 0 {
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(list_id, 0) FROM mailing WHERE id = ?`, mailingID).Scan(&listID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		mailingExists = err == nil
	}
	now := resonanz.EventTime(ctx, s.db.Now())
	c := resonanz.ConsentRecord{RecipientID: recipientID, Purpose: resonanz.PurposeNewsletter, Granted: false, At: now,
		Source: source, IP: client.IP, UserAgent: client.UserAgent}
	c.SetTexts(wording, resonanz.Text{})
	if !resonanz.ValidSource(source) {
		return fmt.Errorf("unsubscribe: unknown source %q", source)
	}
	changed, err := unsubscribe(ctx, tx, c, listID, 0)
	if err != nil {
		return err
	}
	if changed > 0 && mailingExists {
		if err := countUnsubscribe(ctx, tx, mailingID, recipientID, now, source); err != nil {
			return err
		}
	}
	if err := appendAudit(ctx, tx, millis(now), "recipient", "membership.unsubscribe", "", "{}"); err != nil {
		return err
	}
	return tx.Commit()
}

// countUnsubscribe stores an unsubscribe for the mailing's report (an
// unsubscribed reaction of the person, with its channel). Unsubscribes are
// not tracking: they are stored per person without a tracking consent.
func countUnsubscribe(ctx context.Context, tx *sql.Tx, mailingID, recipientID int64, at time.Time, source string) error {
	row := reactionRow{mailing: mailingID, recipient: recipientID, code: codeUnsub, at: millis(at), flags: channelFlags(source)}
	return insertReactions(ctx, tx, []reactionRow{row}, 0)
}

// UnsubscribeList ends the membership on one list (profile page).
func (s *SubscriptionService) UnsubscribeList(ctx context.Context, recipientID, listID int64, client resonanz.WebClient, wording string) error {
	return s.UnsubscribeListFrom(ctx, recipientID, listID, 0, client, wording)
}

// UnsubscribeListFrom ends the membership on one list on the profile page
// reached from the mail of mailingID (0: none); the unsubscribe counts for
// that mailing's report when the mailing went to this list (or to no list).
func (s *SubscriptionService) UnsubscribeListFrom(ctx context.Context, recipientID, listID, mailingID int64, client resonanz.WebClient, wording string) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	defer tx.Rollback()
	if err := unsubscribeListFrom(ctx, tx, recipientID, listID, mailingID, client, wording, resonanz.EventTime(ctx, s.db.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// unsubscribeListFrom is UnsubscribeListFrom inside tx, at now.
func unsubscribeListFrom(ctx context.Context, tx *sql.Tx, recipientID, listID, mailingID int64, client resonanz.WebClient, wording string, now time.Time) error {
	if listID == 0 {
		return resonanz.E(resonanz.EINVALID, "error.listener.chooseListUnsubscribe", "Choose the list to unsubscribe from.")
	}
	if err := recipientExists(ctx, tx, recipientID); err != nil {
		return err
	}
	c := resonanz.ConsentRecord{RecipientID: recipientID, Purpose: resonanz.PurposeNewsletter, Granted: false, At: now,
		Source: resonanz.SourceProfilePage, Wording: wording, IP: client.IP, UserAgent: client.UserAgent}
	changed, err := unsubscribe(ctx, tx, c, listID, 0)
	if err != nil {
		return err
	}
	if changed > 0 && mailingID != 0 {
		var mailingList int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(list_id, 0) FROM mailing WHERE id = ?`, mailingID).Scan(&mailingList)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		if err == nil && (mailingList == 0 || mailingList == listID) {
			if err := countUnsubscribe(ctx, tx, mailingID, recipientID, now, resonanz.SourceProfilePage); err != nil {
				return err
			}
		}
	}
	return nil
}

// Subscribe puts the recipient on a list as confirmed and appends the
// newsletter grant with the wording shown. The person reached the page
// through a signed link sent to their address, which confirms it.
func (s *SubscriptionService) Subscribe(ctx context.Context, recipientID, listID int64, client resonanz.WebClient, wording string) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer tx.Rollback()
	changed, err := subscribe(ctx, tx, recipientID, listID, client, wording, s.db.Now())
	if err != nil || !changed {
		return err // confirmed already: nothing to commit
	}
	return tx.Commit()
}

// subscribe is Subscribe inside tx, at now; changed is false when the
// person was confirmed on the list already.
func subscribe(ctx context.Context, tx *sql.Tx, recipientID, listID int64, client resonanz.WebClient, wording string, now time.Time) (changed bool, err error) {
	if err := recipientExists(ctx, tx, recipientID); err != nil {
		return false, err
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'confirmed', ?)
		ON CONFLICT (list_id, recipient_id) DO UPDATE SET status = 'confirmed', updated_at = excluded.updated_at WHERE status <> 'confirmed'`,
		listID, recipientID, millis(now))
	if err != nil {
		return false, fmt.Errorf("subscribe: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return false, nil // confirmed already
	}
	c := resonanz.ConsentRecord{RecipientID: recipientID, Purpose: resonanz.PurposeNewsletter, ListID: listID, Granted: true, At: now,
		Source: resonanz.SourceProfilePage, Wording: wording, IP: client.IP, UserAgent: client.UserAgent}
	if err := c.Validate(); err != nil {
		return false, err
	}
	if _, err := insertConsent(ctx, tx, c, 0); err != nil {
		return false, err
	}
	if err := appendAudit(ctx, tx, millis(now), "recipient", "membership.subscribe", "", "{}"); err != nil {
		return false, err
	}
	return true, nil
}

func recipientExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var ok bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM recipient WHERE id = ?)`, id).Scan(&ok); err != nil {
		return fmt.Errorf("read recipient: %w", err)
	}
	if !ok {
		return errRecipientNotFound()
	}
	return nil
}

// LinkTarget returns the URL and kind of a link of a mailing; a link of
// another mailing is not found (no redirect to arbitrary destinations).
func (s *MailingService) LinkTarget(ctx context.Context, mailingID, linkID int64) (string, string, error) {
	var url, kind string
	err := s.db.db.QueryRowContext(ctx, `SELECT url, kind FROM link WHERE id = ? AND mailing_id = ?`, linkID, mailingID).Scan(&url, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", resonanz.E(resonanz.ENOTFOUND, "error.link.notFound", "No such link.")
	} else if err != nil {
		return "", "", fmt.Errorf("read link: %w", err)
	}
	return url, kind, nil
}

// EnsureAsset registers an image of a mailing (kind asset, outside the
// template's link positions) and returns its id; the same URL keeps its id.
func (s *MailingService) EnsureAsset(ctx context.Context, mailingID int64, url string) (int64, error) {
	var id int64
	err := s.db.db.QueryRowContext(ctx, `SELECT id FROM link WHERE mailing_id = ? AND url_key = ? AND kind = 'asset'`, mailingID, url).Scan(&id)
	if err == nil {
		return id, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("register image: %w", err)
	}
	// idx = -rowid keeps assets out of the template's positions (0..n).
	err = s.db.db.QueryRowContext(ctx, `INSERT INTO link (mailing_id, idx, url, url_key, kind)
		VALUES (?, -(SELECT COALESCE(MAX(id), 0) + 1 FROM link), ?, ?, 'asset') RETURNING id`, mailingID, url, url).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("register image: %w", err)
	}
	return id, nil
}

// ImageURL returns the URL of an image of the mailing.
func (s *MailingService) ImageURL(ctx context.Context, mailingID, imageID int64) (string, error) {
	var url string
	err := s.db.db.QueryRowContext(ctx, `SELECT url FROM link WHERE id = ? AND mailing_id = ? AND kind = 'asset'`, imageID, mailingID).Scan(&url)
	if errors.Is(err, sql.ErrNoRows) {
		return "", resonanz.E(resonanz.ENOTFOUND, "error.image.notFound", "No such image.")
	} else if err != nil {
		return "", fmt.Errorf("read image: %w", err)
	}
	return url, nil
}
