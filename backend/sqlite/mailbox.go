package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	out := make(map[string]bool, len(keys))
	vals := make([]any, len(keys))
	for i, k := range keys {
		vals[i] = k
	}
	err := queryIn(ctx, s.db.db, `SELECT key FROM mailbox_message WHERE key IN `, vals, func(rows *sql.Rows) error {
		var k string
		err := rows.Scan(&k)
		out[k] = true
		return err
	})
	return out, err
}

// RecordMessages stores processed messages in one transaction; keys stored
// before are left as they are. A recipient or mailing that no longer
// exists is stored as unknown.
func (s *MailboxStore) RecordMessages(ctx context.Context, msgs []resonanz.MailboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record mailbox messages: %w", err)
	}
	defer tx.Rollback()
	now := millis(s.db.Now())
	// Many rows per statement: one statement per row costs a prepare each.
	const cols = 13
	for start := 0; start < len(msgs); start += insertChunk {
		chunk := msgs[start:min(start+insertChunk, len(msgs))]
		args := make([]any, 0, len(chunk)*cols)
		for _, m := range chunk {
			args = append(args, m.Key, m.Kind, m.Outcome, clip(m.Reason, 500), now, millis(m.Date), clip(m.From, 320), clip(m.FromName, 200),
				clip(m.Subject, 500), m.RecipientID, m.MailingID, m.Folder, int64(m.UID))
		}
		q := `WITH v (key, kind, outcome, reason, processed_at, date, from_addr, from_name, subject, recipient_id, mailing_id, folder, uid) AS (VALUES ` +
			placeholders(len(chunk), cols) + `)
			INSERT INTO mailbox_message (key, kind, outcome, reason, processed_at, date, from_addr, from_name, subject, recipient_id, mailing_id, folder, uid)
			SELECT key, kind, outcome, reason, processed_at, date, from_addr, from_name, subject,
			       (SELECT id FROM recipient WHERE id = v.recipient_id), (SELECT id FROM mailing WHERE id = v.mailing_id), folder, uid
			FROM v WHERE true ON CONFLICT (key) DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("record mailbox messages: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record mailbox messages: %w", err)
	}
	return nil
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

// Resolve finds who a message is about: the recipient of a token, else
// the recipient of the delivery with the Message-ID, else the recipient
// with the address. mailingID is the delivery's mailing (0 otherwise).
func (s *MailboxStore) Resolve(ctx context.Context, recipientID int64, messageID, email string) (int64, string, int64, error) {
	var id, mailing int64
	var addr string
	if recipientID > 0 {
		err := s.db.db.QueryRowContext(ctx, `SELECT id, email FROM recipient WHERE id = ?`, recipientID).Scan(&id, &addr)
		if err == nil {
			return id, addr, 0, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, "", 0, fmt.Errorf("resolve recipient: %w", err)
		}
	}
	if messageID != "" {
		err := s.db.db.QueryRowContext(ctx, `SELECT r.id, r.email, d.mailing_id FROM delivery d JOIN recipient r ON r.id = d.recipient_id
			WHERE d.message_id = ?`, messageID).Scan(&id, &addr, &mailing)
		if err == nil {
			return id, addr, mailing, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, "", 0, fmt.Errorf("resolve recipient: %w", err)
		}
	}
	if email != "" {
		if _, key, err := resonanz.NormalizeEmail(email); err == nil {
			err := s.db.db.QueryRowContext(ctx, `SELECT id, email FROM recipient WHERE email_key = ?`, key).Scan(&id, &addr)
			if err == nil {
				return id, addr, 0, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return 0, "", 0, fmt.Errorf("resolve recipient: %w", err)
			}
		}
	}
	return 0, "", 0, nil
}
