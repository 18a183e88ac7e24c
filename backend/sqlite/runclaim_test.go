package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestSendStore_ClaimRun(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	store := sqlite.NewSendStore(db)
	const mailing = 7
	claimed := func() bool {
		t.Helper()
		ok, err := store.RunClaimed(ctx, mailing)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	setClaim := func(host string, pid int, until time.Time) {
		t.Helper()
		v := fmt.Sprintf(`{"host":%q,"pid":%d,"nonce":"other","until":%d}`, host, pid, until.UnixMilli())
		if _, err := db.SQL().Exec(`INSERT INTO setting (name, value, updated_at) VALUES ('send.run.7', ?, 0)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, v); err != nil {
			t.Fatal(err)
		}
	}
	host, _ := os.Hostname()

	t.Run("OK/ClaimAndRelease", func(t *testing.T) {
		release, err := store.ClaimRun(ctx, mailing)
		if err != nil || !claimed() {
			t.Fatalf("claim: %v, claimed %v", err, claimed())
		}
		if _, err := store.ClaimRun(ctx, mailing); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
			t.Errorf("second run of the same mailing: %v, want a conflict", err)
		}
		if r, err := store.ClaimRun(ctx, mailing+1); err != nil {
			t.Errorf("another mailing: %v", err)
		} else {
			r()
		}
		release()
		release() // twice is fine
		if claimed() {
			t.Error("still claimed after release")
		}
	})

	t.Run("OK/TakesOverFromADeadProcess", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("process liveness is not checked on Windows; the lease decides")
		}
		// No process has this pid (beyond Linux's pid_max): like one that
		// was killed.
		setClaim(host, 1<<30, time.Now().Add(time.Hour))
		if claimed() {
			t.Error("a dead process's claim counts as live")
		}
		release, err := store.ClaimRun(ctx, mailing)
		if err != nil {
			t.Fatalf("take-over: %v", err)
		}
		release()
	})

	t.Run("ErrLiveOnAnotherMachine", func(t *testing.T) {
		setClaim("elsewhere.example", 1, time.Now().Add(time.Hour))
		if !claimed() {
			t.Error("another machine's live claim is not seen")
		}
		if _, err := store.ClaimRun(ctx, mailing); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
			t.Errorf("claim: %v, want a conflict", err)
		}
		setClaim("elsewhere.example", 1, time.Now().Add(-time.Second)) // lapsed
		release, err := store.ClaimRun(ctx, mailing)
		if err != nil {
			t.Fatalf("after the lease lapsed: %v", err)
		}
		release()
	})
}
