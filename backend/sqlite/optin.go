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
func (s *OptInService) RequestOptIn(ctx context.Context, recipientID, listID int64, wording string, client resonanz.WebClient) (resonanz.OptInRequest, error) {
	req := resonanz.OptInRequest{RecipientID: recipientID, ListID: listID, Wording: strings.TrimSpace(wording), RequestedIP: client.IP}
	if req.Wording == "" {
		return req, resonanz.FieldError("wording", "error.consent.wording.required", "A consent needs the exact wording the person agreed to.")
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return req, fmt.Errorf("request opt-in: %w", err)
	}
	defer tx.Rollback()
	if err := checkConsentRefs(ctx, tx, resonanz.ConsentRecord{RecipientID: recipientID, ListID: listID}); err != nil {
		return req, err
	}
	var status string
	err = tx.QueryRowContext(ctx, `SELECT status FROM membership WHERE list_id = ? AND recipient_id = ?`, listID, recipientID).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return req, fmt.Errorf("request opt-in: %w", err)
	}
	if status == resonanz.StatusConfirmed {
		return req, &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.optin.alreadyConfirmed", Message: "This address is already subscribed to the list."}
	}
	now := s.db.Now()
	req.RequestedAt, req.ExpiresAt = fromMillis(millis(now)), fromMillis(millis(now.Add(resonanz.OptInTTL)))
	b := make([]byte, 32)
	rand.Read(b)
	req.Token = base64.RawURLEncoding.EncodeToString(b)
	res, err := tx.ExecContext(ctx, `
		INSERT INTO opt_in (token_hash, recipient_id, list_id, wording, requested_at, requested_ip, requested_ua, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		hashToken(req.Token), recipientID, listID, req.Wording, millis(req.RequestedAt), client.IP, client.UserAgent, millis(req.ExpiresAt))
	if err != nil {
		return req, fmt.Errorf("request opt-in: %w", err)
	}
	req.ID, _ = res.LastInsertId()
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'unconfirmed', ?)
		ON CONFLICT (list_id, recipient_id) DO UPDATE SET status = 'unconfirmed', updated_at = excluded.updated_at`,
		listID, recipientID, millis(now)); err != nil {
		return req, fmt.Errorf("request opt-in: membership: %w", err)
	}
	return req, tx.Commit()
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
	var requested, expires int64
	var confirmed sql.NullInt64
	err = tx.QueryRowContext(ctx, `
		SELECT id, recipient_id, list_id, wording, requested_at, requested_ip, expires_at, confirmed_at, confirmed_ip
		FROM opt_in WHERE token_hash = ?`, hashToken(token)).Scan(
		&req.ID, &req.RecipientID, &req.ListID, &req.Wording, &requested, &req.RequestedIP, &expires, &confirmed, &req.ConfirmedIP)
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
	now := s.db.Now()
	if now.After(req.ExpiresAt) {
		return req, &resonanz.Error{Code: resonanz.EFORBIDDEN, Key: "error.optin.expired", Message: "This confirmation link has expired; please subscribe again."}
	}
	req.ConfirmedAt, req.ConfirmedIP = fromMillis(millis(now)), client.IP
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
	evidence := fmt.Sprintf("Double opt-in: requested %s from %s, confirmed %s from %s",
		req.RequestedAt.Format("2006-01-02 15:04:05 UTC"), orUnknown(req.RequestedIP), req.ConfirmedAt.Format("2006-01-02 15:04:05 UTC"), orUnknown(client.IP))
	c := resonanz.ConsentRecord{RecipientID: req.RecipientID, Purpose: resonanz.PurposeNewsletter, ListID: req.ListID, Granted: true,
		At: req.ConfirmedAt, Source: resonanz.SourceDoubleOptIn, Wording: req.Wording, IP: client.IP, UserAgent: client.UserAgent, Evidence: evidence}
	if _, err := insertConsent(ctx, tx, c, 0); err != nil {
		return req, err
	}
	return req, tx.Commit()
}

func orUnknown(ip string) string {
	if ip == "" {
		return "an unknown address"
	}
	return ip
}
