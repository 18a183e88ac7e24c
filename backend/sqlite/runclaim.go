package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// RunLease is how long a claim on a mailing's send run holds unless renewed
// (every quarter of it while the run lasts). A claim of a process on this
// machine that no longer exists ends at once; of another machine sharing
// the data directory, when its lease lapses.
const RunLease = 2 * time.Minute

// runClaim is the value of the setting send.run.<mailing id>.
type runClaim struct {
	Host  string `json:"host"`
	PID   int    `json:"pid"`
	Nonce string `json:"nonce"`
	Until int64  `json:"until"` // unix ms
}

func runClaimName(mailingID int64) string { return "send.run." + strconv.FormatInt(mailingID, 10) }

var thisHost = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// live reports whether the claim's process may still be sending.
func (c runClaim) live(now time.Time) bool {
	if c.Until <= millis(now) {
		return false
	}
	if c.Host == thisHost() {
		return processAlive(c.PID)
	}
	return true
}

func readRunClaim(ctx context.Context, q querier, mailingID int64) (runClaim, bool, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT value FROM setting WHERE name = ?`, runClaimName(mailingID)).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return runClaim{}, false, nil
	} else if err != nil {
		return runClaim{}, false, fmt.Errorf("send run claim: %w", err)
	}
	var c runClaim
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return runClaim{}, false, nil // unreadable: treat as no claim
	}
	return c, true, nil
}

// ClaimRun claims the send run of a mailing for this process and keeps the
// claim renewed until release is called. Two runs of one mailing would both
// send its queued people, so a live claim of another run — in another
// window, command or process — is a conflict. A claim left by a process that
// died (a crash, a kill) is taken over.
func (s *SendStore) ClaimRun(ctx context.Context, mailingID int64) (release func(), err error) {
	b := make([]byte, 8)
	rand.Read(b)
	mine := runClaim{Host: thisHost(), PID: os.Getpid(), Nonce: hex.EncodeToString(b)}
	put := func(ctx context.Context, first bool) error {
		tx, err := s.db.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("send run claim: %w", err)
		}
		defer tx.Rollback()
		now := s.db.Now()
		c, ok, err := readRunClaim(ctx, tx, mailingID)
		if err != nil {
			return err
		}
		if ok && c.Nonce != mine.Nonce && c.live(now) {
			return resonanz.E(resonanz.ECONFLICT, "error.send.mailingBeingSent", "This mailing is being sent by another Resonanz window or command (process {pid} on {host}); pause it there, or wait until it ends.", "pid", c.PID, "host", c.Host)
		}
		if !first && (!ok || c.Nonce != mine.Nonce) {
			return nil // released meanwhile, or taken over after a lapse: do not take it back
		}
		mine.Until = millis(now.Add(RunLease))
		raw, _ := json.Marshal(mine)
		if err := putSetting(ctx, tx, runClaimName(mailingID), string(raw), millis(now)); err != nil {
			return fmt.Errorf("send run claim: %w", err)
		}
		return tx.Commit()
	}
	if err := put(ctx, true); err != nil {
		return nil, err
	}
	renew := every(RunLease/4, func() {
		put(context.Background(), false) // a failed renewal is retried at the next tick
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			renew()
			s.db.db.Exec(`DELETE FROM setting WHERE name = ? AND json_extract(value, '$.nonce') = ?`, runClaimName(mailingID), mine.Nonce)
		})
	}, nil
}

// RunClaimed reports whether a live run holds the claim on the mailing.
func (s *SendStore) RunClaimed(ctx context.Context, mailingID int64) (bool, error) {
	c, ok, err := readRunClaim(ctx, s.db.db, mailingID)
	if err != nil || !ok {
		return false, err
	}
	return c.live(s.db.Now()), nil
}
