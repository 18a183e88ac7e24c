package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// ImportService implements resonanz.RecipientImporter: batched, one
// transaction per batch, every change recorded for undo.
type ImportService struct {
	db *DB
	// BatchSize is the number of rows per transaction.
	BatchSize int
}

var _ resonanz.RecipientImporter = (*ImportService)(nil)

// NewImportService returns the importer over db.
func NewImportService(db *DB) *ImportService { return &ImportService{db: db, BatchSize: 2000} }

// importPlan is what an import needs beyond the rows, resolved once.
type importPlan struct {
	opt      resonanz.RecipientImport
	importID int64
	listID   int64
	defs     map[string]resonanz.AttributeDef
	consents map[string]consentTarget // field -> purpose/list
	seen     namedKeys                // e-mail keys already named by a row of this import
	now      int64
	existing int  // recipients in the store when the import began
	deferred bool // the name indexes are dropped and get built when the import ends
	lookup   bool // a batch met a person who exists: later batches look everyone up first
}

// namedKeys is the set of e-mail keys an import has named so far, kept as
// 128-bit hashes: a 1M-row import holds 16 bytes per address instead of
// the address and a map entry for it (about 70 MB less live heap). Two
// different addresses share a hash with a chance of about n²/2¹²⁹, for
// n = 10M rows 1 in 10²⁴.
type namedKeys struct {
	seed [2]maphash.Seed
	set  map[[2]uint64]struct{}
}

func newNamedKeys() namedKeys {
	return namedKeys{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, set: map[[2]uint64]struct{}{}}
}

func (n namedKeys) hash(key string) [2]uint64 {
	return [2]uint64{maphash.String(n.seed[0], key), maphash.String(n.seed[1], key)}
}

func (n namedKeys) has(key string) bool {
	_, ok := n.set[n.hash(key)]
	return ok
}

func (n namedKeys) add(key string)    { n.set[n.hash(key)] = struct{}{} }
func (n namedKeys) remove(key string) { delete(n.set, n.hash(key)) }

type consentTarget struct {
	purpose string
	listID  int64
}

// snapshot is a recipient as it was before an import changed it.
type snapshot struct {
	Recipient  resonanz.Recipient `json:"recipient"`
	Membership string             `json:"membership"` // status on the import's list before, "" if none
}

// ImportRecipients reads rows from src and stores them in batches. A row that
// cannot be used is rejected with its line and reason; the rest imports. On
// cancellation the batches already committed stay (and can be undone).
//
// Reading and preparing rows (CSV decoding, address and attribute
// validation) runs in its own goroutine, one batch ahead of the writer, so
// on two cores Go's work overlaps SQLite's.
func (s *ImportService) ImportRecipients(ctx context.Context, src resonanz.RowSource, opt resonanz.RecipientImport, progress func(resonanz.ImportProgress)) (resonanz.ImportResult, error) {
	res := resonanz.ImportResult{Rejected: []resonanz.RowError{}, Warnings: []resonanz.RowError{}}
	plan, err := s.begin(ctx, opt)
	if err != nil {
		return res, err
	}
	res.ImportID = plan.importID
	stop := s.db.keepAlive(plan.importID)
	defer stop()

	// The writer hands a written batch's row slice back to the reader.
	spare := make(chan []preparedRow, 2)
	cancelled, failure := pipeline(ctx,
		func() (preparedBatch, bool, error) {
			var buf []preparedRow
			select {
			case buf = <-spare:
			default:
				buf = make([]preparedRow, 0, s.BatchSize)
			}
			b := plan.readBatch(src, buf, s.BatchSize)
			return b, b.eof, b.err
		},
		func(b preparedBatch) error {
			res.Read += b.read
			res.Rejected = append(res.Rejected, b.rejected...)
			if b.err != nil {
				return nil // the pipeline reports the source's error
			}
			if err := s.writeBatch(ctx, plan, b.rows, &res); err != nil {
				return err
			}
			clear(b.rows[:cap(b.rows)])
			select {
			case spare <- b.rows[:0]:
			default:
			}
			if progress != nil {
				progress(resonanz.ImportProgress{Rows: res.Read})
			}
			return nil
		})
	res.Cancelled = cancelled
	slices.SortStableFunc(res.Rejected, func(a, b resonanz.RowError) int { return a.Line - b.Line })
	if plan.deferred && progress != nil {
		progress(resonanz.ImportProgress{Rows: res.Read, Phase: resonanz.ImportPhaseIndexing})
	}
	if failure != nil {
		s.finish(plan, "failed", res)
		return res, failure
	}
	status := "done"
	if res.Cancelled {
		status = "cancelled"
	}
	slices.SortStableFunc(res.Warnings, func(a, b resonanz.RowError) int { return a.Line - b.Line })
	if plan.listID != 0 {
		res.ListID = plan.listID
		if err := s.readiness(ctx, &res); err != nil {
			return res, err
		}
	}
	if err := s.finish(plan, status, res); err != nil {
		return res, err
	}
	return res, nil
}

// readiness counts the members of the import's list who will not receive
// mailings (the audience's rule, eligibleSQL): without a current newsletter
// consent for the list, or not confirmed. Unsubscribed and suppressed
// people are left out: they chose so, or their address does not work.
func (s *ImportService) readiness(ctx context.Context, res *resonanz.ImportResult) error {
	err := s.db.db.QueryRowContext(ctx, `
		WITH current AS (SELECT recipient_id, granted, MAX(at) FROM consent
		                 WHERE purpose = 'newsletter' AND list_id = ?1 GROUP BY recipient_id),
		     members AS (SELECT m.recipient_id AS id, m.status FROM membership m
		                 WHERE m.list_id = ?1 AND m.status IN ('confirmed', 'unconfirmed')
		                   AND m.recipient_id NOT IN (SELECT recipient_id FROM suppression))
		SELECT
		  (SELECT COUNT(*) FROM members WHERE status = 'unconfirmed' OR id NOT IN (SELECT recipient_id FROM current WHERE granted = 1)),
		  (SELECT COUNT(*) FROM members WHERE id NOT IN (SELECT recipient_id FROM current WHERE granted = 1)),
		  (SELECT COUNT(*) FROM members WHERE status = 'unconfirmed')`, res.ListID).Scan(&res.NotMailable, &res.NoConsent, &res.Unconfirmed)
	if err != nil {
		return fmt.Errorf("import: readiness: %w", err)
	}
	return nil
}

// preparedRow is a row turned into a validated recipient.
type preparedRow struct {
	line          int
	r             resonanz.Recipient
	key           string
	values        []any           // the columns of r as a new recipient (recipientValues)
	consentFields []string        // consent fields the row says yes to
	consents      []consentTarget // and what they grant, resolved by the writer
	warning       *resonanz.RowError
}

// preparedBatch is what the reading goroutine hands to the writer.
type preparedBatch struct {
	rows     []preparedRow
	rejected []resonanz.RowError
	read     int
	eof      bool
	err      error
}

// readBatch reads up to n rows into buf and prepares them; it touches no
// database.
func (plan *importPlan) readBatch(src resonanz.RowSource, buf []preparedRow, n int) preparedBatch {
	b := preparedBatch{rows: buf[:0]}
	for b.read < n {
		row, err := src.Next()
		var rowErr *resonanz.RowError
		if errors.Is(err, io.EOF) {
			b.eof = true
			return b
		} else if errors.As(err, &rowErr) {
			b.read++
			b.rejected = append(b.rejected, *rowErr)
			continue
		} else if err != nil {
			b.err = err
			return b
		}
		b.read++
		p, err := plan.recipientFromRow(row)
		if err == nil {
			p.r, p.key, err = prepareRecipient(p.r, plan.defs)
		}
		if err != nil {
			b.rejected = append(b.rejected, resonanz.RowErrorOf(row.Line, err))
			continue
		}
		p.values = recipientValues(p.r, p.key)
		b.rows = append(b.rows, p)
	}
	return b
}

// begin validates the options, creates the list if needed and records the run.
func (s *ImportService) begin(ctx context.Context, opt resonanz.RecipientImport) (*importPlan, error) {
	if opt.Mode == "" {
		opt.Mode = resonanz.ImportUpdate
	}
	if opt.Mode != resonanz.ImportUpdate && opt.Mode != resonanz.ImportSkip {
		return nil, resonanz.FieldError("mode", "error.import.mode.invalid", "The import mode must be update or skip.")
	}
	if opt.Status == "" {
		opt.Status = resonanz.StatusConfirmed
	}
	if opt.Status != resonanz.StatusConfirmed && opt.Status != resonanz.StatusUnconfirmed {
		return nil, resonanz.FieldError("status", "error.import.status.invalid", "Imported members are either confirmed or unconfirmed.")
	}
	opt.ListName = strings.TrimSpace(opt.ListName)
	now := millis(s.db.Now())
	if opt.ConsentAt.IsZero() {
		opt.ConsentAt = fromMillis(now)
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback()
	if err := markInterrupted(ctx, tx, s.db.Now()); err != nil {
		return nil, err
	}
	plan := &importPlan{opt: opt, now: now, consents: map[string]consentTarget{}, seen: newNamedKeys()}
	if plan.defs, err = customAttributes(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM recipient`).Scan(&plan.existing); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if opt.ListName != "" {
		if plan.listID, err = ensureList(ctx, tx, opt.ListName, now); err != nil {
			return nil, err
		}
	}
	options, _ := json.Marshal(opt)
	r, err := tx.ExecContext(ctx, `INSERT INTO import_run (kind, file_name, options, started_at, status, stats) VALUES ('recipients', ?, ?, ?, 'running', ?)`,
		opt.FileName, string(options), now, ownerStats(now))
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	plan.importID, _ = r.LastInsertId()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return plan, nil
}

// CheckFields validates an import's field keys before any row is read:
// unknown attributes and consent columns without stated source and evidence
// are refused up front, so nothing is half-imported.
func (s *ImportService) CheckFields(ctx context.Context, fields []string, opt resonanz.RecipientImport) error {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback()
	defs, err := customAttributes(ctx, tx)
	if err != nil {
		return err
	}
	hasEmail := false
	for _, f := range fields {
		switch {
		case f == resonanz.KeyEmail:
			hasEmail = true
		case resonanz.IsBuiltinKey(f):
		case strings.HasPrefix(f, resonanz.ConsentPrefix):
			if _, _, err := resonanz.ParsePurpose(strings.TrimPrefix(f, resonanz.ConsentPrefix)); err != nil {
				return err
			}
			if strings.TrimSpace(opt.ConsentSource) == "" || strings.TrimSpace(opt.ConsentEvidence) == "" {
				return resonanz.FieldError("consentSource", "error.import.consent.evidence",
					"Importing consent needs a stated source and evidence text (where and how the people agreed).")
			}
		default:
			if _, ok := defs[f]; !ok {
				return resonanz.E(resonanz.EINVALID, "error.import.run.attributeDefineMap", "There is no attribute \"{value}\"; define it first or map the column elsewhere.", "value", f)
			}
		}
	}
	if !hasEmail {
		return resonanz.E(resonanz.EINVALID, "error.import.run.columnMappedE", "No column is mapped to the e-mail address.")
	}
	return nil
}

func ensureList(ctx context.Context, tx *sql.Tx, name string, now int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM list WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if err := (resonanz.List{Name: name}).Validate(); err != nil {
			return 0, err
		}
		return insertList(ctx, tx, resonanz.List{Name: name}, now)
	}
	return id, err
}

// writeBatch stores one prepared batch in one transaction.
//
// Most rows of a large import name people the store does not know yet.
// While that holds, a batch goes in optimistically: its new people are
// inserted without first looking up every address, and the e-mail key's
// UNIQUE index is the check. If an address turns out to exist after all,
// the batch is rolled back to its savepoint and done again with the lookup,
// and so are the batches after it.
func (s *ImportService) writeBatch(ctx context.Context, plan *importPlan, rows []preparedRow, res *resonanz.ImportResult) error {
	if len(rows) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import batch: %w", err)
	}
	defer tx.Rollback()

	preps := rows[:0] // the batch is the writer's now: filtered in place
	optimistic := !plan.lookup
rowLoop:
	for _, row := range rows {
		for _, field := range row.consentFields {
			target, err := plan.consentTarget(ctx, tx, field)
			if err != nil {
				res.Rejected = append(res.Rejected, resonanz.RowErrorOf(row.line, err))
				continue rowLoop
			}
			row.consents = append(row.consents, target)
		}
		if row.warning != nil {
			res.Warnings = append(res.Warnings, *row.warning)
		}
		preps = append(preps, row)
		// A person an earlier batch of this import named is in the store.
		optimistic = optimistic && !plan.seen.has(row.key)
	}

	if optimistic {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT fresh`); err != nil {
			return fmt.Errorf("import batch: %w", err)
		}
		before, deferred := *res, plan.deferred
		err := s.applyBatch(ctx, tx, plan, preps, make(map[string]*existingRecipient, len(preps)), res)
		if err == nil {
			return tx.Commit()
		}
		if !isUniqueViolation(err) {
			return err
		}
		// Someone in the batch exists already: undo the attempt and look up.
		*res, plan.deferred = before, deferred
		for _, p := range preps {
			plan.seen.remove(p.key)
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO fresh`); err != nil {
			return fmt.Errorf("import batch: %w", err)
		}
		plan.lookup = true
	}
	keys := make([]string, len(preps))
	for i, p := range preps {
		keys[i] = p.key
	}
	existing, err := recipientsByKeys(ctx, tx, keys, plan.listID)
	if err != nil {
		return err
	}
	if err := s.applyBatch(ctx, tx, plan, preps, existing, res); err != nil {
		return err
	}
	return tx.Commit()
}

// applyBatch decides per row against the people known to exist and writes
// the batch. Every row gets one outcome: created, updated or skipped
// (unchanged, skip mode, or a repeat of a person the file named before);
// repeats of one person within the file merge into that person.
func (s *ImportService) applyBatch(ctx context.Context, tx *sql.Tx, plan *importPlan, preps []preparedRow, existing map[string]*existingRecipient, res *resonanz.ImportResult) error {
	type outcome struct {
		who      *existingRecipient
		consents []consentTarget
		existing bool // an existing person named for the first time: updated if anything changed
		touched  bool
	}
	outcomes := make([]outcome, 0, len(preps))
	fresh := make([]*existingRecipient, 0, len(preps)) // to insert, in file order
	var insChange *sql.Stmt
	for _, p := range preps {
		ex, known := existing[p.key]
		repeat := plan.seen.has(p.key)
		plan.seen.add(p.key)
		switch {
		case known && plan.opt.Mode == resonanz.ImportSkip:
			res.Skipped++ // existing recipients stay untouched: data, lists and consent
			continue
		case !known:
			ex = &existingRecipient{snap: snapshot{Recipient: p.r}, key: p.key, values: p.values}
			existing[p.key] = ex
			fresh = append(fresh, ex)
			res.Created++
		case ex.snap.Recipient.ID == 0: // created by an earlier row of this batch: a repeat
			ex.snap.Recipient = mergeRecipient(ex.snap.Recipient, p.r)
			ex.values = nil // the merged person's columns are computed again
			res.Skipped++
		default:
			merged := mergeRecipient(ex.snap.Recipient, p.r)
			changed := !sameRecipient(merged, ex.snap.Recipient)
			joins := plan.listID != 0 && ex.snap.Membership == ""
			if changed || joins || len(p.consents) > 0 {
				if insChange == nil {
					var err error
					if insChange, err = tx.PrepareContext(ctx, `INSERT OR IGNORE INTO import_change (import_id, recipient_id, before) VALUES (?, ?, ?)`); err != nil {
						return fmt.Errorf("import batch: %w", err)
					}
					defer insChange.Close()
				}
				// The first snapshot of this import wins: it is the state undo restores.
				before, _ := json.Marshal(ex.snap)
				if _, err := insChange.ExecContext(ctx, plan.importID, ex.snap.Recipient.ID, string(before)); err != nil {
					return fmt.Errorf("import batch: %w", err)
				}
			}
			if changed {
				if err := updateRecipient(ctx, tx, ex.snap.Recipient.ID, merged, p.key, plan.now); err != nil {
					return fmt.Errorf("line %d: %w", p.line, err)
				}
				ex.snap.Recipient = merged
			}
			if joins {
				ex.joins = true
			}
			if repeat {
				res.Skipped++
			}
			outcomes = append(outcomes, outcome{who: ex, consents: p.consents, existing: !repeat, touched: changed || joins})
			continue
		}
		outcomes = append(outcomes, outcome{who: ex, consents: p.consents})
	}

	// Then insert the new recipients, then memberships and consent grants.
	if !plan.deferred && deferNameIndexes(res.Created, plan.existing, s.BatchSize) {
		if err := dropNameIndexes(ctx, tx); err != nil {
			return fmt.Errorf("import batch: %w", err)
		}
		plan.deferred = true // even if this batch rolls back: building them at the end is then a no-op
	}
	if err := insertRecipients(ctx, tx, fresh, plan); err != nil {
		return err
	}
	if plan.listID != 0 {
		if err := freshMemberships(ctx, tx, plan, fresh); err != nil {
			return err
		}
		var members []int64
		for _, ex := range existing {
			if ex.joins {
				members = append(members, ex.snap.Recipient.ID)
				ex.joins = false
				ex.snap.Membership = plan.opt.Status
			}
		}
		if err := insertMemberships(ctx, tx, plan, members); err != nil {
			return err
		}
		for _, ex := range fresh {
			ex.snap.Membership = plan.opt.Status
		}
	}
	for _, o := range outcomes {
		if len(o.consents) > 0 {
			granted, err := plan.grantConsents(ctx, tx, o.who.snap.Recipient.ID, o.consents)
			if err != nil {
				return err
			}
			o.touched = o.touched || granted
		}
		if o.existing {
			if o.touched {
				res.Updated++
			} else {
				res.Skipped++
			}
		}
	}
	return nil
}

// insertChunk is the number of rows per multi-row INSERT (ten parameters
// each, far below SQLite's limit of 32766).
const insertChunk = 64

// insertRecipients inserts the new recipients with ids of their own: the
// batch holds the write lock, so the ids after the largest one are free,
// which is what SQLite would choose too. The statements go through Query,
// not Exec: go-sqlite3 binds a query's arguments in one call into SQLite
// and an Exec's one call per argument.
func insertRecipients(ctx context.Context, tx *sql.Tx, fresh []*existingRecipient, plan *importPlan) error {
	if len(fresh) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM recipient`).Scan(&last); err != nil {
		return fmt.Errorf("import batch: insert recipients: %w", err)
	}
	var full *sql.Stmt // prepared once per batch for full chunks
	if len(fresh) >= insertChunk {
		var err error
		if full, err = tx.PrepareContext(ctx, plan.insertRecipientsSQL(insertChunk)); err != nil {
			return fmt.Errorf("import batch: insert recipients: %w", err)
		}
		defer full.Close()
	}
	args := make([]any, 0, 1+insertChunk*recipientColumnCount)
	for len(fresh) > 0 {
		chunk := fresh[:min(insertChunk, len(fresh))]
		fresh = fresh[len(chunk):]
		args = append(args[:0], last)
		for _, ex := range chunk {
			if ex.values == nil {
				ex.values = recipientValues(ex.snap.Recipient, ex.key)
			}
			last++
			ex.snap.Recipient.ID = last
			args = append(args, ex.values...)
			ex.values = nil
		}
		var rows *sql.Rows
		var err error
		if len(chunk) == insertChunk {
			rows, err = full.QueryContext(ctx, args...)
		} else {
			rows, err = tx.QueryContext(ctx, plan.insertRecipientsSQL(len(chunk)), args...)
		}
		if err == nil {
			rows.Close()
			err = rows.Err()
		}
		if err != nil {
			return fmt.Errorf("import batch: insert recipients: %w", err)
		}
	}
	return nil
}

// insertRecipientsSQL is the INSERT of n new recipients. ?1 is the id
// before the first; each row's id is ?1 plus its place, and the import and
// time, the same for every row, are written as numbers: every argument
// costs database/sql a conversion, and a row then needs only its ten
// columns.
func (plan *importPlan) insertRecipientsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO recipient (id, email, email_key, first_name, last_name, first_key, last_key, gender, title, language, attrs, import_id, created_at, updated_at) VALUES `)
	fixed := fmt.Sprintf(",%d,%d,%d)", plan.importID, plan.now, plan.now)
	p := 2
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(?1+%d", i+1)
		for range recipientColumnCount {
			fmt.Fprintf(&b, ",?%d", p)
			p++
		}
		b.WriteString(fixed)
	}
	return b.String()
}

// freshMemberships puts the recipients this batch created on the import's
// list with one INSERT … SELECT over their id range: no argument per row
// crosses into SQLite. Every recipient of the import in that range is one
// of them or already a member (ON CONFLICT DO NOTHING).
func freshMemberships(ctx context.Context, tx *sql.Tx, plan *importPlan, fresh []*existingRecipient) error {
	if len(fresh) == 0 {
		return nil
	}
	lo, hi := fresh[0].snap.Recipient.ID, fresh[0].snap.Recipient.ID
	for _, ex := range fresh[1:] {
		lo, hi = min(lo, ex.snap.Recipient.ID), max(hi, ex.snap.Recipient.ID)
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO membership (list_id, recipient_id, status, updated_at)
		SELECT ?, id, ?, ? FROM recipient WHERE id BETWEEN ? AND ? AND import_id = ?
		ON CONFLICT (list_id, recipient_id) DO NOTHING`, plan.listID, plan.opt.Status, plan.now, lo, hi, plan.importID)
	if err != nil {
		return fmt.Errorf("import batch: memberships: %w", err)
	}
	if n, _ := r.RowsAffected(); n != int64(len(fresh)) {
		return fmt.Errorf("import batch: memberships: %d added for %d new recipients", n, len(fresh))
	}
	return nil
}

// insertMemberships puts recipients on the import's list. An existing
// membership is never changed: an import must not resubscribe someone who
// unsubscribed.
func insertMemberships(ctx context.Context, tx *sql.Tx, plan *importPlan, ids []int64) error {
	for len(ids) > 0 {
		chunk := ids[:min(insertChunk*2, len(ids))]
		ids = ids[len(chunk):]
		q := strings.Builder{}
		q.WriteString(`INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES `)
		args := make([]any, 0, len(chunk)*4)
		for i, id := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(`(?,?,?,?)`)
			args = append(args, plan.listID, id, plan.opt.Status, plan.now)
		}
		q.WriteString(` ON CONFLICT (list_id, recipient_id) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("import batch: memberships: %w", err)
		}
	}
	return nil
}

type existingRecipient struct {
	snap   snapshot
	key    string
	joins  bool  // joins the import's list in this batch
	values []any // a new person's columns (recipientValues), nil once inserted or when to be computed
}

// recipientFromRow splits a row into recipient fields and consent answers.
func (plan *importPlan) recipientFromRow(row resonanz.ImportRow) (preparedRow, error) {
	out := preparedRow{line: row.Line} // Attributes stays nil unless the row has some
	for k, v := range row.Values {
		switch k {
		case resonanz.KeyEmail:
			out.r.Email = v
		case resonanz.KeyFirstName:
			out.r.FirstName = v
		case resonanz.KeyLastName:
			out.r.LastName = v
		case resonanz.KeyGender:
			// A salutation the store does not know ("Familie", "Firma",
			// "Eheleute") imports as the neutral one, with a warning:
			// the person is a real customer, the row is not wrong.
			if g, ok := resonanz.ParseGender(v); ok {
				out.r.Gender = g
			} else {
				out.warning = &resonanz.RowError{Line: row.Line, Key: "import.warning.salutation",
					Params: map[string]string{"value": v},
					Reason: fmt.Sprintf("The salutation %q is not known; the neutral salutation is used.", v)}
			}
		case resonanz.KeyTitle:
			out.r.Title = v
		case resonanz.KeyLanguage:
			out.r.Language = v
		default:
			if !strings.HasPrefix(k, resonanz.ConsentPrefix) {
				if v != "" {
					if out.r.Attributes == nil {
						out.r.Attributes = map[string]string{}
					}
					out.r.Attributes[k] = v
				}
				continue
			}
			yes, err := (resonanz.AttributeDef{Key: k, Label: k, Type: resonanz.AttrBoolean}).Canonical(v)
			if err != nil {
				return out, err
			}
			if yes == "true" { // "no" or empty: no consent is recorded; nothing is pre-ticked
				out.consentFields = append(out.consentFields, k)
			}
		}
	}
	return out, nil
}

func (plan *importPlan) consentTarget(ctx context.Context, tx *sql.Tx, field string) (consentTarget, error) {
	if t, ok := plan.consents[field]; ok {
		return t, nil
	}
	if strings.TrimSpace(plan.opt.ConsentSource) == "" || strings.TrimSpace(plan.opt.ConsentEvidence) == "" {
		return consentTarget{}, resonanz.E(resonanz.EINVALID, "error.import.run.consentColumnNeeds", "The consent column needs a stated source and evidence text for the import.")
	}
	purpose, listName, err := resonanz.ParsePurpose(strings.TrimPrefix(field, resonanz.ConsentPrefix))
	if err != nil {
		return consentTarget{}, err
	}
	t := consentTarget{purpose: purpose}
	if listName != "" {
		if t.listID, err = ensureList(ctx, tx, listName, plan.now); err != nil {
			return consentTarget{}, err
		}
	}
	plan.consents[field] = t
	return t, nil
}

// grantConsents appends the imported grants that are not already current.
func (plan *importPlan) grantConsents(ctx context.Context, tx *sql.Tx, recipientID int64, targets []consentTarget) (bool, error) {
	appended := false
	for _, t := range targets {
		var granted bool
		err := tx.QueryRowContext(ctx, `SELECT granted FROM consent WHERE recipient_id = ? AND purpose = ? AND list_id = ?
			ORDER BY at DESC, id DESC LIMIT 1`, recipientID, t.purpose, t.listID).Scan(&granted)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("import consent: %w", err)
		}
		if granted {
			continue
		}
		c := resonanz.ConsentRecord{RecipientID: recipientID, Purpose: t.purpose, ListID: t.listID, Granted: true,
			At: plan.opt.ConsentAt, Source: resonanz.SourceImport, Wording: plan.opt.ConsentEvidence, Evidence: plan.opt.ConsentSource}
		if _, err := insertConsent(ctx, tx, c, plan.importID); err != nil {
			return false, err
		}
		appended = true
	}
	return appended, nil
}

// recipientsByKeys loads the recipients with the given e-mail keys and their
// membership status on listID.
func recipientsByKeys(ctx context.Context, tx *sql.Tx, keys []string, listID int64) (map[string]*existingRecipient, error) {
	out := make(map[string]*existingRecipient, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	j, _ := json.Marshal(keys)
	rows, err := tx.QueryContext(ctx, `
		SELECT `+recipientColumns+`, r.email_key, COALESCE(m.status, '')
		FROM recipient r LEFT JOIN membership m ON m.recipient_id = r.id AND m.list_id = ?
		WHERE r.email_key IN (SELECT value FROM json_each(?))`, listID, string(j))
	if err != nil {
		return nil, fmt.Errorf("import: match existing: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, status string
		r, err := scanRecipient(rows, &key, &status)
		if err != nil {
			return nil, fmt.Errorf("import: match existing: %w", err)
		}
		out[key] = &existingRecipient{snap: snapshot{Recipient: r, Membership: status}, key: key}
	}
	return out, rows.Err()
}

// mergeRecipient applies the non-empty fields of the file to an existing
// recipient: an empty cell means "not known here", never "delete". The
// e-mail address matched by its key, so it stays as first written (a file
// spelling it "ANNA@…" does not rewrite "anna@…").
func mergeRecipient(old, in resonanz.Recipient) resonanz.Recipient {
	m := old
	m.Attributes = maps.Clone(old.Attributes)
	if m.Attributes == nil {
		m.Attributes = map[string]string{}
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&m.FirstName, in.FirstName}, {&m.LastName, in.LastName}, {(*string)(&m.Gender), string(in.Gender)},
		{&m.Title, in.Title}, {&m.Language, in.Language},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	maps.Copy(m.Attributes, in.Attributes) // prepared attributes hold non-empty values only
	return m
}

func sameRecipient(a, b resonanz.Recipient) bool {
	return a.Email == b.Email && a.FirstName == b.FirstName && a.LastName == b.LastName && a.Gender == b.Gender &&
		a.Title == b.Title && a.Language == b.Language && maps.Equal(a.Attributes, b.Attributes)
}

// finish records the outcome of the run and an audit entry.
func (s *ImportService) finish(plan *importPlan, status string, res resonanz.ImportResult) error {
	detail := fmt.Sprintf(`{"status":%q,"read":%d,"created":%d,"updated":%d,"skipped":%d,"rejected":%d}`,
		status, res.Read, res.Created, res.Updated, res.Skipped, len(res.Rejected))
	var also func(context.Context, *sql.Tx) error
	if plan.deferred {
		also = buildNameIndexes
	}
	return s.db.finishRun(plan.importID, "import", status, res, "import.recipients", detail, also)
}

// Imports returns the recorded recipient imports, newest first.
func (s *ImportService) Imports(ctx context.Context) ([]resonanz.ImportRun, error) {
	if err := s.db.markInterruptedNow(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.db.QueryContext(ctx, `
		SELECT id, kind, file_name, started_at, COALESCE(finished_at, 0), status, stats FROM import_run
		WHERE kind = 'recipients' ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("read imports: %w", err)
	}
	defer rows.Close()
	out := []resonanz.ImportRun{}
	for rows.Next() {
		var r resonanz.ImportRun
		var started, finished int64
		var stats string
		if err := rows.Scan(&r.ID, &r.Kind, &r.FileName, &started, &finished, &r.Status, &stats); err != nil {
			return nil, fmt.Errorf("read imports: %w", err)
		}
		r.StartedAt = fromMillis(started)
		if finished != 0 {
			r.FinishedAt = fromMillis(finished)
		}
		if err := json.Unmarshal([]byte(stats), &r.Result); err != nil {
			return nil, fmt.Errorf("read import %d stats: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UndoImport reverts an import in one transaction: recipients it created are
// deleted, recipients it updated get their earlier data back and lose the
// list membership the import added, and every consent it granted that is
// still current is withdrawn by a new ledger record (the ledger itself is
// never rewritten).
func (s *ImportService) UndoImport(ctx context.Context, importID int64) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("undo import: %w", err)
	}
	defer tx.Rollback()
	if err := markInterrupted(ctx, tx, s.db.Now()); err != nil {
		return err
	}
	var status, options string
	err = tx.QueryRowContext(ctx, `SELECT status, options FROM import_run WHERE id = ? AND kind = 'recipients'`, importID).Scan(&status, &options)
	if errors.Is(err, sql.ErrNoRows) {
		return resonanz.E(resonanz.ENOTFOUND, "error.import.run.unknown", "There is no import {importID}.", "importID", importID)
	} else if err != nil {
		return fmt.Errorf("undo import: %w", err)
	}
	switch status {
	case "undone":
		return resonanz.E(resonanz.ECONFLICT, "error.import.run.importWasAlready", "Import {importID} was already undone.", "importID", importID)
	case "running":
		return resonanz.E(resonanz.ECONFLICT, "error.import.run.importStillRunning", "Import {importID} is still running.", "importID", importID)
	}
	var opt resonanz.RecipientImport
	if err := json.Unmarshal([]byte(options), &opt); err != nil {
		return fmt.Errorf("undo import %d: options: %w", importID, err)
	}
	var listID int64
	if opt.ListName != "" {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM list WHERE name = ?`, opt.ListName).Scan(&listID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("undo import: %w", err)
		}
	}
	now := millis(s.db.Now())

	// Withdraw the grants of this import that are still the current state.
	// (The grants' wording is the import's stated evidence, without a key.)
	undone := resonanz.T("ledger.evidence.importUndone", "Import {importId} undone", "importId", importID)
	undoneParams, _ := json.Marshal(undone.Params)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash, evidence, evidence_key, text_params)
		SELECT c.recipient_id, c.purpose, c.list_id, 0, ?, 'import', c.wording, c.wording_hash, ?, ?, ?
		FROM consent c
		WHERE c.import_id = ? AND c.granted = 1
		  AND c.id = (SELECT c2.id FROM consent c2 WHERE c2.recipient_id = c.recipient_id AND c2.purpose = c.purpose
		              AND c2.list_id = c.list_id ORDER BY c2.at DESC, c2.id DESC LIMIT 1)
		  AND c.recipient_id IN (SELECT recipient_id FROM import_change WHERE import_id = ?)`,
		now, undone.Message, undone.Key, string(undoneParams), importID, importID); err != nil {
		return fmt.Errorf("undo import: withdraw consent: %w", err)
	}

	created, err := tx.ExecContext(ctx, `DELETE FROM recipient WHERE import_id = ?`, importID)
	if err != nil {
		return fmt.Errorf("undo import: %w", err)
	}
	deleted, _ := created.RowsAffected()
	rows, err := tx.QueryContext(ctx, `SELECT recipient_id, before FROM import_change WHERE import_id = ?`, importID)
	if err != nil {
		return fmt.Errorf("undo import: %w", err)
	}
	type change struct {
		id     int64
		before string
	}
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.id, &c.before); err != nil {
			rows.Close()
			return fmt.Errorf("undo import: %w", err)
		}
		changes = append(changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("undo import: %w", err)
	}
	for _, c := range changes {
		var snap snapshot
		if err := json.Unmarshal([]byte(c.before), &snap); err != nil {
			return fmt.Errorf("undo import: recipient %d: %w", c.id, err)
		}
		_, key, err := resonanz.NormalizeEmail(snap.Recipient.Email)
		if err != nil {
			return fmt.Errorf("undo import: recipient %d: %w", c.id, err)
		}
		if err := updateRecipient(ctx, tx, c.id, snap.Recipient, key, now); err != nil {
			return err
		}
		if listID != 0 && snap.Membership == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM membership WHERE list_id = ? AND recipient_id = ?`, listID, c.id); err != nil {
				return fmt.Errorf("undo import: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE import_run SET status = 'undone' WHERE id = ?`, importID); err != nil {
		return fmt.Errorf("undo import: %w", err)
	}
	if err := appendAudit(ctx, tx, now, "desk", "import.undo", fmt.Sprint(importID), fmt.Sprintf(`{"deleted":%d,"restored":%d}`, deleted, len(changes))); err != nil {
		return err
	}
	return tx.Commit()
}
