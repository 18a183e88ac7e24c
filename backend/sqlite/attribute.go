package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// AttributeService implements resonanz.AttributeService.
type AttributeService struct {
	db *DB
}

var _ resonanz.AttributeService = (*AttributeService)(nil)

// NewAttributeService returns the attribute service over db.
func NewAttributeService(db *DB) *AttributeService { return &AttributeService{db: db} }

// Attributes returns builtin then custom definitions (custom ones by key).
func (s *AttributeService) Attributes(ctx context.Context) ([]resonanz.AttributeDef, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, key, label, type, choices FROM attribute ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("read attributes: %w", err)
	}
	defer rows.Close()
	out := make([]resonanz.AttributeDef, 0, len(resonanz.BuiltinAttributes)+8)
	for _, a := range resonanz.BuiltinAttributes {
		if a.Choices == nil {
			a.Choices = []string{} // lists are never null in JSON
		}
		a.Choices = slices.Clone(a.Choices)
		out = append(out, a)
	}
	for rows.Next() {
		a, err := scanAttribute(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CreateAttribute defines a new custom attribute.
func (s *AttributeService) CreateAttribute(ctx context.Context, a resonanz.AttributeDef) (resonanz.AttributeDef, error) {
	a.Key, a.Label, a.Builtin = strings.TrimSpace(a.Key), strings.TrimSpace(a.Label), false
	if err := a.Validate(); err != nil {
		return a, err
	}
	if a.Choices == nil {
		a.Choices = []string{}
	}
	choices, _ := json.Marshal(a.Choices)
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return a, fmt.Errorf("create attribute: %w", err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	res, err := tx.ExecContext(ctx, `INSERT INTO attribute (key, label, type, choices, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.Key, a.Label, string(a.Type), string(choices), now)
	if isUniqueViolation(err) {
		return a, resonanz.FieldError("key", "error.attribute.key.taken", "An attribute with the key "+a.Key+" already exists.")
	} else if err != nil {
		return a, fmt.Errorf("create attribute: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	if err := appendAudit(ctx, tx, now, "desk", "attribute.create", a.Key, string(mustJSON(a))); err != nil {
		return a, err
	}
	return a, tx.Commit()
}

func scanAttribute(s scanner) (resonanz.AttributeDef, error) {
	var a resonanz.AttributeDef
	var choices string
	if err := s.Scan(&a.ID, &a.Key, &a.Label, &a.Type, &choices); err != nil {
		return a, fmt.Errorf("read attribute: %w", err)
	}
	if err := json.Unmarshal([]byte(choices), &a.Choices); err != nil {
		return a, fmt.Errorf("read attribute %s: choices: %w", a.Key, err)
	}
	if a.Choices == nil {
		a.Choices = []string{}
	}
	return a, nil
}

// customAttributes returns the custom attribute definitions by key.
func customAttributes(ctx context.Context, tx *sql.Tx) (map[string]resonanz.AttributeDef, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, key, label, type, choices FROM attribute`)
	if err != nil {
		return nil, fmt.Errorf("read attributes: %w", err)
	}
	defer rows.Close()
	out := map[string]resonanz.AttributeDef{}
	for rows.Next() {
		a, err := scanAttribute(rows)
		if err != nil {
			return nil, err
		}
		out[a.Key] = a
	}
	return out, rows.Err()
}

func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

func isForeignKeyViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with plain structs
	}
	return b
}
