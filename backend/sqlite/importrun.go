package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// A running import (recipients or reactions) records its process (host and
// pid) and proves it is alive with a heartbeat in its import_run row
// (stats.heartbeat, unix ms). A run whose process died — a crash, a kill, a
// power failure — keeps the status 'running'; it is marked 'failed' as soon
// as its process is seen gone (same machine) or its heartbeat is older than
// ImportLease, and can then be undone like any other (its committed batches
// stay until then).
const (
	// ImportLease is how long a running import's heartbeat stays valid.
	ImportLease = 2 * time.Minute
	// importHeartbeat is how often a running import renews it, also while
	// it waits for its input.
	importHeartbeat = 20 * time.Second
)

// keepAlive renews the heartbeat of import run id until the returned
// function is called.
func (db *DB) keepAlive(id int64) (stop func()) {
	return every(importHeartbeat, func() {
		// A failed renewal is retried at the next tick; only a lease that
		// lapses entirely has an effect.
		db.db.Exec(`UPDATE import_run SET stats = json_set(stats, '$.heartbeat', ?) WHERE id = ? AND status = 'running'`,
			millis(db.Now()), id)
	})
}

// every runs f every d until the returned function is called; that
// function returns once f is no longer running.
func every(d time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// importOwner is the stats of a running import: who runs it, since when alive.
type importOwner struct {
	Host      string `json:"host"`
	PID       int    `json:"pid"`
	Heartbeat int64  `json:"heartbeat"`
}

// ownerStats is the stats value a new import run starts with.
func ownerStats(now int64) string {
	b, _ := json.Marshal(importOwner{Host: thisHost(), PID: os.Getpid(), Heartbeat: now})
	return string(b)
}

// markInterrupted sets imports whose process is gone or whose heartbeat
// lapsed to 'failed', with their last heartbeat as the end.
func markInterrupted(ctx context.Context, tx *sql.Tx, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, started_at, stats FROM import_run WHERE status = 'running'`)
	if err != nil {
		return fmt.Errorf("interrupted imports: %w", err)
	}
	type gone struct{ id, last int64 }
	var dead []gone
	for rows.Next() {
		var id, started int64
		var stats string
		if err := rows.Scan(&id, &started, &stats); err != nil {
			rows.Close()
			return fmt.Errorf("interrupted imports: %w", err)
		}
		var o importOwner
		json.Unmarshal([]byte(stats), &o) // an older run has no owner: the lease decides
		last := max(o.Heartbeat, started)
		if last < millis(now.Add(-ImportLease)) || o.PID != 0 && o.Host == thisHost() && !processAlive(o.PID) {
			dead = append(dead, gone{id, last})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("interrupted imports: %w", err)
	}
	for _, d := range dead {
		if _, err := tx.ExecContext(ctx, `UPDATE import_run SET status = 'failed', finished_at = ?, stats = json_set(stats, '$.interrupted', json('true'))
			WHERE id = ?`, d.last, d.id); err != nil {
			return fmt.Errorf("interrupted imports: %w", err)
		}
	}
	return restoreNameIndexes(ctx, tx)
}

// markInterruptedNow runs markInterrupted in its own transaction.
func (db *DB) markInterruptedNow(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("interrupted imports: %w", err)
	}
	defer tx.Rollback()
	if err := markInterrupted(ctx, tx, db.Now()); err != nil {
		return err
	}
	return tx.Commit()
}

// finishRun ends import run id, the one lifecycle step both imports share:
// in one transaction it records the status and the result (as the run's
// stats), runs also (when not nil; the recipient import builds its deferred
// name indexes there) and appends the audit entry action with detail. The
// outcome is recorded even when the import was cancelled. op prefixes the
// errors.
func (db *DB) finishRun(id int64, op, status string, res any, action, detail string, also func(context.Context, *sql.Tx) error) error {
	ctx := context.Background() // the outcome is recorded even when the import was cancelled
	stats, _ := json.Marshal(res)
	now := millis(db.Now())
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: finish: %w", op, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE import_run SET status = ?, finished_at = ?, stats = ? WHERE id = ?`,
		status, now, string(stats), id); err != nil {
		return fmt.Errorf("%s: finish: %w", op, err)
	}
	if also != nil {
		if err := also(ctx, tx); err != nil {
			return fmt.Errorf("%s: finish: %w", op, err)
		}
	}
	if err := appendAudit(ctx, tx, now, "desk", action, strconv.FormatInt(id, 10), detail); err != nil {
		return err
	}
	return tx.Commit()
}
