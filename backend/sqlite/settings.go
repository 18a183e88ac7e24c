package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// SettingsService implements resonanz.SettingsService.
type SettingsService struct {
	db *DB
}

var _ resonanz.SettingsService = (*SettingsService)(nil)

// NewSettingsService returns the settings service over db.
func NewSettingsService(db *DB) *SettingsService { return &SettingsService{db: db} }

// Setting names of the sender identity.
const (
	settingFromName    = "sender.from_name"
	settingFromAddress = "sender.from_address"
	settingReplyTo     = "sender.reply_to"
)

// Sender returns the stored sender identity; fields never saved are empty.
func (s *SettingsService) Sender(ctx context.Context) (resonanz.SenderIdentity, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return resonanz.SenderIdentity{}, fmt.Errorf("read sender: %w", err)
	}
	defer tx.Rollback()
	return readSender(ctx, tx)
}

// SetSender validates, normalizes and stores the sender identity, recording the
// change in the audit log, and returns what was stored.
func (s *SettingsService) SetSender(ctx context.Context, in resonanz.SenderIdentity) (resonanz.SenderIdentity, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return resonanz.SenderIdentity{}, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return resonanz.SenderIdentity{}, fmt.Errorf("save sender: %w", err)
	}
	defer tx.Rollback()

	before, err := readSender(ctx, tx)
	if err != nil {
		return resonanz.SenderIdentity{}, err
	}
	if before == in {
		return in, nil
	}
	now := millis(s.db.Now())
	for name, value := range map[string]string{
		settingFromName: in.FromName, settingFromAddress: in.FromAddress, settingReplyTo: in.ReplyTo,
	} {
		if err := putSetting(ctx, tx, name, value, now); err != nil {
			return resonanz.SenderIdentity{}, fmt.Errorf("save sender: %w", err)
		}
	}
	detail, _ := json.Marshal(map[string]resonanz.SenderIdentity{"before": before, "after": in})
	if err := appendAudit(ctx, tx, now, "desk", "settings.sender.update", "sender", string(detail)); err != nil {
		return resonanz.SenderIdentity{}, err
	}
	if err := tx.Commit(); err != nil {
		return resonanz.SenderIdentity{}, fmt.Errorf("save sender: commit: %w", err)
	}
	return in, nil
}

func readSender(ctx context.Context, tx *sql.Tx) (resonanz.SenderIdentity, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, value FROM setting WHERE name IN (?, ?, ?)`,
		settingFromName, settingFromAddress, settingReplyTo)
	if err != nil {
		return resonanz.SenderIdentity{}, fmt.Errorf("read sender: %w", err)
	}
	defer rows.Close()
	var out resonanz.SenderIdentity
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return resonanz.SenderIdentity{}, fmt.Errorf("read sender: %w", err)
		}
		switch name {
		case settingFromName:
			out.FromName = value
		case settingFromAddress:
			out.FromAddress = value
		case settingReplyTo:
			out.ReplyTo = value
		}
	}
	if err := rows.Err(); err != nil {
		return resonanz.SenderIdentity{}, fmt.Errorf("read sender: %w", err)
	}
	return out, nil
}

func putSetting(ctx context.Context, tx *sql.Tx, name, value string, now int64) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO setting (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, now)
	return err
}

// Value reads the named setting, stored as JSON, into v; ok is false when it
// was never saved.
func (s *SettingsService) Value(ctx context.Context, name string, v any) (bool, error) {
	var raw string
	err := s.db.db.QueryRowContext(ctx, `SELECT value FROM setting WHERE name = ?`, name).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read setting %s: %w", name, err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("read setting %s: %w", name, err)
	}
	return true, nil
}

// SetValue stores v as JSON under name and records the change (name only)
// in the audit log.
func (s *SettingsService) SetValue(ctx context.Context, name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("save setting %s: %w", name, err)
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save setting %s: %w", name, err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	if err := putSetting(ctx, tx, name, string(raw), now); err != nil {
		return fmt.Errorf("save setting %s: %w", name, err)
	}
	if err := appendAudit(ctx, tx, now, "desk", "settings.update", name, "{}"); err != nil {
		return err
	}
	return tx.Commit()
}
