package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// MailingService implements resonanz.MailingService.
type MailingService struct {
	db *DB
}

var _ resonanz.MailingService = (*MailingService)(nil)

// NewMailingService returns the mailing service over db.
func NewMailingService(db *DB) *MailingService { return &MailingService{db: db} }

const mailingColumns = `id, name, subject, preheader, body, language, COALESCE(list_id, 0), COALESCE(layout_id, 0), status, external_id, created_at, updated_at, COALESCE(sent_at, 0), COALESCE(sent_layout, '')`

func scanMailing(s scanner) (resonanz.Mailing, error) {
	var m resonanz.Mailing
	var created, updated, sent int64
	err := s.Scan(&m.ID, &m.Name, &m.Subject, &m.Preheader, &m.Body, &m.Language, &m.ListID, &m.LayoutID, &m.Status, &m.ExternalID, &created, &updated, &sent, &m.SentLayout)
	m.CreatedAt, m.UpdatedAt = fromMillis(created), fromMillis(updated)
	if sent != 0 {
		m.SentAt = fromMillis(sent)
	}
	return m, err
}

func errMailingNotFound() error {
	return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.mailing.notFound", Message: "The mailing does not exist (any more)."}
}

// Mailings returns all mailings, newest first.
func (s *MailingService) Mailings(ctx context.Context) ([]resonanz.Mailing, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+mailingColumns+` FROM mailing ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("read mailings: %w", err)
	}
	defer rows.Close()
	out := []resonanz.Mailing{}
	for rows.Next() {
		m, err := scanMailing(rows)
		if err != nil {
			return nil, fmt.Errorf("read mailings: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Mailing returns one mailing.
func (s *MailingService) Mailing(ctx context.Context, id int64) (resonanz.Mailing, error) {
	return mailingByID(ctx, s.db.db, id)
}

func mailingByID(ctx context.Context, q querier, id int64) (resonanz.Mailing, error) {
	m, err := scanMailing(q.QueryRowContext(ctx, `SELECT `+mailingColumns+` FROM mailing WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, errMailingNotFound()
	} else if err != nil {
		return m, fmt.Errorf("read mailing: %w", err)
	}
	return m, nil
}

// MailingByName returns the mailing with the name (case-insensitive).
func (s *MailingService) MailingByName(ctx context.Context, name string) (resonanz.Mailing, error) {
	m, err := scanMailing(s.db.db.QueryRowContext(ctx, `SELECT `+mailingColumns+` FROM mailing WHERE name = ?`, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return m, &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.mailing.notFound", Message: "There is no mailing named " + name + "."}
	} else if err != nil {
		return m, fmt.Errorf("read mailing: %w", err)
	}
	return m, nil
}

func normalizeMailing(m resonanz.Mailing) resonanz.Mailing {
	m.Name = strings.TrimSpace(m.Name)
	m.Subject = strings.TrimSpace(m.Subject)
	m.Preheader = strings.TrimSpace(m.Preheader)
	m.ExternalID = strings.TrimSpace(m.ExternalID)
	if m.Status == "" {
		m.Status = resonanz.MailingDraft
	}
	return m
}

// errNoSuchLayoutOrList is a mailing naming a layout or list that does
// not exist (any more): deleted in another window meanwhile.
func errNoSuchLayoutOrList() error {
	return resonanz.FieldError("layoutId", "error.mailing.layout.notFound", "The chosen layout or list does not exist (any more). Pick another one.")
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateMailing stores a new mailing (a draft unless a status is given).
func (s *MailingService) CreateMailing(ctx context.Context, m resonanz.Mailing) (resonanz.Mailing, error) {
	m = normalizeMailing(m)
	if err := m.Validate(); err != nil {
		return m, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return m, fmt.Errorf("create mailing: %w", err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	if m.ID, err = insertMailing(ctx, tx, m, now); err != nil {
		return m, err
	}
	if err := appendAudit(ctx, tx, now, "desk", "mailing.create", m.Name, "{}"); err != nil {
		return m, err
	}
	if err := tx.Commit(); err != nil {
		return m, fmt.Errorf("create mailing: %w", err)
	}
	return s.Mailing(ctx, m.ID)
}

func insertMailing(ctx context.Context, tx *sql.Tx, m resonanz.Mailing, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO mailing (name, subject, preheader, body, language, list_id, layout_id, status, external_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Name, m.Subject, m.Preheader, m.Body, m.Language, nullID(m.ListID), nullID(m.LayoutID), m.Status, m.ExternalID, now, now)
	if isForeignKeyViolation(err) {
		return 0, errNoSuchLayoutOrList()
	} else if isUniqueViolation(err) {
		return 0, resonanz.FieldError("name", "error.mailing.name.taken", "A mailing named "+m.Name+" already exists.")
	} else if err != nil {
		return 0, fmt.Errorf("create mailing: %w", err)
	}
	return res.LastInsertId()
}

// UpdateMailing stores the editable fields of a mailing.
func (s *MailingService) UpdateMailing(ctx context.Context, m resonanz.Mailing) (resonanz.Mailing, error) {
	m = normalizeMailing(m)
	if err := m.Validate(); err != nil {
		return m, err
	}
	// The check and the update share a transaction, so a send that begins
	// meanwhile (in another process too) cannot slip a change past the lock.
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return m, fmt.Errorf("update mailing: %w", err)
	}
	defer tx.Rollback()
	old, err := mailingByID(ctx, tx, m.ID)
	if err != nil {
		return m, err
	}
	if old.Locked() && !old.SameContent(m) {
		return m, &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.mailing.locked",
			Message: "This mailing has gone out, so its content stays as it was sent. Save it as a template to start a new issue from it."}
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE mailing SET name = ?, subject = ?, preheader = ?, body = ?, language = ?, list_id = ?, layout_id = ?, external_id = ?, updated_at = ?
		WHERE id = ?`,
		m.Name, m.Subject, m.Preheader, m.Body, m.Language, nullID(m.ListID), nullID(m.LayoutID), m.ExternalID, millis(s.db.Now()), m.ID)
	if isForeignKeyViolation(err) {
		return m, errNoSuchLayoutOrList()
	} else if isUniqueViolation(err) {
		return m, resonanz.FieldError("name", "error.mailing.name.taken", "A mailing named "+m.Name+" already exists.")
	} else if err != nil {
		return m, fmt.Errorf("update mailing: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return m, errMailingNotFound()
	}
	if err := tx.Commit(); err != nil {
		return m, fmt.Errorf("update mailing: %w", err)
	}
	return s.Mailing(ctx, m.ID)
}

// SetLinks replaces the mailing's links. A link keeps its id while its URL
// and position stay the same, so reactions stay attached across edits.
func (s *MailingService) SetLinks(ctx context.Context, mailingID int64, links []resonanz.Link) ([]resonanz.Link, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("save links: %w", err)
	}
	defer tx.Rollback()
	old, err := mailingLinks(ctx, tx, mailingID)
	if err != nil {
		return nil, err
	}
	// A link keeps its row while URL and position stay; the others move out
	// of the template's range (idx = -id) instead of being deleted, so
	// reactions already recorded keep their link in reports.
	matched := map[int]int64{}
	for _, o := range old {
		if o.Index < len(links) && links[o.Index].URL == o.URL {
			matched[o.Index] = o.ID
		} else if _, err := tx.ExecContext(ctx, `UPDATE link SET idx = -id WHERE id = ?`, o.ID); err != nil {
			return nil, fmt.Errorf("save links: %w", err)
		}
	}
	out := make([]resonanz.Link, 0, len(links))
	for i, l := range links {
		l.MailingID, l.Index = mailingID, i
		if l.Kind == "" {
			l.Kind = resonanz.LinkText
		}
		if id, ok := matched[i]; ok {
			l.ID = id
			err = updateLink(ctx, tx, l)
		} else {
			l.ID, err = insertLink(ctx, tx, l)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, tx.Commit()
}

// insertLink stores a new link at l.Index.
func insertLink(ctx context.Context, tx *sql.Tx, l resonanz.Link) (int64, error) {
	tags, _ := json.Marshal(nonNil(l.Tags))
	res, err := tx.ExecContext(ctx, `INSERT INTO link (mailing_id, idx, url, url_key, name, kind, tags) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		l.MailingID, l.Index, l.URL, LinkKey(l.URL), l.Name, l.Kind, string(tags))
	if err != nil {
		return 0, fmt.Errorf("save link: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, insertLinkTags(ctx, tx, id, l.Tags)
}

func updateLink(ctx context.Context, tx *sql.Tx, l resonanz.Link) error {
	tags, _ := json.Marshal(nonNil(l.Tags))
	if _, err := tx.ExecContext(ctx, `UPDATE link SET name = ?, kind = ?, tags = ? WHERE id = ?`, l.Name, l.Kind, string(tags), l.ID); err != nil {
		return fmt.Errorf("save link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM link_tag WHERE link_id = ?`, l.ID); err != nil {
		return fmt.Errorf("save link: %w", err)
	}
	return insertLinkTags(ctx, tx, l.ID, l.Tags)
}

func insertLinkTags(ctx context.Context, tx *sql.Tx, linkID int64, tags []string) error {
	for _, t := range tags {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO link_tag (tag, link_id) VALUES (?, ?)`, t, linkID); err != nil {
			return fmt.Errorf("save link tags: %w", err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Links returns the mailing's current links in template order.
func (s *MailingService) Links(ctx context.Context, mailingID int64) ([]resonanz.Link, error) {
	return mailingLinks(ctx, s.db.db, mailingID)
}

func mailingLinks(ctx context.Context, q querier, mailingID int64) ([]resonanz.Link, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, mailing_id, idx, url, name, kind, tags FROM link WHERE mailing_id = ? AND idx >= 0 ORDER BY idx`, mailingID)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}
	defer rows.Close()
	out := []resonanz.Link{}
	for rows.Next() {
		var l resonanz.Link
		var tags string
		if err := rows.Scan(&l.ID, &l.MailingID, &l.Index, &l.URL, &l.Name, &l.Kind, &tags); err != nil {
			return nil, fmt.Errorf("read links: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &l.Tags); err != nil {
			return nil, fmt.Errorf("read link tags: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// trackingParams are query parameters providers and campaign tools add to
// links; they do not make a link a different destination. utm_content stays:
// it tells variants of one destination apart (the text link and the image
// link to the same page), and link kinds are read from it.
var trackingParams = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_id",
	"mc_cid", "mc_eid", "_hsenc", "_hsmi", "fbclid", "gclid", "sg_id", "mkt_tok"}

// LinkKey normalizes a URL for matching clicks from provider logs against a
// mailing's links: lower-case scheme and host, no fragment, no tracking
// parameters, remaining parameters sorted.
func LinkKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimSpace(raw)
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = strings.ToLower(u.Scheme), strings.ToLower(u.Host), "", ""
	q := u.Query()
	for k := range q {
		if slices.Contains(trackingParams, strings.ToLower(k)) {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode() // sorted by key
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}
