package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// legacyInboxFile is the SQLite hit inbox of earlier builds (before the hit
// log): its hits are merged once, then it is removed.
const legacyInboxFile = "hits-inbox.db"

// settingLegacyMerged recorded, in the store, how far the legacy inbox was
// merged: "<inbox generation>:<last merged inbox id>".
const settingLegacyMerged = "listener.inbox_merged"

// drainLegacyInbox merges what an earlier build left in its SQLite inbox
// and removes the file; there is nothing to do when there is none.
func drainLegacyInbox(ctx context.Context, db *DB) error {
	path := filepath.Join(filepath.Dir(db.path), legacyInboxFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	idb, err := sql.Open("sqlite3", DSN(path))
	if err != nil {
		return fmt.Errorf("merge the old hit inbox: %w", err)
	}
	idb.SetMaxOpenConns(1)
	err = drainLegacy(ctx, db, idb)
	if cerr := idb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("merge the old hit inbox: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	_, err = db.db.ExecContext(ctx, `DELETE FROM setting WHERE name = ?`, settingLegacyMerged)
	return err
}

func drainLegacy(ctx context.Context, db *DB, idb *sql.DB) error {
	var gen string
	if err := idb.QueryRowContext(ctx, `SELECT generation FROM meta`).Scan(&gen); err != nil {
		return nil // no inbox tables: nothing was ever written
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var merged int64
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE name = ?`, settingLegacyMerged).Scan(&v); err == nil {
		v, _ = strconv.Unquote(v)
		if g, id, ok := strings.Cut(v, ":"); ok && g == gen {
			merged, _ = strconv.ParseInt(id, 10, 64)
		}
	}
	rows, err := idb.QueryContext(ctx, `SELECT type, mailing_id, recipient_id, link_id, at, machine, ua FROM hit WHERE id > ? ORDER BY id`, merged)
	if err != nil {
		return err
	}
	var hits []resonanz.Hit
	for rows.Next() {
		var h resonanz.Hit
		var at int64
		var typ string
		if err := rows.Scan(&typ, &h.MailingID, &h.RecipientID, &h.LinkID, &at, &h.MachineOpen, &h.UserAgent); err != nil {
			rows.Close()
			return err
		}
		h.Type, h.At = resonanz.ReactionType(typ), fromMillis(at)
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := recordHits(ctx, tx, hits); err != nil {
		return err
	}
	// The mark stays until the file is gone: a crash before that skips
	// what was merged here.
	if _, err := tx.ExecContext(ctx, `INSERT INTO setting (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		settingLegacyMerged, strconv.Quote(gen+":"+strconv.FormatInt(1<<62, 10)), millis(db.Now())); err != nil {
		return err
	}
	return tx.Commit()
}
