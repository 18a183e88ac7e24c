package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// RecipientService implements resonanz.RecipientService.
type RecipientService struct {
	db *DB
}

var _ resonanz.RecipientService = (*RecipientService)(nil)

// NewRecipientService returns the recipient service over db.
func NewRecipientService(db *DB) *RecipientService { return &RecipientService{db: db} }

const recipientColumns = `r.id, r.email, r.first_name, r.last_name, r.gender, r.title, r.language, r.attrs, r.created_at, r.updated_at`

type scanner interface{ Scan(dest ...any) error }

// scanRecipient scans recipientColumns, then any extra columns the query
// selected after them into extra.
func scanRecipient(s scanner, extra ...any) (resonanz.Recipient, error) {
	var r resonanz.Recipient
	var attrs string
	var created, updated int64
	dest := append([]any{&r.ID, &r.Email, &r.FirstName, &r.LastName, &r.Gender, &r.Title, &r.Language, &attrs, &created, &updated}, extra...)
	if err := s.Scan(dest...); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
		return r, fmt.Errorf("recipient %d: attrs: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = fromMillis(created), fromMillis(updated)
	return r, nil
}

// errRecipientNotFound is the error for an ID that names nobody (any more).
func errRecipientNotFound() error {
	return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.recipient.notFound", Message: "This recipient does not exist (any more)."}
}

// recipientSorts whitelists ORDER BY clauses.
var recipientSorts = map[string]string{
	"":           "r.id",
	"email":      "r.email_key",
	"-email":     "r.email_key DESC",
	"lastName":   "r.last_key, r.id",
	"-lastName":  "r.last_key DESC, r.id DESC",
	"createdAt":  "r.id",
	"-createdAt": "r.id DESC",
}

// FindRecipients returns one page of recipients matching f and their total.
func (s *RecipientService) FindRecipients(ctx context.Context, f resonanz.RecipientFilter) (resonanz.RecipientPage, error) {
	return s.findRecipients(ctx, f, resonanz.DefaultInterestHalfLife)
}

func (s *RecipientService) findRecipients(ctx context.Context, f resonanz.RecipientFilter, halfLife time.Duration) (resonanz.RecipientPage, error) {
	order, ok := recipientSorts[f.Sort]
	if !ok {
		return resonanz.RecipientPage{}, resonanz.E(resonanz.EINVALID, "error.recipient.sort", "Cannot sort by \"{sort}\".", "sort", f.Sort)
	}
	if f.Limit < 1 || f.Limit > 1000 || f.Offset < 0 {
		return resonanz.RecipientPage{}, resonanz.E(resonanz.EINVALID, "error.recipient.pageLimitMust", "Page limit must be 1 to 1000 and the offset not negative.")
	}
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return resonanz.RecipientPage{}, fmt.Errorf("find recipients: %w", err)
	}
	defer tx.Rollback()
	where, args := recipientWhere(f)
	if f.Rule != nil {
		if err := f.Rule.Validate(); err != nil {
			return resonanz.RecipientPage{}, err
		}
		c := &ruleCompiler{ctx: ctx, q: tx, now: s.db.Now(), halfLife: halfLife, visiting: map[int64]bool{}}
		expr, err := c.compile(*f.Rule, 0)
		if err != nil {
			return resonanz.RecipientPage{}, err
		}
		if where == "" {
			where = " WHERE (" + expr + ")"
		} else {
			where += " AND (" + expr + ")"
		}
		args = append(args, c.args...)
	}

	page := resonanz.RecipientPage{Recipients: []resonanz.Recipient{}}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recipient r`+where, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("find recipients: count: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+recipientColumns+` FROM recipient r`+where+
		` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return page, fmt.Errorf("find recipients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return page, fmt.Errorf("find recipients: %w", err)
		}
		page.Recipients = append(page.Recipients, r)
	}
	return page, rows.Err()
}

// recipientWhere builds the WHERE clause from fixed fragments; values are
// always bound parameters.
func recipientWhere(f resonanz.RecipientFilter) (string, []any) {
	var conds []string
	var args []any
	if q := searchKey(f.Search); q != "" {
		// Prefix match on e-mail, last or first name as index range scans
		// (SQLite runs the OR as a union of three index lookups), so a search
		// over a million recipients does not read the table.
		hi := q + "\U0010FFFF"
		conds = append(conds, `((r.email_key >= ? AND r.email_key < ?) OR (r.last_key >= ? AND r.last_key < ?) OR (r.first_key >= ? AND r.first_key < ?))`)
		args = append(args, q, hi, q, hi, q, hi)
	}
	if f.ListID != 0 {
		c := `EXISTS (SELECT 1 FROM membership m WHERE m.list_id = ? AND m.recipient_id = r.id`
		args = append(args, f.ListID)
		if f.Status != "" {
			c += ` AND m.status = ?`
			args = append(args, f.Status)
		}
		conds = append(conds, c+`)`)
	}
	if f.AfterID > 0 {
		conds = append(conds, `r.id > ?`)
		args = append(args, f.AfterID)
	}
	if len(f.IDs) > 0 {
		ids, _ := json.Marshal(f.IDs)
		conds = append(conds, `r.id IN (SELECT value FROM json_each(?))`)
		args = append(args, string(ids))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// RecipientByID returns one recipient.
func (s *RecipientService) RecipientByID(ctx context.Context, id int64) (resonanz.Recipient, error) {
	r, err := scanRecipient(s.db.db.QueryRowContext(ctx, `SELECT `+recipientColumns+` FROM recipient r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errRecipientNotFound()
	}
	return r, err
}

// RecipientByEmail returns the recipient with the address (matched normalized).
func (s *RecipientService) RecipientByEmail(ctx context.Context, email string) (resonanz.Recipient, error) {
	_, key, err := resonanz.NormalizeEmail(email)
	if err != nil {
		return resonanz.Recipient{}, err
	}
	r, err := scanRecipient(s.db.db.QueryRowContext(ctx, `SELECT `+recipientColumns+` FROM recipient r WHERE r.email_key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.recipient.notFound", Message: "There is no recipient with the address " + email + "."}
	}
	return r, err
}

// CreateRecipient validates and stores a new recipient.
func (s *RecipientService) CreateRecipient(ctx context.Context, in resonanz.Recipient) (resonanz.Recipient, error) {
	tx, r, key, err := s.beginWrite(ctx, in, "create recipient")
	if err != nil {
		return in, err
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	id, err := insertRecipient(ctx, tx, r, key, now)
	if err != nil {
		return in, err
	}
	if err := appendAudit(ctx, tx, now, "desk", "recipient.create", fmt.Sprint(id), "{}"); err != nil {
		return in, err
	}
	if err := tx.Commit(); err != nil {
		return in, fmt.Errorf("create recipient: %w", err)
	}
	return s.RecipientByID(ctx, id)
}

// UpdateRecipient validates and stores changed data of a recipient (rectification, GDPR Art. 16).
func (s *RecipientService) UpdateRecipient(ctx context.Context, in resonanz.Recipient) (resonanz.Recipient, error) {
	tx, r, key, err := s.beginWrite(ctx, in, "update recipient")
	if err != nil {
		return in, err
	}
	defer tx.Rollback()
	before, err := scanRecipient(tx.QueryRowContext(ctx, `SELECT `+recipientColumns+` FROM recipient r WHERE r.id = ?`, in.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return in, errRecipientNotFound()
	} else if err != nil {
		return in, fmt.Errorf("update recipient: %w", err)
	}
	now := millis(s.db.Now())
	if err := updateRecipient(ctx, tx, in.ID, r, key, now); err != nil {
		return in, err
	}
	if err := appendAudit(ctx, tx, now, "desk", "recipient.update", fmt.Sprint(in.ID), changedFields(before, r)); err != nil {
		return in, err
	}
	if err := tx.Commit(); err != nil {
		return in, fmt.Errorf("update recipient: %w", err)
	}
	return s.RecipientByID(ctx, in.ID)
}

// beginWrite opens the write transaction of a create or update and
// validates in against the custom attributes read in it; on error the
// transaction is already rolled back. Validation errors come back as they
// are (users see them); op prefixes the others.
func (s *RecipientService) beginWrite(ctx context.Context, in resonanz.Recipient, op string) (*sql.Tx, resonanz.Recipient, string, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, in, "", fmt.Errorf("%s: %w", op, err)
	}
	defs, err := customAttributes(ctx, tx)
	if err == nil {
		var r resonanz.Recipient
		var key string
		if r, key, err = prepareRecipient(in, defs); err == nil {
			return tx, r, key, nil
		}
	}
	tx.Rollback()
	return nil, in, "", err
}

// EraseRecipient deletes the person with their memberships, consent
// records, reactions and deliveries (GDPR Art. 17); reports keep them as
// anonymous counts. The audit row keeps no personal data.
func (s *RecipientService) EraseRecipient(ctx context.Context, id int64) error {
	return eraseRecipient(ctx, s.db, id, "desk", `{"erased":1}`)
}

// eraseRecipient erases the person in one transaction and audits it with
// actor and detail (which must hold no personal data).
func eraseRecipient(ctx context.Context, db *DB, id int64, actor, detail string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("erase recipient: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(db.Now())); err != nil || done {
		return err
	}
	// Aggregates stay correct: the person's reactions and deliveries become
	// anonymous counts before their rows go.
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO reaction_anon (mailing_id, type, link_id, hour, machine, n)
		SELECT mailing_id, type, COALESCE(link_id, 0), at / 3600000, flags & 1, COUNT(*)
		FROM reaction WHERE recipient_id = ? AND mailing_id IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5
		ON CONFLICT (mailing_id, type, link_id, hour, machine) DO UPDATE SET n = n + excluded.n`, id); err != nil {
		return fmt.Errorf("erase recipient: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO reaction_anon (mailing_id, type, link_id, hour, machine, n)
		SELECT mailing_id, 1, 0, at / 3600000, 0, COUNT(*)
		FROM delivery WHERE recipient_id = ? AND status = 'sent'
		GROUP BY 1, 2, 3, 4, 5
		ON CONFLICT (mailing_id, type, link_id, hour, machine) DO UPDATE SET n = n + excluded.n`, id); err != nil {
		return fmt.Errorf("erase recipient: %w", err)
	}
	// Quarantined provider events name the person by address.
	if _, err := tx.ExecContext(ctx, `DELETE FROM reaction_quarantine WHERE email_key = (SELECT email_key FROM recipient WHERE id = ?)`, id); err != nil {
		return fmt.Errorf("erase recipient: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM recipient WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("erase recipient: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errRecipientNotFound()
	}
	// Undo data of earlier imports would otherwise keep the person's old values.
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_change WHERE recipient_id = ?`, id); err != nil {
		return fmt.Errorf("erase recipient: %w", err)
	}
	if err := appendAudit(ctx, tx, millis(db.Now()), actor, "recipient.erase", "", detail); err != nil {
		return err
	}
	return tx.Commit()
}

// prepareRecipient normalizes and validates a recipient against the custom
// attribute definitions; it returns the stored form and the e-mail key.
func prepareRecipient(in resonanz.Recipient, defs map[string]resonanz.AttributeDef) (resonanz.Recipient, string, error) {
	email, key, err := resonanz.NormalizeEmail(in.Email)
	if err != nil {
		return in, "", err
	}
	r := resonanz.Recipient{
		ID: in.ID, Email: email,
		FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName),
		Title: strings.TrimSpace(in.Title), Language: strings.ToLower(strings.TrimSpace(in.Language)),
		Attributes: map[string]string{},
	}
	g, ok := resonanz.ParseGender(string(in.Gender))
	if !ok {
		return in, "", resonanz.FieldError("gender", "error.recipient.gender.invalid",
			"Unknown gender/salutation "+fmt.Sprintf("%q", in.Gender)+"; use Frau/Herr/divers, Ms/Mr, f/m/d or leave it empty.")
	}
	r.Gender = g
	switch r.Language {
	case "", "de", "en":
	case "deutsch", "german", "ger", "deu":
		r.Language = "de"
	case "englisch", "english", "eng":
		r.Language = "en"
	default:
		return in, "", resonanz.FieldError("language", "error.recipient.language.invalid", "The language must be de or en (or empty).")
	}
	// In a fixed order with words for people: the message names the field.
	for _, f := range []struct{ field, label, v string }{
		{"firstName", "first name", r.FirstName}, {"lastName", "last name", r.LastName}, {"title", "title", r.Title},
	} {
		if len(f.v) > resonanz.MaxFieldLength || strings.ContainsAny(f.v, "\r\n\x00") {
			return in, "", resonanz.FieldError(f.field, "error.recipient.field.invalid", "The "+f.label+" must be one line of at most 1000 characters.")
		}
	}
	for k, v := range in.Attributes {
		def, ok := defs[k]
		if !ok {
			return in, "", resonanz.FieldError(k, "error.attribute.unknown", fmt.Sprintf("There is no attribute %q; define it first.", k))
		}
		c, err := def.Canonical(v)
		if err != nil {
			return in, "", err
		}
		if c != "" {
			r.Attributes[k] = c
		}
	}
	return r, key, nil
}

// searchKey is the form names and search input are compared in: trimmed and
// lower-cased with Unicode rules (SQLite's lower() knows only ASCII).
func searchKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// recipientColumnCount is the number of values recipientValues returns.
const recipientColumnCount = 10

// recipientValues are a recipient's stored columns as statement arguments,
// from email to attrs: the normalized key, the lower-cased name keys and
// the attributes as a JSON object. Every insert and update of a recipient
// writes them; an import's reading goroutine computes them for every row,
// so its writer only passes them on.
func recipientValues(r resonanz.Recipient, key string) []any {
	attrs := "{}"
	if len(r.Attributes) > 0 {
		attrs = string(mustJSON(r.Attributes))
	}
	return []any{r.Email, key, r.FirstName, r.LastName, searchKey(r.FirstName), searchKey(r.LastName),
		string(r.Gender), r.Title, r.Language, attrs}
}

func insertRecipient(ctx context.Context, tx *sql.Tx, r resonanz.Recipient, key string, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO recipient (email, email_key, first_name, last_name, first_key, last_key, gender, title, language, attrs, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(recipientValues(r, key), now, now)...)
	if isUniqueViolation(err) {
		return 0, &resonanz.Error{Code: resonanz.ECONFLICT, Field: "email", Key: "error.recipient.email.taken",
			Message: "A recipient with the address " + r.Email + " already exists."}
	} else if err != nil {
		return 0, fmt.Errorf("insert recipient: %w", err)
	}
	return res.LastInsertId()
}

func updateRecipient(ctx context.Context, tx *sql.Tx, id int64, r resonanz.Recipient, key string, now int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE recipient SET email = ?, email_key = ?, first_name = ?, last_name = ?, first_key = ?, last_key = ?,
		       gender = ?, title = ?, language = ?, attrs = ?, updated_at = ?
		WHERE id = ?`,
		append(recipientValues(r, key), now, id)...)
	if isUniqueViolation(err) {
		return &resonanz.Error{Code: resonanz.ECONFLICT, Field: "email", Key: "error.recipient.email.taken",
			Message: "Another recipient already has the address " + r.Email + "."}
	} else if err != nil {
		return fmt.Errorf("update recipient: %w", err)
	}
	return nil
}

// changedFields describes an update for the audit log by field name only:
// the audit log must not become a second copy of personal data.
func changedFields(before, after resonanz.Recipient) string {
	var changed []string
	for name, pair := range map[string][2]string{
		"email": {before.Email, after.Email}, "firstName": {before.FirstName, after.FirstName},
		"lastName": {before.LastName, after.LastName}, "gender": {string(before.Gender), string(after.Gender)},
		"title": {before.Title, after.Title}, "language": {before.Language, after.Language},
	} {
		if pair[0] != pair[1] {
			changed = append(changed, name)
		}
	}
	for k, v := range after.Attributes {
		if before.Attributes[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range before.Attributes {
		if _, ok := after.Attributes[k]; !ok {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	b, _ := json.Marshal(map[string][]string{"changed": changed})
	return string(b)
}

// RecipientDetail returns the person with lists, consent ledger, derived
// consent state and the source of the data, read in one transaction so the
// parts agree with each other.
func (s *RecipientService) RecipientDetail(ctx context.Context, id int64) (resonanz.RecipientDetail, error) {
	var d resonanz.RecipientDetail
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d, fmt.Errorf("recipient detail: %w", err)
	}
	defer tx.Rollback()
	var importID sql.NullInt64
	d.Recipient, err = scanRecipient(tx.QueryRowContext(ctx, `SELECT `+recipientColumns+`, r.import_id FROM recipient r WHERE r.id = ?`, id), &importID)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errRecipientNotFound()
	} else if err != nil {
		return d, fmt.Errorf("recipient detail: %w", err)
	}
	source := resonanz.T("ledger.source.desk", "Entered in Resonanz on {date}", "date", d.Recipient.CreatedAt.Format("2006-01-02"))
	if importID.Valid {
		var file string
		var started int64
		if err := tx.QueryRowContext(ctx, `SELECT file_name, started_at FROM import_run WHERE id = ?`, importID.Int64).Scan(&file, &started); err == nil {
			source = resonanz.T("ledger.source.import", "Imported from \"{file}\" on {date} (import {importId})",
				"file", file, "date", fromMillis(started).Format("2006-01-02"), "importId", importID.Int64)
		}
	}
	d.Source, d.SourceKey, d.SourceParams = source.Message, source.Key, source.Params
	if d.Lists, err = memberships(ctx, tx, id); err != nil {
		return d, err
	}
	if d.Consent, err = consentHistory(ctx, tx, id); err != nil {
		return d, err
	}
	d.Current = resonanz.CurrentConsent(d.Consent)
	if d.OptIns, err = optIns(ctx, tx, id); err != nil {
		return d, err
	}
	if err := personActivity(ctx, tx, id, &d, resonanz.MaxDetailReactions, s.db.Now()); err != nil {
		return d, err
	}
	return d, tx.Commit()
}

// personActivity adds reactions (newest first, at most limit; 0: all),
// deliveries, suppression and the interest profile to d.
func personActivity(ctx context.Context, tx *sql.Tx, id int64, d *resonanz.RecipientDetail, limit int, now time.Time) error {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT re.type, re.at, COALESCE(re.mailing_id, 0), COALESCE(m.name, ''), COALESCE(l.url, ''), COALESCE(l.kind, ''),
		       re.flags, COALESCE(u.ua, ''), re.import_id IS NOT NULL
		FROM reaction re LEFT JOIN mailing m ON m.id = re.mailing_id LEFT JOIN link l ON l.id = re.link_id
		LEFT JOIN user_agent u ON u.id = re.ua_id
		WHERE re.recipient_id = ? ORDER BY re.at DESC, re.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return fmt.Errorf("recipient reactions: %w", err)
	}
	d.Reactions = []resonanz.PersonReaction{}
	for rows.Next() {
		var r resonanz.PersonReaction
		var code, flags int
		var at int64
		var imported bool
		if err := rows.Scan(&code, &at, &r.MailingID, &r.MailingName, &r.URL, &r.LinkKind, &flags, &r.UserAgent, &imported); err != nil {
			rows.Close()
			return fmt.Errorf("recipient reactions: %w", err)
		}
		r.Type, r.At, r.MachineOpen = reactionName(code), fromMillis(at), flags&flagMachineOpen != 0
		r.Source = "listener"
		if imported {
			r.Source = "import"
		}
		d.Reactions = append(d.Reactions, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recipient reactions: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT d.mailing_id, m.name, d.message_id, d.status, d.at FROM delivery d JOIN mailing m ON m.id = d.mailing_id
		WHERE d.recipient_id = ? ORDER BY d.at DESC`, id)
	if err != nil {
		return fmt.Errorf("recipient deliveries: %w", err)
	}
	d.Deliveries = []resonanz.PersonDelivery{}
	for rows.Next() {
		var p resonanz.PersonDelivery
		var at int64
		if err := rows.Scan(&p.MailingID, &p.MailingName, &p.MessageID, &p.Status, &at); err != nil {
			rows.Close()
			return fmt.Errorf("recipient deliveries: %w", err)
		}
		p.At = fromMillis(at)
		d.Deliveries = append(d.Deliveries, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recipient deliveries: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT reason FROM suppression WHERE recipient_id = ?), '')`, id).Scan(&d.Suppressed); err != nil {
		return fmt.Errorf("recipient suppression: %w", err)
	}
	scores, err := interestScores(ctx, tx, "", id, now, resonanz.DefaultInterestHalfLife)
	if err != nil {
		return err
	}
	d.Interests = []resonanz.InterestScore{}
	for _, s := range scores[id] {
		d.Interests = append(d.Interests, *s)
	}
	slices.SortFunc(d.Interests, func(a, b resonanz.InterestScore) int { return cmp.Compare(b.Score, a.Score) })
	d.Surveys, err = personSurveys(ctx, tx, id)
	return err
}

// PersonalData returns everything stored about a person (GDPR Art. 15/20):
// the detail with all reactions.
func (s *RecipientService) PersonalData(ctx context.Context, id int64) (resonanz.PersonalDataExport, error) {
	d, err := s.RecipientDetail(ctx, id)
	if err != nil {
		return resonanz.PersonalDataExport{}, err
	}
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return resonanz.PersonalDataExport{}, fmt.Errorf("personal data: %w", err)
	}
	defer tx.Rollback()
	if err := personActivity(ctx, tx, id, &d, 0, s.db.Now()); err != nil {
		return resonanz.PersonalDataExport{}, err
	}
	return resonanz.PersonalDataExport{Format: resonanz.PersonalDataFormat, ExportedAt: s.db.Now().UTC(), RecipientDetail: d}, nil
}
