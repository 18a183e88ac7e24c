package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// AuditService reads the audit log of admin actions.
type AuditService struct {
	db *DB
}

var _ resonanz.AuditService = (*AuditService)(nil)

// NewAuditService returns the audit log reader over db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

// Recent returns the newest audit entries, newest first, at most limit (1..1000).
func (s *AuditService) Recent(ctx context.Context, limit int) ([]resonanz.AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		return nil, resonanz.E(resonanz.EINVALID, "error.audit.limitMustBetween", "The limit must be between 1 and 1000.")
	}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	out := []resonanz.AuditEntry{}
	for rows.Next() {
		var e resonanz.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

func appendAudit(ctx context.Context, tx *sql.Tx, at int64, actor, action, subject, detail string) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		at, actor, action, subject, detail)
	if err != nil {
		return fmt.Errorf("append audit log %s: %w", action, err)
	}
	return nil
}

// audit appends one entry in its own transaction.
func (db *DB) audit(ctx context.Context, action, subject, detail string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append audit log %s: %w", action, err)
	}
	defer tx.Rollback()
	if err := appendAudit(ctx, tx, millis(db.Now()), "desk", action, subject, detail); err != nil {
		return err
	}
	return tx.Commit()
}
