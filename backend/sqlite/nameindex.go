package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// The two name indexes of the recipient table serve prefix search and
// sorting by name. Keeping them up to date row by row costs a large import
// about a third of its time (each insert lands in the middle of an index,
// where SQLite rebalances pages), while building them afresh sorts once. A
// large import therefore drops them and builds them again when it ends,
// the way bulk loads into any database are done.
//
// Nothing depends on them for correctness: while they are gone, a search
// by name scans the table. If the process dies in between, the next Open
// (or the next import, or listing imports) builds them again once no import
// is running any more.
var nameIndexes = []struct{ name, create string }{
	{"recipient_last_key", `CREATE INDEX IF NOT EXISTS recipient_last_key ON recipient (last_key)`},
	{"recipient_first_key", `CREATE INDEX IF NOT EXISTS recipient_first_key ON recipient (first_key)`},
}

// deferNameIndexes reports whether an import that has created `created`
// recipients so far (this batch included) into a table that held `existing`
// when it began should build the name indexes at its end instead of row by
// row. Building both costs about 0.45 µs per row of the whole table and
// index, keeping them about 1.75 µs per inserted row and index, so dropping
// pays once the import adds a third of what was there. Small imports never
// drop them.
func deferNameIndexes(created, existing, batch int) bool {
	return created >= batch && created*3 >= existing
}

func dropNameIndexes(ctx context.Context, tx *sql.Tx) error {
	for _, ix := range nameIndexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS `+ix.name); err != nil {
			return fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	return nil
}

func buildNameIndexes(ctx context.Context, tx *sql.Tx) error {
	for _, ix := range nameIndexes {
		if _, err := tx.ExecContext(ctx, ix.create); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
	}
	return nil
}

// missingNameIndexes reports whether the schema has the recipient table but
// not both of its name indexes.
func missingNameIndexes(ctx context.Context, q querier) (bool, error) {
	var tables, indexes int
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'recipient'),
		(SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('recipient_last_key', 'recipient_first_key'))`).
		Scan(&tables, &indexes)
	if err != nil {
		return false, fmt.Errorf("name indexes: %w", err)
	}
	return tables == 1 && indexes < len(nameIndexes), nil
}

// restoreNameIndexes builds the name indexes an interrupted import left
// dropped. It runs inside a write transaction after markInterrupted, and
// does nothing while a live import still runs (that import builds them when
// it ends).
func restoreNameIndexes(ctx context.Context, tx *sql.Tx) error {
	missing, err := missingNameIndexes(ctx, tx)
	if err != nil || !missing {
		return err
	}
	var running int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM import_run WHERE kind = 'recipients' AND status = 'running'`).Scan(&running); err != nil {
		return fmt.Errorf("name indexes: %w", err)
	}
	if running > 0 {
		return nil
	}
	return buildNameIndexes(ctx, tx)
}

// repairNameIndexes is Open's check: one read when all is well, and the
// repair of an interrupted import otherwise.
func (db *DB) repairNameIndexes(ctx context.Context) error {
	missing, err := missingNameIndexes(ctx, db.db)
	if err != nil || !missing {
		return err
	}
	return db.markInterruptedNow(ctx)
}
