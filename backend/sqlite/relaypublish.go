package sqlite

import (
	"context"
	"fmt"
)

// RelayChanges is the flag the triggers of migration 0015 set when data
// the paired relays hold a copy of changes (relay.ChangeFlag).
type RelayChanges struct{ db *DB }

// NewRelayChanges returns the flag over db.
func NewRelayChanges(db *DB) *RelayChanges { return &RelayChanges{db: db} }

// TakeChanged reports whether published data changed since the last call
// and clears the flag. It reads first and writes only when the flag is
// set, so polling it does not contend for the write lock.
func (c *RelayChanges) TakeChanged(ctx context.Context) (bool, error) {
	var changed int
	if err := c.db.db.QueryRowContext(ctx, `SELECT changed FROM relay_publish WHERE id = 1`).Scan(&changed); err != nil {
		return false, fmt.Errorf("relay publish flag: %w", err)
	}
	if changed == 0 {
		return false, nil
	}
	if _, err := c.db.db.ExecContext(ctx, `UPDATE relay_publish SET changed = 0 WHERE id = 1`); err != nil {
		return false, fmt.Errorf("relay publish flag: %w", err)
	}
	return true, nil
}
