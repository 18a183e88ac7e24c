package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// ConsentService implements resonanz.ConsentService over the append-only
// consent table.
type ConsentService struct {
	db *DB
}

var _ resonanz.ConsentService = (*ConsentService)(nil)

// NewConsentService returns the consent ledger over db.
func NewConsentService(db *DB) *ConsentService { return &ConsentService{db: db} }

// AppendConsent validates and appends a record; At defaults to now. Manual
// records are also written to the audit log.
func (s *ConsentService) AppendConsent(ctx context.Context, c resonanz.ConsentRecord) (resonanz.ConsentRecord, error) {
	c.Wording, c.Evidence = strings.TrimSpace(c.Wording), strings.TrimSpace(c.Evidence)
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.At.IsZero() {
		c.At = s.db.Now()
	}
	c.At = fromMillis(millis(c.At))
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("append consent: %w", err)
	}
	defer tx.Rollback()
	if err := checkConsentRefs(ctx, tx, c); err != nil {
		return c, err
	}
	if c.ID, err = insertConsent(ctx, tx, c, 0); err != nil {
		return c, err
	}
	if c.Source == resonanz.SourceManual {
		detail := fmt.Sprintf(`{"purpose":%q,"listId":%d,"granted":%t}`, c.Purpose, c.ListID, c.Granted)
		if err := appendAudit(ctx, tx, millis(s.db.Now()), "desk", "consent.manual", fmt.Sprint(c.RecipientID), detail); err != nil {
			return c, err
		}
	}
	return c, tx.Commit()
}

func checkConsentRefs(ctx context.Context, tx *sql.Tx, c resonanz.ConsentRecord) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recipient WHERE id = ?`, c.RecipientID).Scan(&n); err != nil {
		return fmt.Errorf("append consent: %w", err)
	} else if n == 0 {
		return errRecipientNotFound()
	}
	if c.ListID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM list WHERE id = ?`, c.ListID).Scan(&n); err != nil {
			return fmt.Errorf("append consent: %w", err)
		} else if n == 0 {
			return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.list.notFound", Message: "This list does not exist (any more)."}
		}
	}
	return nil
}

func insertConsent(ctx context.Context, tx *sql.Tx, c resonanz.ConsentRecord, importID int64) (int64, error) {
	var imp any
	if importID != 0 {
		imp = importID
	}
	params := "{}"
	if len(c.TextParams) > 0 {
		b, err := json.Marshal(c.TextParams)
		if err != nil {
			return 0, fmt.Errorf("append consent: %w", err)
		}
		params = string(b)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash, ip, user_agent, evidence, import_id,
		                     wording_key, evidence_key, text_params)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.RecipientID, c.Purpose, c.ListID, c.Granted, millis(c.At), c.Source, c.Wording, resonanz.WordingHash(c.Wording),
		c.IP, c.UserAgent, c.Evidence, imp, c.WordingKey, c.EvidenceKey, params)
	if err != nil {
		return 0, fmt.Errorf("append consent: %w", err)
	}
	return res.LastInsertId()
}

// ConsentHistory returns every record of a recipient, oldest first.
func (s *ConsentService) ConsentHistory(ctx context.Context, recipientID int64) ([]resonanz.ConsentRecord, error) {
	return consentHistory(ctx, s.db.db, recipientID)
}

// querier is what *sql.DB and *sql.Tx have in common for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func consentHistory(ctx context.Context, q querier, recipientID int64) ([]resonanz.ConsentRecord, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT c.id, c.recipient_id, c.purpose, c.list_id, COALESCE(l.name, ''), c.granted, c.at, c.source,
		       c.wording, c.wording_hash, c.ip, c.user_agent, c.evidence, c.wording_key, c.evidence_key, c.text_params
		FROM consent c LEFT JOIN list l ON l.id = c.list_id
		WHERE c.recipient_id = ? ORDER BY c.at, c.id`, recipientID)
	if err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	defer rows.Close()
	out := []resonanz.ConsentRecord{}
	for rows.Next() {
		var c resonanz.ConsentRecord
		var at int64
		var params string
		if err := rows.Scan(&c.ID, &c.RecipientID, &c.Purpose, &c.ListID, &c.ListName, &c.Granted, &at, &c.Source,
			&c.Wording, &c.WordingHash, &c.IP, &c.UserAgent, &c.Evidence, &c.WordingKey, &c.EvidenceKey, &params); err != nil {
			return nil, fmt.Errorf("consent history: %w", err)
		}
		if params != "{}" && params != "" {
			if err := json.Unmarshal([]byte(params), &c.TextParams); err != nil {
				return nil, fmt.Errorf("consent history: text params of record %d: %w", c.ID, err)
			}
		}
		c.At = fromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ConsentAt derives the state of each purpose the recipient ever had a record
// for, as of time t: the newest record at or before t wins.
func (s *ConsentService) ConsentAt(ctx context.Context, recipientID int64, t time.Time) ([]resonanz.ConsentState, error) {
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT c.purpose, c.list_id, COALESCE(l.name, ''), c.granted, c.at, c.id
		FROM consent c LEFT JOIN list l ON l.id = c.list_id
		WHERE c.recipient_id = ? AND c.at <= ?
		  AND c.id = (SELECT c2.id FROM consent c2
		              WHERE c2.recipient_id = c.recipient_id AND c2.purpose = c.purpose AND c2.list_id = c.list_id AND c2.at <= ?
		              ORDER BY c2.at DESC, c2.id DESC LIMIT 1)
		ORDER BY c.purpose, c.list_id`, recipientID, millis(t), millis(t))
	if err != nil {
		return nil, fmt.Errorf("consent state: %w", err)
	}
	defer rows.Close()
	out := []resonanz.ConsentState{}
	for rows.Next() {
		var st resonanz.ConsentState
		var at int64
		if err := rows.Scan(&st.Purpose, &st.ListID, &st.ListName, &st.Granted, &at, &st.RecordID); err != nil {
			return nil, fmt.Errorf("consent state: %w", err)
		}
		st.Since = fromMillis(at)
		out = append(out, st)
	}
	return out, rows.Err()
}

// newestConsentGrants is the store's one form of "the newest consent
// record wins" (resonanz.CurrentConsent in Go): it selects the recipient_id
// of everyone whose newest consent record among those matching where (an
// SQL condition over table consent: purpose, list, ...) grants it. SQLite
// takes the bare column granted from the row holding MAX(at).
func newestConsentGrants(where string) string {
	return `SELECT recipient_id FROM (SELECT recipient_id, granted, MAX(at) FROM consent
		WHERE ` + where + ` GROUP BY recipient_id) WHERE granted = 1`
}

// trackingTimelines loads the tracking consent records of the recipients.
func trackingTimelines(ctx context.Context, q querier, ids []any) (map[int64]resonanz.ConsentTimeline, error) {
	return consentTimelines(ctx, q, purposesTracking, ids)
}

// Purpose filters of consentTimelines (fixed SQL, never built from input).
const (
	purposesTracking  = `purpose IN ('tracking:opens', 'tracking:clicks')`
	purposesProfiling = `purpose = 'profiling'`
)

// consentTimelines loads the ledger records of the recipients for the
// purposes filter, oldest first per person.
func consentTimelines(ctx context.Context, q querier, purposes string, ids []any) (map[int64]resonanz.ConsentTimeline, error) {
	out := map[int64]resonanz.ConsentTimeline{}
	err := queryIn(ctx, q, `SELECT recipient_id, purpose, granted, at FROM consent
		WHERE `+purposes+` AND recipient_id IN `, ids, func(rows *sql.Rows) error {
		var id, at int64
		var e resonanz.ConsentEvent
		if err := rows.Scan(&id, &e.Purpose, &e.Granted, &at); err != nil {
			return err
		}
		e.At = fromMillis(at)
		out[id] = append(out[id], e)
		return nil
	}, ` ORDER BY recipient_id, at, id`)
	return out, err
}
