package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// SendStore keeps the send ledger (table delivery): who a mailing is queued
// for, sent to, failed or skipped. It implements send.Store.
type SendStore struct {
	db       *DB
	mailings *MailingService
	// HalfLife is used when a target group's rule asks for interests.
	HalfLife time.Duration
}

// NewSendStore returns the send ledger over db.
func NewSendStore(db *DB) *SendStore {
	return &SendStore{db: db, mailings: NewMailingService(db), HalfLife: resonanz.DefaultInterestHalfLife}
}

// eligibleSQL selects the confirmed members of list ?1 with a newsletter
// consent for it granted now and no suppression.
var eligibleSQL = `
	SELECT m.recipient_id FROM membership m
	WHERE m.list_id = ?1 AND m.status = 'confirmed'
	  AND m.recipient_id IN (` + newestConsentGrants(`purpose = 'newsletter' AND list_id = ?1`) + `)
	  AND m.recipient_id NOT IN (SELECT recipient_id FROM suppression)`

// audienceSQL is the one definition of a mailing's audience: the
// recipients r eligible on the mailing's list (eligibleSQL: confirmed, with
// a newsletter consent, not suppressed) within the target group (0: the
// whole list). It returns a condition over r in which ?1 stands for the
// list, the list, and the group's arguments, which plain ? placeholders
// after the caller's numbered ones take up. Sending (Prepare), the counts
// (Audience) and the exports (AudiencePage) all ask it.
func (s *SendStore) audienceSQL(ctx context.Context, q querier, mailingID, groupID int64) (cond string, list int64, args []any, err error) {
	if list, err = s.listOf(ctx, q, mailingID); err != nil {
		return "", 0, nil, err
	}
	rule, args, err := s.audienceRule(ctx, q, groupID)
	if err != nil {
		return "", 0, nil, err
	}
	return `r.id IN (` + eligibleSQL + `) AND (` + rule + `)`, list, args, nil
}

// AudiencePage returns up to limit people of the mailing's audience (see
// audienceSQL) after recipient id after, in id order: the exports page
// through it.
func (s *SendStore) AudiencePage(ctx context.Context, mailingID, groupID, after int64, limit int) ([]resonanz.Recipient, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	defer tx.Rollback()
	cond, list, ruleArgs, err := s.audienceSQL(ctx, tx, mailingID, groupID)
	if err != nil {
		return nil, err
	}
	// ?2 and ?3 come before the condition, whose plain ? number on from 4.
	args := append([]any{list, after, limit}, ruleArgs...)
	rows, err := tx.QueryContext(ctx, `SELECT `+recipientColumns+` FROM recipient r
		WHERE r.id > ?2 AND `+cond+` ORDER BY r.id LIMIT ?3`, args...)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	defer rows.Close()
	out := []resonanz.Recipient{}
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return nil, fmt.Errorf("audience: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	return out, nil
}

// audienceRule compiles the target group (0: none) into an expression
// over recipient r, with its arguments.
func (s *SendStore) audienceRule(ctx context.Context, q querier, groupID int64) (string, []any, error) {
	if groupID == 0 {
		return "1", nil, nil
	}
	c := &ruleCompiler{ctx: ctx, q: q, now: s.db.Now(), halfLife: s.HalfLife, visiting: map[int64]bool{}}
	expr, err := c.compile(resonanz.Condition{Kind: resonanz.CondTargetGroup, TargetGroupID: groupID}, 0)
	return expr, c.args, err
}

func (s *SendStore) listOf(ctx context.Context, q querier, mailingID int64) (int64, error) {
	var list int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(list_id, 0) FROM mailing WHERE id = ?`, mailingID).Scan(&list)
	if err == sql.ErrNoRows {
		return 0, errMailingNotFound()
	} else if err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	if list == 0 {
		return 0, resonanz.FieldError("listId", "error.mailing.list.required", "Choose the list this mailing goes to.")
	}
	return list, nil
}

// Audience counts who the mailing would go to.
func (s *SendStore) Audience(ctx context.Context, mailingID, groupID int64) (resonanz.Audience, error) {
	var a resonanz.Audience
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return a, fmt.Errorf("audience: %w", err)
	}
	defer tx.Rollback()
	list, err := s.listOf(ctx, tx, mailingID)
	if err != nil {
		return a, err
	}
	rule, ruleArgs, err := s.audienceRule(ctx, tx, groupID)
	if err != nil {
		return a, err
	}
	cond, _, condArgs, err := s.audienceSQL(ctx, tx, mailingID, groupID)
	if err != nil {
		return a, err
	}
	// ?1 is the list; the plain ? placeholders of the member rule and then
	// of the audience condition number on from 2.
	args := append(append([]any{list}, ruleArgs...), condArgs...)
	q := `
		WITH members AS (SELECT r.id FROM recipient r JOIN membership m ON m.recipient_id = r.id AND m.list_id = ?1 AND m.status = 'confirmed'
		                 WHERE ` + rule + `)
		SELECT (SELECT COUNT(*) FROM members),
		       (SELECT COUNT(*) FROM members WHERE id IN (SELECT r.id FROM recipient r WHERE ` + cond + `)),
		       (SELECT COUNT(*) FROM members WHERE id IN (SELECT recipient_id FROM suppression))`
	var suppressed int
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&a.Members, &a.Eligible, &suppressed); err != nil {
		return a, fmt.Errorf("audience: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery WHERE mailing_id = ?`, mailingID).Scan(&a.AlreadySent); err != nil {
		return a, fmt.Errorf("audience: %w", err)
	}
	a.Suppressed = suppressed
	a.WithoutConsent = a.Members - a.Eligible - suppressed
	if a.WithoutConsent < 0 {
		a.WithoutConsent = 0
	}
	return a, nil
}

// Prepare queues the mailing for everyone eligible now (in the target
// group, when given) who is not in its ledger yet, each with a fresh
// Message-ID, and marks the mailing as sending. It returns how many it
// queued.
func (s *SendStore) Prepare(ctx context.Context, mailingID, groupID int64, domain string) (int, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("prepare send: %w", err)
	}
	defer tx.Rollback()
	cond, list, ruleArgs, err := s.audienceSQL(ctx, tx, mailingID, groupID)
	if err != nil {
		return 0, err
	}
	now := millis(s.db.Now())
	args := append([]any{list, mailingID, now, "@" + domain}, ruleArgs...)
	res, err := tx.ExecContext(ctx, `
		INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at)
		SELECT ?2, r.id, lower(hex(randomblob(16))) || ?4, 'queued', ?3 FROM recipient r
		WHERE `+cond+`
		ORDER BY r.id
		ON CONFLICT (mailing_id, recipient_id) DO NOTHING`, args...)
	if err != nil {
		return 0, fmt.Errorf("prepare send: %w", err)
	}
	n, _ := res.RowsAffected()
	// The custom layout as it is now goes out with the mailing (kept from the
	// first run when members who joined later get it too).
	if _, err := tx.ExecContext(ctx, `UPDATE mailing SET status = 'sending', updated_at = ?,
		sent_layout = COALESCE(sent_layout, (SELECT html FROM layout WHERE layout.id = mailing.layout_id)) WHERE id = ?`, now, mailingID); err != nil {
		return 0, fmt.Errorf("prepare send: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"queued": n, "targetGroup": groupID})
	if err := appendAudit(ctx, tx, now, "desk", "mailing.send", fmt.Sprint(mailingID), string(detail)); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// Next returns queued people after recipient id after, with their tracking
// consent now and whether they are still subscribed and not suppressed.
func (s *SendStore) Next(ctx context.Context, mailingID, after int64, n int) ([]resonanz.SendPending, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	defer tx.Rollback()
	list, err := s.listOf(ctx, tx, mailingID)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT `+recipientColumns+`, d.message_id,
		       EXISTS (SELECT 1 FROM membership m WHERE m.list_id = ? AND m.recipient_id = r.id AND m.status = 'confirmed')
		       AND NOT EXISTS (SELECT 1 FROM suppression x WHERE x.recipient_id = r.id)
		FROM delivery d JOIN recipient r ON r.id = d.recipient_id
		WHERE d.mailing_id = ? AND d.status = 'queued' AND d.recipient_id > ?
		ORDER BY d.recipient_id LIMIT ?`, list, mailingID, after, n)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	var out []resonanz.SendPending
	var ids []any
	for rows.Next() {
		var p resonanz.SendPending
		var err error
		p.Recipient, err = scanRecipient(rows, &p.MessageID, &p.Eligible)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("send: %w", err)
		}
		out = append(out, p)
		ids = append(ids, p.Recipient.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	timelines, err := trackingTimelines(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	now := s.db.Now()
	for i := range out {
		tl := timelines[out[i].Recipient.ID]
		out[i].TrackOpens = tl.Granted(resonanz.PurposeTrackingOpens, 0, now)
		out[i].TrackClicks = tl.Granted(resonanz.PurposeTrackingClicks, 0, now)
	}
	return out, nil
}

// MarkInFlight marks queued rows as handed to the mail server (error
// resonanz.DeliveryInFlight) in one transaction, before the runner sends
// them: Record replaces the mark with the outcome. A mark that outlives its
// run tells that the process died while the message was in flight.
func (s *SendStore) MarkInFlight(ctx context.Context, mailingID int64, recipientIDs []int64) error {
	if len(recipientIDs) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark in flight: %w", err)
	}
	defer tx.Rollback()
	ids := make([]any, len(recipientIDs))
	for i, id := range recipientIDs {
		ids[i] = id
	}
	if err := execIn(ctx, tx, `UPDATE delivery SET error = ? WHERE mailing_id = ? AND status = 'queued' AND recipient_id IN `, ids,
		resonanz.DeliveryInFlight, mailingID); err != nil {
		return fmt.Errorf("mark in flight: %w", err)
	}
	return tx.Commit()
}

// Record stores outcomes in one transaction; a row with an empty status
// stays queued (its error is kept for the report). Outcomes that agree in
// status, error and time (the runner's group commits of acceptances) are
// written by one statement per chunk of people instead of one per person.
func (s *SendStore) Record(ctx context.Context, mailingID int64, outcomes []resonanz.SendOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record send: %w", err)
	}
	defer tx.Rollback()
	const update = `UPDATE delivery SET status = COALESCE(NULLIF(?, ''), status), error = ?, at = ? WHERE mailing_id = ? AND recipient_id `
	first := outcomes[0]
	if uniform(outcomes) {
		ids := make([]any, len(outcomes))
		for i, o := range outcomes {
			ids[i] = o.RecipientID
		}
		if err := execIn(ctx, tx, update+`IN `, ids, first.Status, outcomeError(first), millis(first.At), mailingID); err != nil {
			return fmt.Errorf("record send: %w", err)
		}
	} else {
		stmt, err := tx.PrepareContext(ctx, update+`= ?`)
		if err != nil {
			return fmt.Errorf("record send: %w", err)
		}
		defer stmt.Close()
		for _, o := range outcomes {
			if _, err := stmt.ExecContext(ctx, o.Status, outcomeError(o), millis(o.At), mailingID, o.RecipientID); err != nil {
				return fmt.Errorf("record send: %w", err)
			}
		}
	}
	if err := finishIfDone(ctx, tx, mailingID, millis(s.db.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// uniform reports whether the outcomes agree in everything but the person.
func uniform(outcomes []resonanz.SendOutcome) bool {
	for _, o := range outcomes[1:] {
		if o.Status != outcomes[0].Status || o.Error != outcomes[0].Error || !o.At.Equal(outcomes[0].At) {
			return false
		}
	}
	return true
}

// outcomeError is the error text stored for an outcome, at most 500 bytes.
func outcomeError(o resonanz.SendOutcome) string {
	if len(o.Error) > 500 {
		return o.Error[:500]
	}
	return o.Error
}

// finishIfDone marks the mailing sent once nothing is queued.
func finishIfDone(ctx context.Context, tx *sql.Tx, mailingID, now int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE mailing SET status = 'sent', sent_at = COALESCE(sent_at, ?), updated_at = ?
		WHERE id = ? AND status = 'sending' AND NOT EXISTS (SELECT 1 FROM delivery WHERE mailing_id = ? AND status = 'queued')`,
		now, now, mailingID, mailingID)
	if err != nil {
		return fmt.Errorf("record send: %w", err)
	}
	return nil
}

// SetPaused marks a sending mailing paused (or sending again).
func (s *SendStore) SetPaused(ctx context.Context, mailingID int64, paused bool) error {
	from, to := "sending", "paused"
	if !paused {
		from, to = "paused", "sending"
	}
	_, err := s.db.db.ExecContext(ctx, `UPDATE mailing SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, millis(s.db.Now()), mailingID, from)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// Progress counts the ledger of a mailing: one pass over its entries in
// the (mailing_id, status) index, which holds all it needs (one statement,
// so no transaction that would wait for the send's group commits).
func (s *SendStore) Progress(ctx context.Context, mailingID int64) (resonanz.SendRun, error) {
	run := resonanz.SendRun{MailingID: mailingID}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT m.status, d.status, COUNT(d.recipient_id)
		FROM mailing m LEFT JOIN delivery d ON d.mailing_id = m.id WHERE m.id = ? GROUP BY d.status`, mailingID)
	if err != nil {
		return run, fmt.Errorf("send progress: %w", err)
	}
	defer rows.Close()
	status := ""
	for rows.Next() {
		var st sql.NullString
		var n int
		if err := rows.Scan(&status, &st, &n); err != nil {
			return run, fmt.Errorf("send progress: %w", err)
		}
		run.Total += n
		switch st.String {
		case "queued":
			run.Queued = n
		case resonanz.DeliverySent:
			run.Sent = n
		case resonanz.DeliveryFailed:
			run.Failed = n
		case resonanz.DeliverySkipped:
			run.Skipped = n
		}
	}
	if err := rows.Err(); err != nil {
		return run, fmt.Errorf("send progress: %w", err)
	}
	if status == "" {
		return run, errMailingNotFound()
	}
	switch status {
	case resonanz.MailingSending:
		run.Status = resonanz.RunSending
	case resonanz.MailingPaused:
		run.Status = resonanz.RunPaused
	case resonanz.MailingSent:
		run.Status = resonanz.RunDone
	default:
		run.Status = resonanz.RunIdle
	}
	return run, nil
}

// EnsureAsset registers an image of the mailing (see MailingService).
func (s *SendStore) EnsureAsset(ctx context.Context, mailingID int64, url string) (int64, error) {
	return s.mailings.EnsureAsset(ctx, mailingID, url)
}
