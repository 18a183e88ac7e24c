package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RelayJournal is the desk's record of the relay events it applied
// (relay.Journal): a cursor per relay and the ids of applied events.
type RelayJournal struct{ db *DB }

// NewRelayJournal returns the journal over db.
func NewRelayJournal(db *DB) *RelayJournal { return &RelayJournal{db: db} }

// Cursor returns the last sequence of relayID the desk applied (0: none).
func (j *RelayJournal) Cursor(ctx context.Context, relayID string) (int64, error) {
	var seq int64
	err := j.db.db.QueryRowContext(ctx, `SELECT seq FROM relay_cursor WHERE relay_id = ?`, relayID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// Applied reports whether the event with id was applied.
func (j *RelayJournal) Applied(ctx context.Context, id string) (bool, error) {
	var n int
	err := j.db.db.QueryRowContext(ctx, `SELECT count(*) FROM relay_event WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// MarkApplied records the event and moves the relay's cursor to seq.
func (j *RelayJournal) MarkApplied(ctx context.Context, relayID string, seq int64, id, kind string) error {
	tx, err := j.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("relay journal: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO relay_event (id, relay_id, seq, kind, applied_at) VALUES (?, ?, ?, ?, ?)`,
		id, relayID, seq, kind, millis(j.db.Now())); err != nil {
		return fmt.Errorf("relay journal: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO relay_cursor (relay_id, seq) VALUES (?, ?)
		ON CONFLICT (relay_id) DO UPDATE SET seq = max(seq, excluded.seq)`, relayID, seq); err != nil {
		return fmt.Errorf("relay journal: %w", err)
	}
	return tx.Commit()
}
