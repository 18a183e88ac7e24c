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

// MailboxStore keeps the state of the mailbox sync (resonanz.MailboxStore):
// UIDs per folder and the messages processed. The effects of what a sync
// finds go through the ReactionService like provider logs.
type MailboxStore struct{ db *DB }

var _ resonanz.MailboxStore = (*MailboxStore)(nil)

// NewMailboxStore returns the mailbox state over db.
func NewMailboxStore(db *DB) *MailboxStore { return &MailboxStore{db: db} }

// Folder returns the stored UIDVALIDITY and highest processed UID.
func (s *MailboxStore) Folder(ctx context.Context, account, folder string) (uint32, uint32, error) {
	var v, last int64
	err := s.db.db.QueryRowContext(ctx, `SELECT uid_validity, last_uid FROM mailbox_folder WHERE account = ? AND folder = ?`,
		account, folder).Scan(&v, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("mailbox folder: %w", err)
	}
	return uint32(v), uint32(last), nil
}

// SetFolder stores the UIDVALIDITY and highest processed UID of a folder.
func (s *MailboxStore) SetFolder(ctx context.Context, account, folder string, uidValidity, lastUID uint32) error {
	if _, err := s.db.db.ExecContext(ctx, `INSERT INTO mailbox_folder (account, folder, uid_validity, last_uid) VALUES (?, ?, ?, ?)
		ON CONFLICT (account, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid`,
		account, folder, int64(uidValidity), int64(lastUID)); err != nil {
		return fmt.Errorf("mailbox folder: %w", err)
	}
	return nil
}

// Processed returns which keys are stored already.
func (s *MailboxStore) Processed(ctx context.Context, keys []string) (map[string]bool, error) {
	return existingStrings(ctx, s.db.db, `SELECT key FROM mailbox_message WHERE key IN `, keys)
}

// recordMessages stores processed messages in tx; keys stored before are
// left as they are. A recipient or mailing that no longer exists is stored
// as unknown.
//
// Many rows per statement (one statement prepared per batch): SQLite checks
// CHECK (kind IN (...)) and (outcome IN (...)) against temporary b-trees
// it builds once per statement run. Run per message, that cost two
// page-cache allocations of ~80 KB that the C allocator handed back to the
// system at once (brk, madvise and page faults were most of the store's
// time in a 10 000-message sync: 2.9k → 12k messages/s in
// BenchmarkMailboxBatch). The statement journal that a statement of many
// rows needs inside the batch's transaction costs far less.
func recordMessages(ctx context.Context, tx *sql.Tx, now int64, msgs []resonanz.MailboxMessage) error {
	const cols = 12
	var full *sql.Stmt // prepared once for the full chunks
	if len(msgs) >= recordChunk {
		var err error
		if full, err = tx.PrepareContext(ctx, recordSQL(recordChunk)); err != nil {
			return fmt.Errorf("record mailbox messages: %w", err)
		}
		defer full.Close()
	}
	args := make([]any, 0, 1+recordChunk*cols)
	for start := 0; start < len(msgs); start += recordChunk {
		chunk := msgs[start:min(start+recordChunk, len(msgs))]
		args = append(args[:0], now)
		for _, m := range chunk {
			args = append(args, m.Key, m.Kind, m.Outcome, clip(m.Reason, 500), millis(m.Date), clip(m.From, 320), clip(m.FromName, 200),
				clip(m.Subject, 500), m.RecipientID, m.MailingID, m.Folder, int64(m.UID))
		}
		// Through Query: go-sqlite3 binds a query's arguments in one call.
		var rows *sql.Rows
		var err error
		if full != nil && len(chunk) == recordChunk {
			rows, err = full.QueryContext(ctx, args...)
		} else {
			rows, err = tx.QueryContext(ctx, recordSQL(len(chunk)), args...)
		}
		if err == nil {
			rows.Close()
			err = rows.Err()
		}
		if err != nil {
			return fmt.Errorf("record mailbox messages: %w", err)
		}
	}
	return nil
}

// recordChunk is the number of messages per record statement: a
// statement of a whole batch costs more to parse than to run.
const recordChunk = 64

// recordSQL is the INSERT of n processed messages; ?1 is the time of
// processing.
func recordSQL(n int) string {
	var b strings.Builder
	b.WriteString(`WITH v (key, kind, outcome, reason, date, from_addr, from_name, subject, recipient_id, mailing_id, folder, uid) AS (VALUES `)
	p := 2
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range 12 {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(`)
		INSERT INTO mailbox_message (key, kind, outcome, reason, processed_at, date, from_addr, from_name, subject, recipient_id, mailing_id, folder, uid)
		SELECT key, kind, outcome, reason, ?1, date, from_addr, from_name, subject,
		       (SELECT id FROM recipient WHERE id = v.recipient_id), (SELECT id FROM mailing WHERE id = v.mailing_id), folder, uid
		FROM v WHERE true ON CONFLICT (key) DO NOTHING`)
	return b.String()
}

// BeginSync starts the store side of one sync: its batches are one
// reaction import run (begun with the first batch that has an effect).
func (s *MailboxStore) BeginSync(opt resonanz.ReactionImport) resonanz.MailboxRun {
	return &mailboxRun{db: s.db, reactions: NewReactionService(s.db), opt: opt, res: newReactionResult(opt.Provider)}
}

// mailboxRun is resonanz.MailboxRun over the store.
type mailboxRun struct {
	db        *DB
	reactions *ReactionService
	opt       resonanz.ReactionImport
	plan      *reactionPlan // nil until the first effect
	stop      func()        // ends the run's heartbeat
	res       resonanz.ReactionImportResult
}

// Apply stores the effects of one batch and records its messages in one
// transaction: a crash leaves both or neither.
func (r *mailboxRun) Apply(ctx context.Context, events []resonanz.ProviderEvent, msgs []resonanz.MailboxMessage) error {
	if len(events) == 0 && len(msgs) == 0 {
		return nil
	}
	if len(events) > 0 && r.plan == nil {
		plan, err := r.reactions.beginReactions(ctx, r.opt)
		if err != nil {
			return err
		}
		r.plan, r.res.ImportID, r.stop = plan, plan.importID, r.db.keepAlive(plan.importID)
	}
	conn, err := r.db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mailbox sync: %w", err)
	}
	defer conn.Close()
	// The batch's statements of many rows each need a statement journal
	// (they may abort midway inside the transaction); on disk that was a
	// temporary file per batch and two writes per page copied, more bytes
	// than the WAL itself. In memory for this transaction (SQLite decides
	// where when the transaction begins); a batch's journal is about a
	// megabyte.
	if _, err := conn.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
		return fmt.Errorf("mailbox sync: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA temp_store = DEFAULT`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mailbox sync: %w", err)
	}
	defer tx.Rollback()
	if len(events) > 0 {
		prepared := make([]preparedEvent, len(events))
		for i, ev := range events {
			prepared[i] = prepareEvent(ev)
		}
		r.res.Read += len(events)
		if err := r.reactions.writeEventsTx(ctx, tx, r.plan, prepared, &r.res); err != nil {
			return err
		}
	}
	if err := recordMessages(ctx, tx, millis(r.db.Now()), msgs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mailbox sync: %w", err)
	}
	return nil
}

// Finish ends the sync's import run (if one began) with status: done,
// cancelled or failed.
func (r *mailboxRun) Finish(status string) error {
	if r.plan == nil {
		return nil
	}
	r.stop()
	r.res.Cancelled = status == "cancelled"
	plan := r.plan
	r.plan = nil
	return r.reactions.finishReactions(plan, status, &r.res)
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Replies lists the replies kept for the user, newest first.
func (s *MailboxStore) Replies(ctx context.Context, limit int) ([]resonanz.MailboxMessage, error) {
	if limit <= 0 || limit > 10_000 {
		limit = 500
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT key, kind, outcome, reason, date, from_addr, from_name, subject,
		COALESCE(recipient_id, 0), COALESCE(mailing_id, 0), folder, uid
		FROM mailbox_message WHERE kind = 'reply' ORDER BY date DESC, key LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("mailbox replies: %w", err)
	}
	defer rows.Close()
	out := []resonanz.MailboxMessage{}
	for rows.Next() {
		var m resonanz.MailboxMessage
		var date, uid int64
		if err := rows.Scan(&m.Key, &m.Kind, &m.Outcome, &m.Reason, &date, &m.From, &m.FromName, &m.Subject,
			&m.RecipientID, &m.MailingID, &m.Folder, &uid); err != nil {
			return nil, fmt.Errorf("mailbox replies: %w", err)
		}
		m.Date, m.UID = fromMillis(date), uint32(uid)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ResolveAll finds who each message is about (see resonanz.MailboxStore):
// one query per kind of clue for the whole batch, each only for the
// lookups the clues before left open.
func (s *MailboxStore) ResolveAll(ctx context.Context, lookups []resonanz.MailboxLookup) ([]resonanz.MailboxMatch, error) {
	out := make([]resonanz.MailboxMatch, len(lookups))
	clues := []struct {
		query string
		value func(resonanz.MailboxLookup) any // nil: no such clue
	}{
		{`SELECT id, id, email, 0 FROM recipient WHERE id IN `, func(l resonanz.MailboxLookup) any {
			if l.RecipientID > 0 {
				return l.RecipientID
			}
			return nil
		}},
		{`SELECT d.message_id, r.id, r.email, d.mailing_id FROM delivery d JOIN recipient r ON r.id = d.recipient_id WHERE d.message_id IN `,
			func(l resonanz.MailboxLookup) any {
				if l.MessageID != "" {
					return l.MessageID
				}
				return nil
			}},
		{`SELECT email_key, id, email, 0 FROM recipient WHERE email_key IN `, func(l resonanz.MailboxLookup) any {
			if _, key, err := resonanz.NormalizeEmail(l.Email); l.Email != "" && err == nil {
				return key
			}
			return nil
		}},
	}
	for _, c := range clues {
		wanted := map[any][]int{} // clue → the open lookups that have it
		var values []any
		for i, l := range lookups {
			if out[i].RecipientID != 0 {
				continue
			}
			if v := c.value(l); v != nil {
				if _, ok := wanted[v]; !ok {
					values = append(values, v)
				}
				wanted[v] = append(wanted[v], i)
			}
		}
		err := queryIn(ctx, s.db.db, c.query, values, func(rows *sql.Rows) error {
			var clue any
			var m resonanz.MailboxMatch
			if err := rows.Scan(&clue, &m.RecipientID, &m.Email, &m.MailingID); err != nil {
				return err
			}
			if b, ok := clue.([]byte); ok {
				clue = string(b)
			}
			for _, i := range wanted[clue] {
				if out[i].RecipientID == 0 {
					out[i] = m
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("resolve recipients: %w", err)
		}
	}
	return out, nil
}
