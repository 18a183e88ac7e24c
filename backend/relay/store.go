// Package relay is the always-on relay: a small SQLite store of what the
// desk published (links, lists, surveys, and per person a profile sealed
// under a key only that person's links carry) and an append-only event log
// whose payloads are sealed to the desk's public key; the listener's pages
// served over it (the same page code as the desk's listener: the store
// implements the listener's interfaces); and the desk's sync client, which
// publishes, pulls events with a cursor, applies them through the desk's
// own services and acknowledges them.
package relay

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the relay's own store

	"github.com/resonanz/resonanz/backend/resonanz"
)

// FileName is the relay's database inside its data directory.
const FileName = "relay.db"

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nonce (nonce TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS link (mailing_id INTEGER NOT NULL, link_id INTEGER NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL,
  gen INTEGER NOT NULL, PRIMARY KEY (mailing_id, link_id));
CREATE TABLE IF NOT EXISTS list (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, gen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mailing_list (mailing_id INTEGER NOT NULL, list_id INTEGER NOT NULL, gen INTEGER NOT NULL,
  PRIMARY KEY (mailing_id, list_id));
CREATE TABLE IF NOT EXISTS survey (id INTEGER PRIMARY KEY, body BLOB NOT NULL, gen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS profile (lookup BLOB PRIMARY KEY, recipient_id INTEGER NOT NULL, sealed BLOB NOT NULL,
  gen INTEGER NOT NULL, changed_seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS profile_recipient ON profile (recipient_id);
CREATE TABLE IF NOT EXISTS unsubscribed (recipient_id INTEGER NOT NULL, mailing_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (recipient_id, mailing_id));
CREATE TABLE IF NOT EXISTS erased (recipient_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS answered (survey_id INTEGER NOT NULL, recipient_id INTEGER NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (survey_id, recipient_id));
CREATE TABLE IF NOT EXISTS optin (token_hash TEXT PRIMARY KEY, list_name TEXT NOT NULL, expires_at INTEGER NOT NULL,
  gen INTEGER NOT NULL, used_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS address (lookup BLOB PRIMARY KEY, sealed BLOB NOT NULL, gen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS event (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  at INTEGER NOT NULL, sealed BLOB NOT NULL);
`

// Meta keys.
const (
	metaRelayID        = "relay_id"
	metaSyncSecret     = "sync_secret"
	metaDeskPublic     = "desk_public_key"
	metaListenerSecret = "listener_secret"
	metaCollected      = "collected_through"
)

// Store is the relay's data file. Every write is one transaction,
// committed with synchronous=FULL (WAL) before the caller answers.
type Store struct {
	db  *sql.DB
	dir string

	commitMu sync.Mutex
	commitCh chan struct{} // closed and replaced after each commit of hits

	// secrets keeps the published mail settings and address key (set by
	// NewServer); mailer is set when the relay can send mail.
	secrets resonanz.SecretStore
	mailer  func(ctx context.Context, m MailSettings) (Mailer, error)
	// Now is the clock (tests).
	Now func() time.Time
}

// Open opens or creates the store in dir (created 0700).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("relay: data directory: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "on")
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("relay: open %s: %w", path, err)
	}
	os.Chmod(path, 0o600)
	s := &Store{db: db, dir: dir, Now: time.Now}
	if _, err := s.RelayID(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) meta(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

func setMeta(ctx context.Context, tx execer, key string, v []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, v)
	return err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// RelayID returns the relay's id, created on first use: random, so two
// relays never share one.
func (s *Store) RelayID(ctx context.Context) (string, error) {
	v, err := s.meta(ctx, metaRelayID)
	if err != nil || v != nil {
		return string(v), err
	}
	var b [8]byte
	rand.Read(b[:])
	id := "r-" + hex.EncodeToString(b[:])
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)`, metaRelayID, []byte(id)); err != nil {
		return "", err
	}
	v, err = s.meta(ctx, metaRelayID)
	return string(v), err
}

// NewPairing replaces the sync secret with a fresh one and returns it: the
// desk paired before must pair again.
func (s *Store) NewPairing(ctx context.Context) ([]byte, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := setMeta(ctx, tx, metaSyncSecret, secret); err != nil {
		return nil, err
	}
	// A new desk: its key comes with its first request.
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key IN (?, ?)`, metaDeskPublic, metaListenerSecret); err != nil {
		return nil, err
	}
	return secret, tx.Commit()
}

// seenNonce records nonce; false when it was recorded before. Nonces older
// than twice the allowed skew are forgotten (their time stamps are refused
// anyway).
func (s *Store) seenNonce(nonce string, at time.Time) (bool, error) {
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM nonce WHERE at < ?`, s.Now().Add(-2*MaxSkew).Unix()); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO nonce (nonce, at) VALUES (?, ?)`, nonce, at.Unix())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}

// keys returns the desk's public key and the listener secret (nil before
// the desk's first sync).
func (s *Store) keys(ctx context.Context) (deskPublic, listenerSecret []byte, err error) {
	if deskPublic, err = s.meta(ctx, metaDeskPublic); err != nil {
		return nil, nil, err
	}
	listenerSecret, err = s.meta(ctx, metaListenerSecret)
	return deskPublic, listenerSecret, err
}

// ListenerSecret returns the listener's token secret published by the desk
// (nil before the first sync).
func (s *Store) ListenerSecret(ctx context.Context) ([]byte, error) {
	return s.meta(ctx, metaListenerSecret)
}

// Event kinds (stored in clear so the relay can count; the payload is
// sealed).
const (
	EventHits        = "hits"
	EventUnsubscribe = "unsubscribe"
	EventProfile     = "profile"
	EventErasure     = "erasure"
	EventSurvey      = "survey"
	EventSignup      = "signup"
	EventConfirm     = "confirm"
)

// StoredEvent is one row of the log as the desk pulls it.
type StoredEvent struct {
	Seq    int64     `json:"seq"`
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Sealed []byte    `json:"sealed"`
}

func eventAAD(id, kind string) []byte { return []byte(id + "\x00" + kind) }

// appendEvent seals payload to the desk and appends it in tx; it returns
// the event's sequence number.
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, kind string, at time.Time, payload []byte) (int64, error) {
	var pub []byte
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, metaDeskPublic).Scan(&pub); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, resonanz.E(resonanz.EINTERNAL, "error.relay.relayPairedDesk", "relay: not paired with a desk yet")
		}
		return 0, err
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	sealed, err := sealTo(pub, eventAAD(id, kind), payload)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO event (id, kind, at, sealed) VALUES (?, ?, ?, ?)`, id, kind, at.UnixMilli(), sealed)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Events returns up to limit events after seq, oldest first.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]StoredEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, kind, at, sealed FROM event WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StoredEvent{}
	for rows.Next() {
		var e StoredEvent
		var at int64
		if err := rows.Scan(&e.Seq, &e.ID, &e.Kind, &at, &e.Sealed); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Ack deletes the events up to seq: the desk has applied them.
func (s *Store) Ack(ctx context.Context, seq int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM event WHERE seq <= ?`, seq); err != nil {
		return err
	}
	var cur int64
	var v []byte
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, metaCollected).Scan(&v); err == nil {
		fmt.Sscan(string(v), &cur)
	}
	if seq > cur {
		if err := setMeta(ctx, tx, metaCollected, []byte(fmt.Sprint(seq))); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Counts returns the number of pending events by kind (for the relay's
// status; no personal data).
func (s *Store) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, count(*) FROM event GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

const metaPublicURL = "public_url"

// SetPublicURL remembers the URL the relay was started with (for `relay pair`).
func (s *Store) SetPublicURL(ctx context.Context, u string) error {
	return setMeta(ctx, s.db, metaPublicURL, []byte(u))
}

// PublicURL returns the URL the relay was last started with.
func (s *Store) PublicURL(ctx context.Context) (string, error) {
	v, err := s.meta(ctx, metaPublicURL)
	return string(v), err
}

// committed returns a channel closed at the next commit of hits.
func (s *Store) committed() <-chan struct{} {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if s.commitCh == nil {
		s.commitCh = make(chan struct{})
	}
	return s.commitCh
}

func (s *Store) signalCommit() {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if s.commitCh != nil {
		close(s.commitCh)
		s.commitCh = nil
	}
}
