package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// A running import (recipients or reactions) proves it is alive with a
// heartbeat in its import_run row (stats.heartbeat, unix ms). A run whose
// process died — a crash, a kill, a power failure — keeps the status
// 'running' but its heartbeat stops; once it is older than ImportLease the
// run counts as interrupted and is marked 'failed', so it can be undone like
// any other (its committed batches stay until then).
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
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(importHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				// A failed renewal is retried at the next tick; only a
				// lease that lapses entirely has an effect.
				db.db.Exec(`UPDATE import_run SET stats = json_set(stats, '$.heartbeat', ?) WHERE id = ? AND status = 'running'`,
					millis(db.Now()), id)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// markInterrupted sets imports whose heartbeat lapsed to 'failed', with their
// last heartbeat as the end.
func markInterrupted(ctx context.Context, tx *sql.Tx, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE import_run SET status = 'failed', stats = json_set(stats, '$.interrupted', json('true')),
		       finished_at = COALESCE(json_extract(stats, '$.heartbeat'), started_at)
		WHERE status = 'running' AND COALESCE(json_extract(stats, '$.heartbeat'), started_at) < ?`,
		millis(now.Add(-ImportLease)))
	if err != nil {
		return fmt.Errorf("interrupted imports: %w", err)
	}
	return nil
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
