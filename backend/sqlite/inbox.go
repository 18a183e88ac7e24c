package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// InboxFileName is the hit inbox's file beside the store.
const InboxFileName = "hits-inbox.db"

// settingInboxMerged records, in the store, how far the inbox was merged:
// the JSON string "<inbox generation>:<last merged inbox id>", written in the same
// transaction as the merged reactions.
const settingInboxMerged = "listener.inbox_merged"

// HitInbox is the listener's durable write path. RecordHits appends the hits
// to a small SQLite file of its own (no indexes, no lookups, and not the
// store's writer lock, which the desk and the merge hold): a commit there
// costs a page or two, so the listener can answer a request as soon as its
// hit is on disk, at the rate it answers. A merge goroutine moves the hits
// into the store in large transactions — the consent gate, the personal
// reactions and the anonymous counts exactly as ReactionService.RecordHits —
// and records how far it got in the same transaction, so a crash at any
// point neither loses nor doubles a hit: what is in the inbox and not yet
// merged is merged by the next merge (the next start of the listener).
// Reports see a hit once it is merged (within MergeInterval under load).
type HitInbox struct {
	db    *DB
	inbox *sql.DB
	gen   string
	log   *slog.Logger

	// MergeBatch is the most hits per merge transaction (default 4096);
	// MergeInterval the longest a hit waits for its merge (default 250 ms).
	MergeBatch    int
	MergeInterval time.Duration

	mu      sync.Mutex // one appender at a time: the inbox has one writer anyway
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started bool
	closed  bool
}

// OpenHitInbox opens (or creates) the inbox beside the store.
func OpenHitInbox(ctx context.Context, db *DB, log *slog.Logger) (*HitInbox, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(filepath.Dir(db.path), InboxFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) // user agents: the owner's only
	if err != nil {
		return nil, fmt.Errorf("open hit inbox: %w", err)
	}
	f.Close()
	idb, err := sql.Open("sqlite3", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open hit inbox: %w", err)
	}
	idb.SetMaxOpenConns(1)
	in := &HitInbox{db: db, inbox: idb, log: log, MergeBatch: 4096, MergeInterval: 250 * time.Millisecond,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS meta (generation TEXT NOT NULL)`,
		// AUTOINCREMENT: ids are never reused, so "merged up to id" stays true
		// after the merged rows are deleted.
		`CREATE TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, mailing_id INTEGER NOT NULL,
			recipient_id INTEGER NOT NULL, link_id INTEGER NOT NULL, at INTEGER NOT NULL, machine INTEGER NOT NULL, ua TEXT NOT NULL)`,
	} {
		if _, err := idb.ExecContext(ctx, q); err != nil {
			idb.Close()
			return nil, fmt.Errorf("open hit inbox: %w", err)
		}
	}
	err = idb.QueryRowContext(ctx, `SELECT generation FROM meta`).Scan(&in.gen)
	if errors.Is(err, sql.ErrNoRows) {
		// A new inbox: a new generation, so a merge mark of an earlier
		// inbox file (deleted, restored) never skips this one's ids.
		b := make([]byte, 8)
		rand.Read(b)
		in.gen = hex.EncodeToString(b)
		_, err = idb.ExecContext(ctx, `INSERT INTO meta (generation) VALUES (?)`, in.gen)
	}
	if err != nil {
		idb.Close()
		return nil, fmt.Errorf("open hit inbox: %w", err)
	}
	return in, nil
}

// RecordHits appends hits to the inbox in one transaction; when it returns
// nil they are durable (WAL, synchronous=NORMAL: they survive the
// program's crash; a power loss may take the last commits, as for every
// write of the store). It implements resonanz.HitRecorder.
func (in *HitInbox) RecordHits(ctx context.Context, hits []resonanz.Hit) error {
	if len(hits) == 0 {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	tx, err := in.inbox.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record hits: %w", err)
	}
	defer tx.Rollback()
	const cols = 7
	for start := 0; start < len(hits); start += insertChunk {
		chunk := hits[start:min(start+insertChunk, len(hits))]
		args := make([]any, 0, len(chunk)*cols)
		for _, h := range chunk {
			ua := h.UserAgent
			if len(ua) > 1000 {
				ua = ua[:1000]
			}
			args = append(args, string(h.Type), h.MailingID, h.RecipientID, h.LinkID, millis(h.At), h.MachineOpen, ua)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hit (type, mailing_id, recipient_id, link_id, at, machine, ua) VALUES `+
			placeholders(len(chunk), cols), args...); err != nil {
			return fmt.Errorf("record hits: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record hits: %w", err)
	}
	select {
	case in.wake <- struct{}{}:
	default:
	}
	return nil
}

// Start starts the merge goroutine; it merges what an earlier run left
// first.
func (in *HitInbox) Start() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.started || in.closed {
		return
	}
	in.started = true
	go in.run()
}

func (in *HitInbox) run() {
	defer close(in.done)
	tick := time.NewTicker(in.MergeInterval)
	defer tick.Stop()
	for {
		if _, err := in.MergeAll(context.Background()); err != nil {
			in.log.Error("listener: merging hits into the store failed; they stay in the inbox", "err", err)
		}
		select {
		case <-in.stop:
			return
		case <-tick.C:
		case <-in.wake:
			// Gather for a moment: one large merge costs far less per hit
			// than many small ones (the reaction indexes' pages).
			select {
			case <-in.stop:
			case <-time.After(in.MergeInterval / 4):
			}
		}
	}
}

// Close stops the merge goroutine, merges everything left and closes the
// inbox file (not the store).
func (in *HitInbox) Close(ctx context.Context) error {
	in.mu.Lock()
	started, closed := in.started, in.closed
	in.closed = true
	in.mu.Unlock()
	if closed {
		return nil
	}
	if started {
		close(in.stop)
		select {
		case <-in.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_, err := in.MergeAll(ctx)
	return errors.Join(err, in.inbox.Close())
}

// MergeAll merges until the inbox is empty and returns how many hits it
// merged.
func (in *HitInbox) MergeAll(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := in.merge(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// merge moves up to MergeBatch of the oldest hits into the store in one
// transaction of the store, then deletes them from the inbox.
func (in *HitInbox) merge(ctx context.Context) (int, error) {
	rows, err := in.inbox.QueryContext(ctx, `SELECT id, type, mailing_id, recipient_id, link_id, at, machine, ua FROM hit ORDER BY id LIMIT ?`, max(in.MergeBatch, 1))
	if err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	var hits []resonanz.Hit
	var ids []int64
	for rows.Next() {
		var h resonanz.Hit
		var id, at int64
		var typ string
		if err := rows.Scan(&id, &typ, &h.MailingID, &h.RecipientID, &h.LinkID, &at, &h.MachineOpen, &h.UserAgent); err != nil {
			rows.Close()
			return 0, fmt.Errorf("merge hits: %w", err)
		}
		h.Type, h.At = resonanz.ReactionType(typ), fromMillis(at)
		hits, ids = append(hits, h), append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	if len(hits) == 0 {
		return 0, nil
	}
	last := ids[len(ids)-1]
	tx, err := in.db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	defer tx.Rollback()
	// The mark is read inside the store's write transaction: another
	// process merging the same inbox (the desk and `resonanz listen` on one
	// data directory) cannot merge the same ids twice.
	merged, err := in.mergedUpTo(ctx, tx)
	if err != nil {
		return 0, err
	}
	skip := 0
	for skip < len(ids) && ids[skip] <= merged {
		skip++
	}
	if err := recordHits(ctx, tx, hits[skip:]); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO setting (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		settingInboxMerged, strconv.Quote(in.gen+":"+strconv.FormatInt(last, 10)), millis(in.db.Now())); err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	// Merged: the inbox may forget them. If this fails (or the program
	// dies here), the mark skips them next time.
	in.mu.Lock()
	_, err = in.inbox.ExecContext(ctx, `DELETE FROM hit WHERE id <= ?`, last)
	in.mu.Unlock()
	if err != nil {
		return len(hits) - skip, fmt.Errorf("merge hits: %w", err)
	}
	return len(hits) - skip, nil
}

// mergedUpTo returns the last inbox id merged into the store, 0 when the
// mark belongs to another inbox generation.
func (in *HitInbox) mergedUpTo(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE name = ?`, settingInboxMerged).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	v, _ = strconv.Unquote(v)
	gen, id, ok := strings.Cut(v, ":")
	if !ok || gen != in.gen {
		return 0, nil
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	return n, nil
}
