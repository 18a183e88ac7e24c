package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The helpers below run one statement over many values in chunks of
// placeholders (SQLite bounds the variables per statement): lookups by
// IN (...) and multi-row inserts of keys.

// queryIn runs query + "(?, ?, ...)" + suffix for the values in chunks and
// calls scan per row.
func queryIn(ctx context.Context, q querier, query string, values []any, scan func(*sql.Rows) error, suffix ...string) error {
	for start := 0; start < len(values); start += inChunk {
		chunk := values[start:min(start+inChunk, len(values))]
		rows, err := q.QueryContext(ctx, query+"("+strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+")"+strings.Join(suffix, ""), chunk...)
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return fmt.Errorf("query: %w", err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("query: %w", err)
		}
	}
	return nil
}

// execIn runs stmt + "(?, ...)" for the values in chunks; lead are the
// arguments of the placeholders in stmt itself, before the list.
func execIn(ctx context.Context, tx *sql.Tx, stmt string, values []any, lead ...any) error {
	args := make([]any, 0, len(lead)+min(inChunk, len(values)))
	for start := 0; start < len(values); start += inChunk {
		chunk := values[start:min(start+inChunk, len(values))]
		args = append(append(args[:0], lead...), chunk...)
		if _, err := tx.ExecContext(ctx, stmt+"("+strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+")", args...); err != nil {
			return fmt.Errorf("exec: %w", err)
		}
	}
	return nil
}

// existingKeys returns which of the keys the query finds.
func existingKeys(ctx context.Context, tx *sql.Tx, query string, keys []any) (map[eventKey]bool, error) {
	out := make(map[eventKey]bool, len(keys))
	err := queryIn(ctx, tx, query, keys, func(rows *sql.Rows) error {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		out[eventKey(b)] = true
		return nil
	})
	return out, err
}

// existingStrings returns which of the values the query (ending in
// "IN ", selecting one text column) finds.
func existingStrings(ctx context.Context, q querier, query string, values []string) (map[string]bool, error) {
	out := make(map[string]bool, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	err := queryIn(ctx, q, query, args, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out[s] = true
		return err
	})
	return out, err
}

// insertKeys stores single-column rows, insertChunk per statement.
func insertKeys(ctx context.Context, tx *sql.Tx, stmt string, keys []any) error {
	for start := 0; start < len(keys); start += insertChunk {
		chunk := keys[start:min(start+insertChunk, len(keys))]
		if _, err := tx.ExecContext(ctx, stmt+placeholders(len(chunk), 1), chunk...); err != nil {
			return fmt.Errorf("store event keys: %w", err)
		}
	}
	return nil
}

// inChunk is the number of values per IN (...) list.
const inChunk = 500
