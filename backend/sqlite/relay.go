package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
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

// Applied returns which of the event ids were applied.
func (j *RelayJournal) Applied(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	err := queryIn(ctx, j.db.db, `SELECT id FROM relay_event WHERE id IN `, args, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		out[id] = true
		return err
	})
	return out, err
}

// MarkApplied records the events and moves the relay's cursor to the
// highest of their sequences, in one transaction.
func (j *RelayJournal) MarkApplied(ctx context.Context, relayID string, events []resonanz.RelayEvent) error {
	if len(events) == 0 {
		return nil
	}
	tx, err := j.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("relay journal: %w", err)
	}
	defer tx.Rollback()
	now := millis(j.db.Now())
	var top int64
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO relay_event (id, relay_id, seq, kind, applied_at) VALUES (?, ?, ?, ?, ?)`,
			e.ID, relayID, e.Seq, e.Kind, now); err != nil {
			return fmt.Errorf("relay journal: %w", err)
		}
		top = max(top, e.Seq)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO relay_cursor (relay_id, seq) VALUES (?, ?)
		ON CONFLICT (relay_id) DO UPDATE SET seq = max(seq, excluded.seq)`, relayID, top); err != nil {
		return fmt.Errorf("relay journal: %w", err)
	}
	return tx.Commit()
}
