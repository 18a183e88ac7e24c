package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestImports_Interrupted: a running import whose process is gone, or whose
// heartbeat lapsed, is marked failed (and so can be undone); a live one is
// left alone.
func TestImports_Interrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows; the lease decides")
	}
	ctx := context.Background()
	db := MustOpenDB(t)
	host, _ := os.Hostname()
	now := time.Now()
	for _, r := range []struct {
		name  string
		host  string
		pid   int
		beat  time.Time
		state string
	}{
		{"this process", host, os.Getpid(), now, "running"},
		{"dead process here", host, 1 << 30, now, "failed"},
		{"live elsewhere", "elsewhere.example", 1, now, "running"},
		{"lapsed elsewhere", "elsewhere.example", 1, now.Add(-sqlite.ImportLease - time.Second), "failed"},
		{"lapsed, no owner (older run)", "", 0, now.Add(-sqlite.ImportLease - time.Second), "failed"},
	} {
		stats := fmt.Sprintf(`{"host":%q,"pid":%d,"heartbeat":%d}`, r.host, r.pid, r.beat.UnixMilli())
		if r.host == "" {
			stats = "{}"
		}
		if _, err := db.SQL().Exec(`INSERT INTO import_run (kind, file_name, started_at, status, stats) VALUES ('recipients', ?, ?, 'running', ?)`,
			r.name, r.beat.UnixMilli(), stats); err != nil {
			t.Fatal(err)
		}
		defer func(name, want string) {
			var got string
			db.SQL().QueryRow(`SELECT status FROM import_run WHERE file_name = ?`, name).Scan(&got)
			if got != want {
				t.Errorf("%s: %s, want %s", name, got, want)
			}
		}(r.name, r.state)
	}
	if _, err := sqlite.NewImportService(db).Imports(ctx); err != nil {
		t.Fatal(err)
	}
}
