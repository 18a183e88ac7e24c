package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// fill writes n audit rows with padding so the file spans many pages.
func fill(t *testing.T, db *sqlite.DB, n, pad int) {
	t.Helper()
	tx, err := db.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := tx.Exec(`INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'test', 'fill', ?, ?)`,
			i, fmt.Sprint(i), strings.Repeat("x", pad)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// dump returns every audit row and setting as text, to compare stores.
func dump(t *testing.T, q interface {
	Query(string, ...any) (*sql.Rows, error)
}) string {
	t.Helper()
	var b strings.Builder
	for _, query := range []string{
		`SELECT id, at, actor, action, subject, length(detail), substr(detail, 1, 20) FROM audit_log ORDER BY id`,
		`SELECT name, value FROM setting ORDER BY name`,
	} {
		rows, err := q.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

func openPlain(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestBackup(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/ExactCopy", func(t *testing.T) {
		db := MustOpenDB(t)
		fill(t, db, 500, 200)
		if err := sqlite.NewSettingsService(db).SetValue(ctx, "x", map[string]int{"a": 1}); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(t.TempDir(), "copy.db")
		var last resonanz.BackupProgress
		if err := db.Backup(ctx, dest, func(p resonanz.BackupProgress) {
			if p.Phase == "backup" {
				last = p
			}
		}); err != nil {
			t.Fatal(err)
		}
		if last.Total == 0 || last.Done != last.Total {
			t.Errorf("last progress %+v, want done == total > 0", last)
		}
		if got, want := dump(t, openPlain(t, dest)), dump(t, db.SQL()); got != want {
			t.Errorf("copy differs from the store")
		}
		st, err := os.Stat(dest)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("backup mode %v, want owner only", st.Mode().Perm())
		}
		for _, s := range []string{"-wal", "-shm", "-journal"} {
			if _, err := os.Stat(dest + s); err == nil {
				t.Errorf("backup left %s behind; the copy must be one file", s)
			}
		}
		entries, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 {
			t.Errorf("backup folder holds %d entries, want only the copy (no temp files)", len(entries))
		}
	})

	// Writers keep committing while the copy is made: the copy must be one
	// consistent snapshot (each transaction adds an audit row and bumps a
	// counter; in the copy both agree) and pass integrity_check.
	t.Run("OK/ConcurrentWrites", func(t *testing.T) {
		db := MustOpenDB(t)
		fill(t, db, 4000, 4000) // ~16 MB: several backup steps
		if _, err := db.SQL().Exec(`INSERT INTO setting (name, value, updated_at) VALUES ('counter', '0', 0)`); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var writes atomic.Int64
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					tx, err := db.SQL().Begin()
					if err != nil {
						t.Error(err)
						return
					}
					tx.Exec(`INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'writer', 'w', ?, ?)`, i, fmt.Sprint(w), strings.Repeat("y", 3000))
					tx.Exec(`UPDATE setting SET value = CAST(value AS INTEGER) + 1 WHERE name = 'counter'`)
					if err := tx.Commit(); err != nil {
						t.Error(err)
						return
					}
					writes.Add(1)
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		dest := filepath.Join(t.TempDir(), "copy.db")
		steps := 0
		err := db.Backup(ctx, dest, func(p resonanz.BackupProgress) {
			if p.Phase == "backup" {
				steps++
			}
		})
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if writes.Load() == 0 {
			t.Fatal("no concurrent writes happened")
		}
		copyDB := openPlain(t, dest)
		var rows, counter int64
		if err := copyDB.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'writer'`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if err := copyDB.QueryRow(`SELECT CAST(value AS INTEGER) FROM setting WHERE name = 'counter'`).Scan(&counter); err != nil {
			t.Fatal(err)
		}
		if rows != counter {
			t.Errorf("copy is not one snapshot: %d writer rows but counter %d", rows, counter)
		}
		info, err := sqlite.CheckFile(ctx, dest, true)
		if err != nil || !info.OK {
			t.Errorf("copy check: %+v, %v", info, err)
		}
		t.Logf("%d steps, %d concurrent commits during the backup, %d in the copy", steps, writes.Load(), rows)
		if steps < 2 {
			t.Errorf("backup ran in %d step(s); want several to exercise the snapshot", steps)
		}
	})

	t.Run("ErrOntoItself", func(t *testing.T) {
		db := MustOpenDB(t)
		if err := db.Backup(ctx, db.Path(), nil); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Fatalf("backup onto the store: %v, want invalid", err)
		}
	})

	t.Run("ErrCancelled", func(t *testing.T) {
		db := MustOpenDB(t)
		fill(t, db, 2000, 4000)
		cctx, cancel := context.WithCancel(ctx)
		dir := t.TempDir()
		err := db.Backup(cctx, filepath.Join(dir, "copy.db"), func(resonanz.BackupProgress) { cancel() })
		if err == nil {
			t.Fatal("cancelled backup succeeded")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("cancelled backup left %d file(s)", len(entries))
		}
	})
}

func TestRestore(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/ExactRowsOpenHandlesStayValid", func(t *testing.T) {
		db := MustOpenDB(t)
		fill(t, db, 300, 500)
		settings := sqlite.NewSettingsService(db)
		if _, err := settings.SetSender(ctx, resonanz.SenderIdentity{FromAddress: "before@example.org"}); err != nil {
			t.Fatal(err)
		}
		want := dump(t, db.SQL())
		backup := filepath.Join(t.TempDir(), "b.db")
		if err := db.Backup(ctx, backup, nil); err != nil {
			t.Fatal(err)
		}
		// Change everything after the backup.
		fill(t, db, 100, 10)
		db.SQL().Exec(`DELETE FROM audit_log WHERE id < 50`)
		if _, err := settings.SetSender(ctx, resonanz.SenderIdentity{FromAddress: "after@example.org"}); err != nil {
			t.Fatal(err)
		}
		changed := dump(t, db.SQL())

		safety := filepath.Join(t.TempDir(), "safety.db")
		var phases []string
		if err := db.Restore(ctx, backup, safety, func(p resonanz.BackupProgress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
		}); err != nil {
			t.Fatal(err)
		}
		// The same *sql.DB (the app's open handles and services) sees the
		// restored rows.
		if got := dump(t, db.SQL()); got != want {
			t.Errorf("restored rows differ from the backup")
		}
		if s, err := settings.Sender(ctx); err != nil || s.FromAddress != "before@example.org" {
			t.Errorf("sender after restore: %+v, %v", s, err)
		}
		if got := dump(t, openPlain(t, safety)); got != changed {
			t.Errorf("safety copy does not hold the state before the restore")
		}
		if info, err := db.Check(ctx, true); err != nil || !info.OK {
			t.Errorf("store after restore: %+v, %v", info, err)
		}
		if strings.Join(phases, ",") != "verify,safety,restore" {
			t.Errorf("phases %v", phases)
		}
		// Writes keep working.
		fill(t, db, 1, 1)
	})

	t.Run("OK/CancelledChangesNothing", func(t *testing.T) {
		src := MustOpenDB(t)
		fill(t, src, 3000, 4000) // several steps
		backup := filepath.Join(t.TempDir(), "b.db")
		if err := src.Backup(ctx, backup, nil); err != nil {
			t.Fatal(err)
		}
		db := MustOpenDB(t)
		fill(t, db, 10, 10)
		want := dump(t, db.SQL())
		cctx, cancel := context.WithCancel(ctx)
		steps := 0
		err := db.Restore(cctx, backup, "", func(p resonanz.BackupProgress) {
			if p.Phase == "restore" {
				steps++
				cancel()
			}
		})
		if err == nil || steps == 0 {
			t.Fatalf("cancelled restore: %v after %d steps", err, steps)
		}
		if got := dump(t, db.SQL()); got != want {
			t.Error("a cancelled restore changed the store")
		}
		if info, err := db.Check(ctx, true); err != nil || !info.OK {
			t.Errorf("store after a cancelled restore: %+v %v", info, err)
		}
	})

	t.Run("OK/OlderSchemaMigrated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "old.db")
		old, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: migrationsUpTo(t, 2)})
		if err != nil {
			t.Fatal(err)
		}
		fill(t, old, 10, 10)
		old.Close()
		db := MustOpenDB(t)
		if err := db.Restore(ctx, path, "", nil); err != nil {
			t.Fatal(err)
		}
		latest, _ := db.SchemaVersion(ctx)
		if latest != countMigrations(t) {
			t.Errorf("schema after restoring an old backup: %d, want %d", latest, countMigrations(t))
		}
		var n int
		db.SQL().QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'test'`).Scan(&n)
		if n != 10 {
			t.Errorf("restored %d rows, want 10", n)
		}
		// The backup file itself was not migrated.
		var v int
		openPlain(t, path).QueryRow(`SELECT max(version) FROM schema_migration`).Scan(&v)
		if v != 2 {
			t.Errorf("the backup file was changed: schema %d", v)
		}
	})

	t.Run("OK/BackupDuringLargeImportGetsNameIndexes", func(t *testing.T) {
		// A backup taken while a large import ran lacks the name indexes,
		// and its import run still says "running" (its process is gone).
		src := MustOpenDB(t)
		if _, err := src.SQL().Exec(`DROP INDEX recipient_first_key; DROP INDEX recipient_last_key;
			INSERT INTO import_run (kind, file_name, started_at, status, stats) VALUES ('recipients', 'x.csv', 1, 'running', '{"host":"elsewhere.example","pid":1,"heartbeat":1}')`); err != nil {
			t.Fatal(err)
		}
		db := MustOpenDB(t)
		if err := db.Restore(ctx, src.Path(), "", nil); err != nil {
			t.Fatal(err)
		}
		if n := nameIndexCount(t, db); n != 2 {
			t.Errorf("%d name indexes after the restore, want 2", n)
		}
	})

	t.Run("OK/LiveWALFileAsSource", func(t *testing.T) {
		src := MustOpenDB(t)
		fill(t, src, 20, 10)
		db := MustOpenDB(t)
		if err := db.Restore(ctx, src.Path(), "", nil); err != nil {
			t.Fatal(err)
		}
		if got, want := dump(t, db.SQL()), dump(t, src.SQL()); got != want {
			t.Error("restored rows differ")
		}
	})

	errCases := []struct {
		name string
		make func(t *testing.T) string
		code string
	}{
		{"ErrNotSQLite", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "x.db")
			os.WriteFile(p, []byte(strings.Repeat("not a database ", 400)), 0o600)
			return p
		}, resonanz.EINVALID},
		{"ErrEmpty", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "x.db")
			os.WriteFile(p, nil, 0o600)
			return p
		}, resonanz.EINVALID},
		{"ErrMissing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.db") }, resonanz.EINVALID},
		{"ErrOtherSQLite", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "x.db")
			o, _ := sql.Open("sqlite3", p)
			o.Exec(`CREATE TABLE t (a)`)
			o.Close()
			return p
		}, resonanz.EINVALID},
		{"ErrNewerSchema", func(t *testing.T) string {
			src := MustOpenDB(t)
			src.SQL().Exec(`INSERT INTO schema_migration (version, name, checksum, applied_at) VALUES (999, '0999_future.sql', 'x', 0)`)
			p := filepath.Join(t.TempDir(), "new.db")
			if err := src.Backup(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			return p
		}, resonanz.ECONFLICT},
		{"ErrDamaged", func(t *testing.T) string {
			return damagedCopy(t)
		}, resonanz.EINVALID},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			fill(t, db, 50, 100)
			want := dump(t, db.SQL())
			safetyDir := t.TempDir()
			err := db.Restore(ctx, tc.make(t), filepath.Join(safetyDir, "safety.db"), nil)
			if code := resonanz.ErrorCode(err); code != tc.code {
				t.Fatalf("restore: code %q (%v), want %q", code, err, tc.code)
			}
			if got := dump(t, db.SQL()); got != want {
				t.Error("a refused restore changed the store")
			}
			if entries, _ := os.ReadDir(filepath.Dir(db.Path())); len(entries) > 3 {
				names := []string{}
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("restore left files behind: %v", names)
			}
		})
	}
}

// damagedCopy returns a copy of a filled store whose b-tree pages in the
// middle were overwritten with garbage (the header stays intact).
func damagedCopy(t *testing.T) string {
	t.Helper()
	db := MustOpenDB(t)
	fill(t, db, 2000, 300)
	p := filepath.Join(t.TempDir(), "damaged.db")
	if err := db.Backup(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	corrupt(t, p, 4096*3, 4096*20)
	return p
}

// corrupt overwrites n bytes of the file at path from offset off.
func corrupt(t *testing.T, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, n)
	for i := range junk {
		junk[i] = byte(i*7 + 13)
	}
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFile(t *testing.T) {
	ctx := context.Background()
	good := func(t *testing.T) string {
		db := MustOpenDB(t)
		fill(t, db, 500, 300)
		p := filepath.Join(t.TempDir(), "good.db")
		if err := db.Backup(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		make func(t *testing.T) string
		ok   bool
	}{
		{"OK/Sound", good, true},
		{"OK/Missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.db") }, true},
		{"OK/Empty", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "e.db")
			os.WriteFile(p, nil, 0o600)
			return p
		}, true},
		{"Damaged/Pages", func(t *testing.T) string { return damagedCopy(t) }, false},
		{"Damaged/Header", func(t *testing.T) string {
			p := good(t)
			corrupt(t, p, 0, 100)
			return p
		}, false},
		{"Damaged/Truncated", func(t *testing.T) string {
			p := good(t)
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()/2)
			return p
		}, false},
		{"Damaged/NotSQLite", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "x.db")
			os.WriteFile(p, []byte(strings.Repeat("hello ", 2000)), 0o600)
			return p
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.make(t)
			for _, full := range []bool{false, true} {
				info, err := sqlite.CheckFile(ctx, p, full)
				if err != nil {
					t.Fatalf("full=%v: %v", full, err)
				}
				if info.OK != tc.ok {
					t.Errorf("full=%v: ok=%v problems=%q, want ok=%v", full, info.OK, info.Problems, tc.ok)
				}
				if !info.OK && len(info.Problems) == 0 {
					t.Errorf("damaged without a problem named")
				}
			}
		})
	}
}

func TestBackupDir(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	fill(t, db, 10, 10)
	dir := filepath.Join(t.TempDir(), "backups")
	bd := sqlite.NewBackupDir(db, dir)
	day := time.Date(2026, 11, 1, 10, 0, 0, 0, time.Local)
	bd.Now = func() time.Time { return day }

	t.Run("OK/DailyOncePerDay", func(t *testing.T) {
		res, made, err := bd.Daily(ctx, nil)
		if err != nil || !made || !res.OK {
			t.Fatalf("first daily: %+v %v %v", res, made, err)
		}
		if filepath.Base(res.File) != "resonanz-2026-11-01.db" {
			t.Errorf("daily file %s", res.File)
		}
		if _, made, _ := bd.Daily(ctx, nil); made {
			t.Error("a second daily backup was made on the same day")
		}
	})

	t.Run("OK/RetentionPrunesOldest", func(t *testing.T) {
		if err := bd.SetRetention(3); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			day = time.Date(2026, 11, 1+i, 10, 0, 0, 0, time.Local)
			if _, _, err := bd.Daily(ctx, nil); err != nil {
				t.Fatal(err)
			}
			// Give each copy its day as modification time, as a real run would.
			os.Chtimes(filepath.Join(dir, sqlite.DailyName(day)), day, day)
		}
		st, err := bd.Status()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range st.Backups {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != "resonanz-2026-11-06.db resonanz-2026-11-05.db resonanz-2026-11-04.db" {
			t.Errorf("kept %s", got)
		}
		if st.Retention != 3 || st.Last == nil || !st.Last.OK {
			t.Errorf("status %+v", st)
		}
	})

	t.Run("OK/FailedBackupKeepsGoodOnes", func(t *testing.T) {
		before, _ := bd.List()
		// A file where the backup folder's next copy must go makes it fail.
		day = time.Date(2026, 11, 20, 10, 0, 0, 0, time.Local)
		if err := os.Mkdir(filepath.Join(dir, sqlite.DailyName(day)+"x"), 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := bd.BackupNow(ctx, filepath.Join(dir, sqlite.DailyName(day)+"x"), nil)
		if err == nil {
			t.Fatal("backup onto a folder succeeded")
		}
		st, _ := bd.Status()
		if st.Last == nil || st.Last.OK || st.Last.Message == "" {
			t.Errorf("failed backup not recorded: %+v", st.Last)
		}
		after, _ := bd.List()
		if len(after) != len(before) {
			t.Errorf("a failed backup removed copies: %d → %d", len(before), len(after))
		}
	})

	t.Run("OK/RestoreByName", func(t *testing.T) {
		list, _ := bd.List()
		p, err := bd.Path(list[0].Name)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, db, 5, 5)
		if err := bd.Restore(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		var n int
		db.SQL().QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'test'`).Scan(&n)
		if n != 10 {
			t.Errorf("%d rows after restore, want 10", n)
		}
		var action string
		db.SQL().QueryRow(`SELECT action FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&action)
		if action != "backup.restore" {
			t.Errorf("newest audit entry %q, want backup.restore", action)
		}
		list, _ = bd.List()
		if list[0].Kind != resonanz.BackupSafety {
			t.Errorf("newest copy after restore is %+v, want the safety copy", list[0])
		}
	})

	t.Run("ErrPathOutsideFolder", func(t *testing.T) {
		for _, name := range []string{"../resonanz.db", "backup.json", "resonanz-2026-11-01.db/..", ""} {
			if _, err := bd.Path(name); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
				t.Errorf("Path(%q): %v", name, err)
			}
		}
	})

	t.Run("ErrRetention", func(t *testing.T) {
		for _, n := range []int{0, -1, 366} {
			if err := bd.SetRetention(n); resonanz.ErrorCode(err) != resonanz.EINVALID {
				t.Errorf("retention %d: %v", n, err)
			}
		}
	})
}

func TestBackupDir_RestoreInto(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	fill(t, db, 100, 100)
	want := dump(t, db.SQL())
	dir := filepath.Join(filepath.Dir(db.Path()), "backups")
	bd := sqlite.NewBackupDir(db, dir)
	if _, _, err := bd.Daily(ctx, nil); err != nil {
		t.Fatal(err)
	}
	fill(t, db, 2000, 300)
	db.Close()
	corrupt(t, db.Path(), 4096*2, 4096*30)
	if info, _ := sqlite.CheckFile(ctx, db.Path(), false); info.OK {
		t.Fatal("corruption not detected")
	}
	rec := sqlite.NewBackupDir(nil, dir)
	newest := rec.NewestGood(ctx)
	if newest == "" {
		t.Fatal("no good backup found")
	}
	aside, err := rec.RestoreInto(ctx, db.Path(), newest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(aside); err != nil {
		t.Errorf("damaged file not kept aside: %v", err)
	}
	again, err := sqlite.Open(ctx, db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	// The recovery is in the audit log; apart from that, the backup's rows.
	if res, err := again.SQL().Exec(`DELETE FROM audit_log WHERE action = 'backup.restore'`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("%d audit entries for the recovery, want 1", n)
	}
	if got := dump(t, again.SQL()); got != want {
		t.Error("recovered store differs from the backup")
	}
}

// The start-up check reads a store that another process has open (or that
// a crash left with its -wal and -shm): it must not call that damage, and
// must not lose what only the WAL holds.
func TestCheckFile_OpenElsewhereAndAfterCrash(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	fill(t, db, 300, 300) // in the WAL, not checkpointed
	if _, err := os.Stat(db.Path() + "-wal"); err != nil {
		t.Fatal(err)
	}
	if info, err := sqlite.CheckFile(ctx, db.Path(), false); err != nil || !info.OK {
		t.Fatalf("open elsewhere: %+v %v", info, err)
	}
	// A crash: the files as they are while the store is open.
	crashed := filepath.Join(t.TempDir(), sqlite.FileName)
	for _, s := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db.Path() + s)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(crashed+s, b, 0o600)
	}
	if info, err := sqlite.CheckFile(ctx, crashed, false); err != nil || !info.OK {
		t.Fatalf("after a crash: %+v %v", info, err)
	}
	again, err := sqlite.Open(ctx, crashed, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n int
	again.SQL().QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'test'`).Scan(&n)
	if n != 300 {
		t.Errorf("%d rows after the check of a crashed store, want 300", n)
	}
}

// TestUpToDate: only a file with exactly the embedded migrations applied
// opens without writing.
func TestUpToDate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	if sqlite.UpToDate(ctx, path) {
		t.Error("a missing file is up to date")
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !sqlite.UpToDate(ctx, path) {
		t.Error("a freshly migrated file is not up to date")
	}
	// A migration missing (an older Resonanz wrote it) or one too many (a
	// newer one did): opening would migrate or refuse.
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM schema_migration WHERE version = (SELECT MAX(version) FROM schema_migration)`); err != nil {
		t.Fatal(err)
	}
	if sqlite.UpToDate(ctx, path) {
		t.Error("a file with a migration missing is up to date")
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO schema_migration (version, name, checksum, applied_at) VALUES (998, 'a', 'b', 0), (999, 'c', 'd', 0)`); err != nil {
		t.Fatal(err)
	}
	if sqlite.UpToDate(ctx, path) {
		t.Error("a file from a newer version is up to date")
	}
	db.Close()
	if err := os.WriteFile(path, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if sqlite.UpToDate(ctx, path) {
		t.Error("a file that is not SQLite is up to date")
	}
}
