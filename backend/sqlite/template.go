package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TemplateService implements resonanz.TemplateService: layouts and mailing
// templates. The HTML of a layout is checked by the caller (render.Compile)
// before it gets here; the store checks names and references.
type TemplateService struct {
	db *DB
}

var _ resonanz.TemplateService = (*TemplateService)(nil)

// NewTemplateService returns the layout and mailing template service over db.
func NewTemplateService(db *DB) *TemplateService { return &TemplateService{db: db} }

func errLayoutNotFound() error {
	return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.layout.notFound", Message: "The layout does not exist (any more)."}
}

func errMailingTemplateNotFound() error {
	return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.mailingTemplate.notFound", Message: "The template does not exist (any more)."}
}

const layoutColumns = `id, name, html, created_at, updated_at`

func scanLayout(s scanner) (resonanz.Layout, error) {
	var l resonanz.Layout
	var created, updated int64
	err := s.Scan(&l.ID, &l.Name, &l.HTML, &created, &updated)
	l.CreatedAt, l.UpdatedAt = fromMillis(created), fromMillis(updated)
	return l, err
}

// Layouts returns all layouts by name.
func (s *TemplateService) Layouts(ctx context.Context) ([]resonanz.Layout, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+layoutColumns+` FROM layout ORDER BY name COLLATE NOCASE, id`)
	if err != nil {
		return nil, fmt.Errorf("read layouts: %w", err)
	}
	defer rows.Close()
	out := []resonanz.Layout{}
	for rows.Next() {
		l, err := scanLayout(rows)
		if err != nil {
			return nil, fmt.Errorf("read layouts: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Layout returns one layout.
func (s *TemplateService) Layout(ctx context.Context, id int64) (resonanz.Layout, error) {
	return layout(ctx, s.db.db, id)
}

func layout(ctx context.Context, q querier, id int64) (resonanz.Layout, error) {
	l, err := scanLayout(q.QueryRowContext(ctx, `SELECT `+layoutColumns+` FROM layout WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, errLayoutNotFound()
	} else if err != nil {
		return l, fmt.Errorf("read layout: %w", err)
	}
	return l, nil
}

// SaveLayout creates (ID 0) or updates a layout.
func (s *TemplateService) SaveLayout(ctx context.Context, l resonanz.Layout) (resonanz.Layout, error) {
	l.Name = strings.TrimSpace(l.Name)
	if err := l.Validate(); err != nil {
		return l, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return l, fmt.Errorf("save layout: %w", err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	action := "layout.update"
	if l.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO layout (name, html, created_at, updated_at) VALUES (?, ?, ?, ?)`, l.Name, l.HTML, now, now)
		if err != nil {
			return l, layoutWriteError(err, l.Name)
		}
		l.ID, _ = res.LastInsertId()
		action = "layout.create"
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE layout SET name = ?, html = ?, updated_at = ? WHERE id = ?`, l.Name, l.HTML, now, l.ID)
		if err != nil {
			return l, layoutWriteError(err, l.Name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return l, errLayoutNotFound()
		}
	}
	detail := mustJSON(map[string]any{"id": l.ID, "bytes": len(l.HTML)})
	if err := appendAudit(ctx, tx, now, "desk", action, l.Name, string(detail)); err != nil {
		return l, err
	}
	out, err := layout(ctx, tx, l.ID)
	if err != nil {
		return l, err
	}
	return out, tx.Commit()
}

func layoutWriteError(err error, name string) error {
	if isUniqueViolation(err) {
		return resonanz.FieldError("name", "error.layout.name.taken", "A layout named "+strconv.Quote(name)+" already exists.")
	}
	return fmt.Errorf("save layout: %w", err)
}

// DeleteLayout deletes a layout that no mailing uses. Mailing templates
// using it fall back to the default layout.
func (s *TemplateService) DeleteLayout(ctx context.Context, id int64) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete layout: %w", err)
	}
	defer tx.Rollback()
	l, err := layout(ctx, tx, id)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM mailing WHERE layout_id = ? ORDER BY name COLLATE NOCASE`, id)
	if err != nil {
		return fmt.Errorf("delete layout: %w", err)
	}
	var users []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("delete layout: %w", err)
		}
		users = append(users, strconv.Quote(name))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delete layout: %w", err)
	}
	if len(users) > 0 {
		if len(users) > 5 {
			return resonanz.E(resonanz.ECONFLICT, "error.layout.inUseMany",
				"The layout \"{name}\" is used by the mailings {mailings} and {more} more. Pick another layout there first.",
				"name", l.Name, "mailings", strings.Join(users[:5], ", "), "more", len(users)-5)
		}
		return resonanz.E(resonanz.ECONFLICT, "error.layout.inUse",
			"The layout \"{name}\" is used by the mailing(s) {mailings}. Pick another layout there first.",
			"name", l.Name, "mailings", strings.Join(users, ", "))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM layout WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete layout: %w", err)
	}
	if err := appendAudit(ctx, tx, millis(s.db.Now()), "desk", "layout.delete", l.Name, string(mustJSON(map[string]any{"id": id}))); err != nil {
		return err
	}
	return tx.Commit()
}

const mailingTemplateColumns = `id, name, subject, preheader, body, language, COALESCE(layout_id, 0), created_at, updated_at`

func scanMailingTemplate(s scanner) (resonanz.MailingTemplate, error) {
	var t resonanz.MailingTemplate
	var created, updated int64
	err := s.Scan(&t.ID, &t.Name, &t.Subject, &t.Preheader, &t.Body, &t.Language, &t.LayoutID, &created, &updated)
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	return t, err
}

// MailingTemplates returns all mailing templates by name.
func (s *TemplateService) MailingTemplates(ctx context.Context) ([]resonanz.MailingTemplate, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+mailingTemplateColumns+` FROM mailing_template ORDER BY name COLLATE NOCASE, id`)
	if err != nil {
		return nil, fmt.Errorf("read mailing templates: %w", err)
	}
	defer rows.Close()
	out := []resonanz.MailingTemplate{}
	for rows.Next() {
		t, err := scanMailingTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("read mailing templates: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// MailingTemplate returns one mailing template.
func (s *TemplateService) MailingTemplate(ctx context.Context, id int64) (resonanz.MailingTemplate, error) {
	return mailingTemplate(ctx, s.db.db, id)
}

func mailingTemplate(ctx context.Context, q querier, id int64) (resonanz.MailingTemplate, error) {
	t, err := scanMailingTemplate(q.QueryRowContext(ctx, `SELECT `+mailingTemplateColumns+` FROM mailing_template WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errMailingTemplateNotFound()
	} else if err != nil {
		return t, fmt.Errorf("read mailing template: %w", err)
	}
	return t, nil
}

// SaveMailingTemplate creates (ID 0) or updates a mailing template.
func (s *TemplateService) SaveMailingTemplate(ctx context.Context, t resonanz.MailingTemplate) (resonanz.MailingTemplate, error) {
	t.Name, t.Subject, t.Preheader = strings.TrimSpace(t.Name), strings.TrimSpace(t.Subject), strings.TrimSpace(t.Preheader)
	if err := t.Validate(); err != nil {
		return t, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return t, fmt.Errorf("save mailing template: %w", err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	action := "mailing_template.update"
	if t.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO mailing_template (name, subject, preheader, body, language, layout_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.Name, t.Subject, t.Preheader, t.Body, t.Language, nullID(t.LayoutID), now, now)
		if err != nil {
			return t, mailingTemplateWriteError(err, t.Name)
		}
		t.ID, _ = res.LastInsertId()
		action = "mailing_template.create"
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE mailing_template SET name = ?, subject = ?, preheader = ?, body = ?, language = ?, layout_id = ?, updated_at = ?
			WHERE id = ?`, t.Name, t.Subject, t.Preheader, t.Body, t.Language, nullID(t.LayoutID), now, t.ID)
		if err != nil {
			return t, mailingTemplateWriteError(err, t.Name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return t, errMailingTemplateNotFound()
		}
	}
	if err := appendAudit(ctx, tx, now, "desk", action, t.Name, string(mustJSON(map[string]any{"id": t.ID, "layoutId": t.LayoutID}))); err != nil {
		return t, err
	}
	out, err := mailingTemplate(ctx, tx, t.ID)
	if err != nil {
		return t, err
	}
	return out, tx.Commit()
}

func mailingTemplateWriteError(err error, name string) error {
	if isForeignKeyViolation(err) {
		return resonanz.FieldError("layoutId", "error.mailing.layout.notFound", "The chosen layout does not exist (any more). Pick another one.")
	}
	if isUniqueViolation(err) {
		return resonanz.FieldError("name", "error.mailingTemplate.name.taken", "A template named "+strconv.Quote(name)+" already exists.")
	}
	return fmt.Errorf("save mailing template: %w", err)
}

// DeleteMailingTemplate deletes a mailing template (mailings started from
// it are independent copies and stay).
func (s *TemplateService) DeleteMailingTemplate(ctx context.Context, id int64) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete mailing template: %w", err)
	}
	defer tx.Rollback()
	t, err := mailingTemplate(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mailing_template WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete mailing template: %w", err)
	}
	if err := appendAudit(ctx, tx, millis(s.db.Now()), "desk", "mailing_template.delete", t.Name, string(mustJSON(map[string]any{"id": id}))); err != nil {
		return err
	}
	return tx.Commit()
}
