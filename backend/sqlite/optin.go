package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// OptInService implements resonanz.OptInService.
type OptInService struct {
	db *DB
}

var _ resonanz.OptInService = (*OptInService)(nil)

// NewOptInService returns the double opt-in service over db.
func NewOptInService(db *DB) *OptInService { return &OptInService{db: db} }

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RequestOptIn records a pending subscription and returns the request with
// its link token. Someone already confirmed on the list gets ECONFLICT.
// Tracking consents passed along are kept with the request and enter the
// ledger only when it is confirmed. A membership that was ended stays ended
// until then: a signup in someone else's name changes nothing.
func (s *OptInService) RequestOptIn(ctx context.Context, recipientID, listID int64, wording string, client resonanz.WebClient, consents ...resonanz.PendingConsent) (resonanz.OptInRequest, error) {
	req, err := newOptInRequest(recipientID, listID, wording, client, consents)
	if err != nil {
		return req, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return req, fmt.Errorf("request opt-in: %w", err)
	}
	defer tx.Rollback()
	if req, err = requestOptIn(ctx, tx, req, s.db.Now()); err != nil {
		return req, err
	}
	return req, tx.Commit()
}

// newOptInRequest checks the wordings of a request for an opt-in.
func newOptInRequest(recipientID, listID int64, wording string, client resonanz.WebClient, consents []resonanz.PendingConsent) (resonanz.OptInRequest, error) {
	req := resonanz.OptInRequest{RecipientID: recipientID, ListID: listID, Wording: strings.TrimSpace(wording),
		RequestedIP: client.IP, RequestedUA: client.UserAgent}
	if req.Wording == "" {
		return req, resonanz.FieldError("wording", "error.consent.wording.required", "A consent needs the exact wording the person agreed to.")
	}
	seen := map[string]bool{}
	for _, c := range consents {
		rec := resonanz.ConsentRecord{RecipientID: recipientID, Purpose: c.Purpose, Granted: true, Source: resonanz.SourceDoubleOptIn, Wording: c.Wording}
		if c.Purpose == resonanz.PurposeNewsletter || seen[c.Purpose] {
			return req, resonanz.FieldError("purpose", "error.consent.purpose.invalid", "Unknown consent purpose "+c.Purpose+".")
		}
		if err := rec.Validate(); err != nil {
			return req, err
		}
		seen[c.Purpose] = true
		req.Consents = append(req.Consents, c)
	}
	return req, nil
}

// requestOptIn stores a checked request inside tx, at now, with a fresh
// token.
func requestOptIn(ctx context.Context, tx *sql.Tx, req resonanz.OptInRequest, now time.Time) (resonanz.OptInRequest, error) {
	recipientID, listID := req.RecipientID, req.ListID
	client := resonanz.WebClient{IP: req.RequestedIP, UserAgent: req.RequestedUA}
	if err := checkConsentRefs(ctx, tx, resonanz.ConsentRecord{RecipientID: recipientID, ListID: listID}); err != nil {
		return req, err
	}
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM membership WHERE list_id = ? AND recipient_id = ?`, listID, recipientID).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return req, fmt.Errorf("request opt-in: %w", err)
	}
	if status == resonanz.StatusConfirmed {
		return req, &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.optin.alreadyConfirmed", Message: "This address is already subscribed to the list."}
	}
	req.RequestedAt, req.ExpiresAt = fromMillis(millis(now)), fromMillis(millis(now.Add(resonanz.OptInTTL)))
	if req.Token == "" { // a relay's signup brings the token it mailed
		b := make([]byte, 32)
		rand.Read(b)
		req.Token = base64.RawURLEncoding.EncodeToString(b)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO opt_in (token_hash, recipient_id, list_id, wording, requested_at, requested_ip, requested_ua, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		hashToken(req.Token), recipientID, listID, req.Wording, millis(req.RequestedAt), client.IP, client.UserAgent, millis(req.ExpiresAt))
	if err != nil {
		return req, fmt.Errorf("request opt-in: %w", err)
	}
	req.ID, _ = res.LastInsertId()
	for _, c := range req.Consents {
		if _, err := tx.ExecContext(ctx, `INSERT INTO opt_in_consent (opt_in_id, purpose, wording) VALUES (?, ?, ?)`,
			req.ID, c.Purpose, c.Wording); err != nil {
			return req, fmt.Errorf("request opt-in: consent: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'unconfirmed', ?)
		ON CONFLICT (list_id, recipient_id) DO NOTHING`,
		listID, recipientID, millis(now)); err != nil {
		return req, fmt.Errorf("request opt-in: membership: %w", err)
	}
	return req, nil
}

// ConfirmOptIn confirms the request behind token: the membership becomes
// confirmed and the ledger gets a newsletter grant with both steps as
// evidence. Confirming twice is harmless and returns the first confirmation.
func (s *OptInService) ConfirmOptIn(ctx context.Context, token string, client resonanz.WebClient) (resonanz.OptInRequest, error) {
	var req resonanz.OptInRequest
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return req, fmt.Errorf("confirm opt-in: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(s.db.Now())); err != nil || done {
		return req, err
	}
	var requested, expires int64
	var confirmed sql.NullInt64
	err = tx.QueryRowContext(ctx, `
		SELECT o.id, o.recipient_id, o.list_id, l.name, o.wording, o.requested_at, o.requested_ip, o.requested_ua, o.expires_at,
			o.confirmed_at, o.confirmed_ip, o.confirmed_ua
		FROM opt_in o JOIN list l ON l.id = o.list_id WHERE o.token_hash = ?`, hashToken(token)).Scan(
		&req.ID, &req.RecipientID, &req.ListID, &req.ListName, &req.Wording, &requested, &req.RequestedIP, &req.RequestedUA, &expires,
		&confirmed, &req.ConfirmedIP, &req.ConfirmedUA)
	if errors.Is(err, sql.ErrNoRows) {
		return req, &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.optin.unknown", Message: "This confirmation link is not valid."}
	} else if err != nil {
		return req, fmt.Errorf("confirm opt-in: %w", err)
	}
	req.RequestedAt, req.ExpiresAt = fromMillis(requested), fromMillis(expires)
	if confirmed.Valid {
		req.ConfirmedAt = fromMillis(confirmed.Int64)
		return req, nil
	}
	now := resonanz.EventTime(ctx, s.db.Now())
	if now.After(req.ExpiresAt) {
		return req, &resonanz.Error{Code: resonanz.EFORBIDDEN, Key: "error.optin.expired", Message: "This confirmation link has expired; please subscribe again."}
	}
	req.ConfirmedAt, req.ConfirmedIP, req.ConfirmedUA = fromMillis(millis(now)), client.IP, client.UserAgent
	if _, err := tx.ExecContext(ctx, `UPDATE opt_in SET confirmed_at = ?, confirmed_ip = ?, confirmed_ua = ? WHERE id = ?`,
		millis(now), client.IP, client.UserAgent, req.ID); err != nil {
		return req, fmt.Errorf("confirm opt-in: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'confirmed', ?)
		ON CONFLICT (list_id, recipient_id) DO UPDATE SET status = 'confirmed', updated_at = excluded.updated_at`,
		req.ListID, req.RecipientID, millis(now)); err != nil {
		return req, fmt.Errorf("confirm opt-in: membership: %w", err)
	}
	evidence := resonanz.T("ledger.evidence.doubleOptIn", "Double opt-in: requested {requestedAt} from {requestedIp}, confirmed {confirmedAt} from {confirmedIp}",
		"requestedAt", req.RequestedAt.Format("2006-01-02 15:04:05 UTC"), "requestedIp", orUnknown(req.RequestedIP),
		"confirmedAt", req.ConfirmedAt.Format("2006-01-02 15:04:05 UTC"), "confirmedIp", orUnknown(client.IP))
	c := resonanz.ConsentRecord{RecipientID: req.RecipientID, Purpose: resonanz.PurposeNewsletter, ListID: req.ListID, Granted: true,
		At: req.ConfirmedAt, Source: resonanz.SourceDoubleOptIn, Wording: req.Wording, IP: client.IP, UserAgent: client.UserAgent}
	c.SetTexts(resonanz.Text{}, evidence)
	if _, err := insertConsent(ctx, tx, c, 0); err != nil {
		return req, err
	}
	if req.Consents, err = pendingConsents(ctx, tx, req.ID); err != nil {
		return req, err
	}
	// Each tracking consent ticked on the form becomes its own grant, with
	// its own wording, only now that the address is confirmed.
	for _, pc := range req.Consents {
		c := resonanz.ConsentRecord{RecipientID: req.RecipientID, Purpose: pc.Purpose, Granted: true, At: req.ConfirmedAt,
			Source: resonanz.SourceDoubleOptIn, Wording: pc.Wording, IP: client.IP, UserAgent: client.UserAgent}
		c.SetTexts(resonanz.Text{}, evidence)
		if _, err := insertConsent(ctx, tx, c, 0); err != nil {
			return req, err
		}
	}
	if err := appendAudit(ctx, tx, millis(now), "recipient", "optin.confirm", "", "{}"); err != nil {
		return req, err
	}
	return req, tx.Commit()
}

func pendingConsents(ctx context.Context, q querier, optInID int64) ([]resonanz.PendingConsent, error) {
	rows, err := q.QueryContext(ctx, `SELECT purpose, wording FROM opt_in_consent WHERE opt_in_id = ? ORDER BY purpose`, optInID)
	if err != nil {
		return nil, fmt.Errorf("read opt-in consents: %w", err)
	}
	defer rows.Close()
	out := []resonanz.PendingConsent{} // a list, never null, for the frontend
	for rows.Next() {
		var c resonanz.PendingConsent
		if err := rows.Scan(&c.Purpose, &c.Wording); err != nil {
			return nil, fmt.Errorf("read opt-in consents: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OptIns returns a person's double opt-in requests, newest first, with the
// consents ticked along.
func (s *OptInService) OptIns(ctx context.Context, recipientID int64) ([]resonanz.OptInRequest, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read opt-ins: %w", err)
	}
	defer tx.Rollback()
	return optIns(ctx, tx, recipientID)
}

func optIns(ctx context.Context, q querier, recipientID int64) ([]resonanz.OptInRequest, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT o.id, o.recipient_id, o.list_id, l.name, o.wording, o.requested_at, o.requested_ip, o.requested_ua, o.expires_at,
			o.confirmed_at, o.confirmed_ip, o.confirmed_ua
		FROM opt_in o JOIN list l ON l.id = o.list_id WHERE o.recipient_id = ? ORDER BY o.requested_at DESC, o.id DESC`, recipientID)
	if err != nil {
		return nil, fmt.Errorf("read opt-ins: %w", err)
	}
	out := []resonanz.OptInRequest{}
	for rows.Next() {
		var req resonanz.OptInRequest
		var requested, expires int64
		var confirmed sql.NullInt64
		if err := rows.Scan(&req.ID, &req.RecipientID, &req.ListID, &req.ListName, &req.Wording, &requested, &req.RequestedIP, &req.RequestedUA,
			&expires, &confirmed, &req.ConfirmedIP, &req.ConfirmedUA); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read opt-ins: %w", err)
		}
		req.RequestedAt, req.ExpiresAt = fromMillis(requested), fromMillis(expires)
		if confirmed.Valid {
			req.ConfirmedAt = fromMillis(confirmed.Int64)
		}
		out = append(out, req)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read opt-ins: %w", err)
	}
	for i := range out {
		if out[i].Consents, err = pendingConsents(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// orUnknown is an IP address for the evidence, "–" when it is not known
// (a confirmation requested from the desk).
func orUnknown(ip string) string {
	if ip == "" {
		return "–"
	}
	return ip
}

// PendingOptIns returns the unconfirmed, unexpired requests with the hash
// of their token (a relay accepts their confirmation links).
func (s *OptInService) PendingOptIns(ctx context.Context) ([]resonanz.PendingOptIn, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT o.token_hash, l.name, o.expires_at FROM opt_in o JOIN list l ON l.id = o.list_id
		WHERE o.confirmed_at IS NULL AND o.expires_at > ?`, millis(s.db.Now()))
	if err != nil {
		return nil, fmt.Errorf("pending opt-ins: %w", err)
	}
	defer rows.Close()
	out := []resonanz.PendingOptIn{}
	for rows.Next() {
		var p resonanz.PendingOptIn
		var exp int64
		if err := rows.Scan(&p.TokenHash, &p.ListName, &exp); err != nil {
			return nil, err
		}
		p.ExpiresAt = fromMillis(exp)
		out = append(out, p)
	}
	return out, rows.Err()
}
