package sqlite

// The quarantine: provider events that matched no recipient or mailing,
// kept to be filed under a mailing, matched again or discarded.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Quarantine returns events that matched no recipient or mailing, of one
// import or (importID 0) of all imports, oldest first.
func (s *ReactionService) Quarantine(ctx context.Context, importID int64, limit int) ([]resonanz.QuarantinedEvent, error) {
	if limit <= 0 || limit > 10_000 {
		limit = 1000
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, import_id, reason, reason_key, reason_params, event FROM reaction_quarantine
		WHERE ? = 0 OR import_id = ? ORDER BY id LIMIT ?`, importID, importID, limit)
	if err != nil {
		return nil, fmt.Errorf("read quarantine: %w", err)
	}
	defer rows.Close()
	out := []resonanz.QuarantinedEvent{}
	for rows.Next() {
		var q resonanz.QuarantinedEvent
		var event, params string
		if err := rows.Scan(&q.ID, &q.ImportID, &q.Reason, &q.Key, &params, &event); err != nil {
			return nil, fmt.Errorf("read quarantine: %w", err)
		}
		if params != "{}" && params != "" {
			if err := json.Unmarshal([]byte(params), &q.Params); err != nil {
				return nil, fmt.Errorf("read quarantine: reason params: %w", err)
			}
		}
		if err := json.Unmarshal([]byte(event), &q.Event); err != nil {
			return nil, fmt.Errorf("read quarantine: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// quarantined loads quarantined events (ids; nil: all, oldest first) as a
// reaction source.
func (s *ReactionService) quarantined(ctx context.Context, ids []int64) (*sliceSource, error) {
	src := &sliceSource{}
	scan := func(rows *sql.Rows) error {
		var event string
		if err := rows.Scan(&event); err != nil {
			return err
		}
		var ev resonanz.ProviderEvent
		if err := json.Unmarshal([]byte(event), &ev); err != nil {
			return err
		}
		src.events = append(src.events, ev)
		return nil
	}
	if ids == nil {
		rows, err := s.db.db.QueryContext(ctx, `SELECT event FROM reaction_quarantine ORDER BY id`)
		if err != nil {
			return nil, fmt.Errorf("read quarantine: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return nil, fmt.Errorf("read quarantine: %w", err)
			}
		}
		return src, rows.Err()
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return src, queryIn(ctx, s.db.db, `SELECT event FROM reaction_quarantine WHERE id IN `, args, scan, ` ORDER BY id`)
}

// sliceSource is a resonanz.ReactionSource over events in memory.
type sliceSource struct {
	events []resonanz.ProviderEvent
	i      int
}

func (s *sliceSource) Next() (resonanz.ProviderEvent, error) {
	if s.i >= len(s.events) {
		return resonanz.ProviderEvent{}, io.EOF
	}
	s.i++
	return s.events[s.i-1], nil
}

// AssignQuarantined files quarantined events under mailingID.
func (s *ReactionService) AssignQuarantined(ctx context.Context, ids []int64, mailingID int64) (resonanz.ReactionImportResult, error) {
	if mailingID == 0 {
		return resonanz.ReactionImportResult{}, resonanz.FieldError("mailingId", "error.quarantine.mailingRequired", "Choose the mailing the events belong to.")
	}
	src, err := s.quarantined(ctx, ids)
	if err != nil {
		return resonanz.ReactionImportResult{}, err
	}
	return s.ImportReactions(ctx, src, resonanz.ReactionImport{FileName: "quarantine", Provider: "quarantine", MailingID: mailingID}, nil)
}

// RematchQuarantine imports quarantined events again.
func (s *ReactionService) RematchQuarantine(ctx context.Context, ids []int64) (resonanz.ReactionImportResult, error) {
	src, err := s.quarantined(ctx, ids)
	if err != nil {
		return resonanz.ReactionImportResult{}, err
	}
	return s.ImportReactions(ctx, src, resonanz.ReactionImport{FileName: "quarantine", Provider: "quarantine"}, nil)
}

// DiscardQuarantined drops quarantined events and remembers their keys as
// seen.
func (s *ReactionService) DiscardQuarantined(ctx context.Context, ids []int64) (int, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("discard quarantined events: %w", err)
	}
	defer tx.Rollback()
	where, args := `1 = 1`, []any{}
	if ids != nil {
		if len(ids) == 0 {
			return 0, nil
		}
		where = `id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reaction_seen (key) SELECT key FROM reaction_quarantine WHERE `+where+` ON CONFLICT DO NOTHING`, args...); err != nil {
		return 0, fmt.Errorf("discard quarantined events: %w", err)
	}
	r, err := tx.ExecContext(ctx, `DELETE FROM reaction_quarantine WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("discard quarantined events: %w", err)
	}
	n, _ := r.RowsAffected()
	if err := appendAudit(ctx, tx, millis(s.db.Now()), "desk", "quarantine.discard", "", fmt.Sprintf(`{"events":%d}`, n)); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}
