package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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
	return existingStrings(ctx, j.db.db, `SELECT id FROM relay_event WHERE id IN `, ids)
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
		// It went through after failed attempts: no longer a failure.
		if _, err := tx.ExecContext(ctx, `DELETE FROM relay_quarantine WHERE id = ?`, e.ID); err != nil {
			return fmt.Errorf("relay journal: %w", err)
		}
		top = max(top, e.Seq)
	}
	if err := moveCursor(ctx, tx, relayID, top); err != nil {
		return err
	}
	return tx.Commit()
}

func moveCursor(ctx context.Context, tx *sql.Tx, relayID string, seq int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO relay_cursor (relay_id, seq) VALUES (?, ?)
		ON CONFLICT (relay_id) DO UPDATE SET seq = max(seq, excluded.seq)`, relayID, seq); err != nil {
		return fmt.Errorf("relay journal: %w", err)
	}
	return nil
}

// Failed records a failed attempt at applying an event (with its sealed
// payload, kept for a retry) and returns how many attempts failed so far;
// once they reach quarantineAt the event is quarantined and the relay's
// cursor moves past it, in the same transaction.
func (j *RelayJournal) Failed(ctx context.Context, f resonanz.RelayFailure, sealed []byte, quarantineAt int) (int, bool, error) {
	params, _ := json.Marshal(f.Params)
	if f.Params == nil {
		params = []byte("{}")
	}
	tx, err := j.db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("relay journal: %w", err)
	}
	defer tx.Rollback()
	var attempts int
	var quarantined bool
	if err := tx.QueryRowContext(ctx, `INSERT INTO relay_quarantine (id, relay_id, seq, kind, at, sealed, attempts, quarantined, reason, reason_key, params, failed_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, 1 >= ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET attempts = attempts + 1, quarantined = max(quarantined, attempts + 1 >= ?),
		  reason = excluded.reason, reason_key = excluded.reason_key, params = excluded.params, failed_at = excluded.failed_at
		RETURNING attempts, quarantined`,
		f.ID, f.RelayID, f.Seq, f.Kind, millis(f.At), sealed, quarantineAt, f.Reason, f.Key, string(params), millis(j.db.Now()), quarantineAt).
		Scan(&attempts, &quarantined); err != nil {
		return 0, false, fmt.Errorf("relay journal: %w", err)
	}
	if quarantined {
		if err := moveCursor(ctx, tx, f.RelayID, f.Seq); err != nil {
			return 0, false, err
		}
	}
	return attempts, quarantined, tx.Commit()
}

// Failures returns the events that failed to apply, quarantined or still
// retried by each sync, oldest first.
func (j *RelayJournal) Failures(ctx context.Context) ([]resonanz.RelayFailure, error) {
	rows, err := j.db.db.QueryContext(ctx, `SELECT id, relay_id, seq, kind, at, attempts, quarantined, reason, reason_key, params, failed_at
		FROM relay_quarantine ORDER BY relay_id, seq`)
	if err != nil {
		return nil, fmt.Errorf("relay journal: %w", err)
	}
	defer rows.Close()
	out := []resonanz.RelayFailure{}
	for rows.Next() {
		var f resonanz.RelayFailure
		var at, failed int64
		var params string
		if err := rows.Scan(&f.ID, &f.RelayID, &f.Seq, &f.Kind, &at, &f.Attempts, &f.Quarantined, &f.Reason, &f.Key, &params, &failed); err != nil {
			return nil, fmt.Errorf("relay journal: %w", err)
		}
		f.At, f.FailedAt = fromMillis(at), fromMillis(failed)
		json.Unmarshal([]byte(params), &f.Params)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Failure returns one failed event with its sealed payload.
func (j *RelayJournal) Failure(ctx context.Context, id string) (resonanz.RelayFailure, []byte, error) {
	var f resonanz.RelayFailure
	var at int64
	var sealed []byte
	err := j.db.db.QueryRowContext(ctx, `SELECT id, relay_id, seq, kind, at, attempts, quarantined, sealed FROM relay_quarantine WHERE id = ?`, id).
		Scan(&f.ID, &f.RelayID, &f.Seq, &f.Kind, &at, &f.Attempts, &f.Quarantined, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.relay.event.notFound", Message: "This relay event is not in the quarantine (any more)."}
	} else if err != nil {
		return f, nil, fmt.Errorf("relay journal: %w", err)
	}
	f.At = fromMillis(at)
	return f, sealed, nil
}

// errAppliedConcurrently refuses a batch of relay events of which some,
// not all, were journaled meanwhile (two syncs at once): the next sync
// applies the rest.
var errAppliedConcurrently = &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.relay.concurrentSync",
	Message: "Another sync applied some of these relay events at the same time; sync again."}

// claimRelayEvents journals the relay events carried by ctx
// (resonanz.WithRelayApply) in tx, the transaction that applies them, and
// moves the relay's cursor. It reports done when they were journaled
// before: the caller then applies nothing (and rolls back).
func claimRelayEvents(ctx context.Context, tx *sql.Tx, now int64) (done bool, err error) {
	a, ok := resonanz.RelayApplyFrom(ctx)
	if !ok {
		return false, nil
	}
	fresh := 0
	var top int64
	for _, e := range a.Events {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO relay_event (id, relay_id, seq, kind, applied_at) VALUES (?, ?, ?, ?, ?)`,
			e.ID, a.RelayID, e.Seq, e.Kind, now)
		if err != nil {
			return false, fmt.Errorf("relay journal: %w", err)
		}
		n, _ := res.RowsAffected()
		fresh += int(n)
		top = max(top, e.Seq)
	}
	switch fresh {
	case 0:
		return true, nil
	case len(a.Events):
	default:
		return false, errAppliedConcurrently
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO relay_cursor (relay_id, seq) VALUES (?, ?)
		ON CONFLICT (relay_id) DO UPDATE SET seq = max(seq, excluded.seq)`, a.RelayID, top); err != nil {
		return false, fmt.Errorf("relay journal: %w", err)
	}
	return false, nil
}
