package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// ListService implements resonanz.ListService.
type ListService struct {
	db *DB
}

var _ resonanz.ListService = (*ListService)(nil)

// NewListService returns the list service over db.
func NewListService(db *DB) *ListService { return &ListService{db: db} }

// Lists returns all lists by name with their membership counts.
func (s *ListService) Lists(ctx context.Context) ([]resonanz.List, error) {
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT l.id, l.name, l.description, l.double_opt_in, l.created_at,
		       COUNT(m.recipient_id) FILTER (WHERE m.status = 'confirmed'),
		       COUNT(m.recipient_id) FILTER (WHERE m.status = 'unconfirmed'),
		       COUNT(m.recipient_id) FILTER (WHERE m.status = 'unsubscribed')
		FROM list l LEFT JOIN membership m ON m.list_id = l.id
		GROUP BY l.id ORDER BY l.name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("read lists: %w", err)
	}
	defer rows.Close()
	out := []resonanz.List{}
	for rows.Next() {
		var l resonanz.List
		var created int64
		if err := rows.Scan(&l.ID, &l.Name, &l.Description, &l.DoubleOptIn, &created, &l.Confirmed, &l.Unconfirmed, &l.Unsubscribed); err != nil {
			return nil, fmt.Errorf("read lists: %w", err)
		}
		l.CreatedAt = fromMillis(created)
		out = append(out, l)
	}
	return out, rows.Err()
}

// CreateList stores a new list.
func (s *ListService) CreateList(ctx context.Context, l resonanz.List) (resonanz.List, error) {
	l.Name, l.Description = strings.TrimSpace(l.Name), strings.TrimSpace(l.Description)
	if err := l.Validate(); err != nil {
		return l, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return l, fmt.Errorf("create list: %w", err)
	}
	defer tx.Rollback()
	now := s.db.Now()
	if l.ID, err = insertList(ctx, tx, l, millis(now)); err != nil {
		return l, err
	}
	l.CreatedAt = fromMillis(millis(now))
	if err := appendAudit(ctx, tx, millis(now), "desk", "list.create", l.Name, "{}"); err != nil {
		return l, err
	}
	return l, tx.Commit()
}

func insertList(ctx context.Context, tx *sql.Tx, l resonanz.List, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO list (name, description, double_opt_in, created_at) VALUES (?, ?, ?, ?)`,
		l.Name, l.Description, l.DoubleOptIn, now)
	if isUniqueViolation(err) {
		return 0, resonanz.FieldError("name", "error.list.name.taken", "A list named "+l.Name+" already exists.")
	} else if err != nil {
		return 0, fmt.Errorf("create list: %w", err)
	}
	return res.LastInsertId()
}

// ListByName returns the list with the name (case-insensitive).
func (s *ListService) ListByName(ctx context.Context, name string) (resonanz.List, error) {
	var l resonanz.List
	var created int64
	err := s.db.db.QueryRowContext(ctx, `SELECT id, name, description, double_opt_in, created_at FROM list WHERE name = ?`,
		strings.TrimSpace(name)).Scan(&l.ID, &l.Name, &l.Description, &l.DoubleOptIn, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return l, &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.list.notFound", Message: "There is no list named " + name + "."}
	} else if err != nil {
		return l, fmt.Errorf("read list: %w", err)
	}
	l.CreatedAt = fromMillis(created)
	return l, nil
}

// memberships returns the lists a recipient is on.
func memberships(ctx context.Context, q querier, recipientID int64) ([]resonanz.Membership, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT m.list_id, l.name, m.status, m.updated_at FROM membership m JOIN list l ON l.id = m.list_id
		WHERE m.recipient_id = ? ORDER BY l.name COLLATE NOCASE`, recipientID)
	if err != nil {
		return nil, fmt.Errorf("read memberships: %w", err)
	}
	defer rows.Close()
	out := []resonanz.Membership{}
	for rows.Next() {
		var m resonanz.Membership
		var at int64
		if err := rows.Scan(&m.ListID, &m.ListName, &m.Status, &at); err != nil {
			return nil, fmt.Errorf("read memberships: %w", err)
		}
		m.UpdatedAt = fromMillis(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
