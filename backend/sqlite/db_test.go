package sqlite_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// MustOpenDB opens a fresh file store for the test (sqlitetest.MustOpenDB,
// the one every package's tests use).
var MustOpenDB = sqlitetest.MustOpenDB

func TestOpen_Pragmas(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

func TestOpen_FilePermissions(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // a shared data directory the user chose
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, sqlite.FileName), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v; personal data must not be readable by others", name, perm)
		}
	}
}

func TestOpen_PathWithSpecialCharacters(t *testing.T) {
	// Data dirs under a home like "/home/Jörg Müller/?#" must not be read as DSN options.
	path := filepath.Join(t.TempDir(), "Jörg Müller ?#&", sqlite.FileName)
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("store not created at the given path: %v", err)
	}
	if _, err := sqlite.Open(context.Background(), path, sqlite.Options{}); err != nil {
		t.Fatalf("reopen: %v", err)
	}
}

func migrationsUpTo(tb testing.TB, n int) fs.FS {
	tb.Helper()
	entries, err := fs.ReadDir(sqlite.Migrations, ".")
	if err != nil {
		tb.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, e := range entries[:n] {
		body, err := fs.ReadFile(sqlite.Migrations, e.Name())
		if err != nil {
			tb.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: body}
	}
	return m
}

func countMigrations(tb testing.TB) int {
	entries, err := fs.ReadDir(sqlite.Migrations, ".")
	if err != nil {
		tb.Fatal(err)
	}
	return len(entries)
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	latest := countMigrations(t)
	if latest < 2 {
		t.Fatalf("want at least two migrations to test upgrades, have %d", latest)
	}

	t.Run("OK/TwiceIsNoop", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sqlite.FileName)
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		before := schemaDump(t, db)
		var applied1 []int64
		collect(t, db, `SELECT applied_at FROM schema_migration ORDER BY version`, &applied1)
		db.Close()

		db, err = sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if after := schemaDump(t, db); after != before {
			t.Errorf("schema changed on second open:\n%s\n---\n%s", before, after)
		}
		var applied2 []int64
		collect(t, db, `SELECT applied_at FROM schema_migration ORDER BY version`, &applied2)
		if len(applied1) != latest || len(applied2) != latest {
			t.Fatalf("applied %d then %d migrations, want %d both times", len(applied1), len(applied2), latest)
		}
		for i := range applied1 {
			if applied1[i] != applied2[i] {
				t.Errorf("migration %d re-applied", i+1)
			}
		}
	})

	t.Run("OK/OlderSchemaUpgrades", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sqlite.FileName)
		old, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: migrationsUpTo(t, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := old.SchemaVersion(ctx); v != 1 {
			t.Fatalf("old schema version %d, want 1", v)
		}
		// Data written by the older version must survive the upgrade.
		if _, err := old.SQL().ExecContext(ctx,
			`INSERT INTO setting (name, value, updated_at) VALUES ('sender.from_address', 'old@example.org', 1)`); err != nil {
			t.Fatal(err)
		}
		old.Close()

		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, _ := db.SchemaVersion(ctx); v != latest {
			t.Fatalf("upgraded schema version %d, want %d", v, latest)
		}
		s, err := sqlite.NewSettingsService(db).Sender(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.FromAddress != "old@example.org" {
			t.Errorf("data lost in upgrade: %+v", s)
		}
		fresh := MustOpenDB(t)
		if got, want := schemaDump(t, db), schemaDump(t, fresh); got != want {
			t.Errorf("upgraded schema differs from fresh schema:\n%s\n---\n%s", got, want)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sqlite.FileName)
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx,
			`INSERT INTO schema_migration (version, name, checksum, applied_at) VALUES (999, '0999_future.sql', 'x', 0)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = sqlite.Open(ctx, path, sqlite.Options{})
		if code := resonanz.ErrorCode(err); code != resonanz.ECONFLICT {
			t.Fatalf("open newer store: code %q (%v), want conflict", code, err)
		}
	})

	t.Run("ErrChangedMigration", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sqlite.FileName)
		db, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: migrationsUpTo(t, 1)})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		changed := migrationsUpTo(t, 1).(fstest.MapFS)
		for name, f := range changed {
			changed[name] = &fstest.MapFile{Data: append(append([]byte{}, f.Data...), "\n-- edited\n"...)}
		}
		if _, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: changed}); err == nil {
			t.Fatal("opened a store whose applied migration was edited")
		}
	})

	t.Run("ErrBadMigrationSet", func(t *testing.T) {
		for name, set := range map[string]fstest.MapFS{
			"gap":      {"0001_a.sql": {Data: []byte("SELECT 1;")}, "0003_c.sql": {Data: []byte("SELECT 1;")}},
			"bad name": {"1_a.sql": {Data: []byte("SELECT 1;")}},
		} {
			_, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName), sqlite.Options{Migrations: set})
			if err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})

	t.Run("ErrFailingMigrationRollsBack", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sqlite.FileName)
		set := migrationsUpTo(t, 1).(fstest.MapFS)
		set["0002_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE half (id INTEGER); THIS IS NOT SQL;")}
		if _, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: set}); err == nil {
			t.Fatal("broken migration applied")
		}
		db, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: migrationsUpTo(t, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n)
		if n != 0 {
			t.Error("broken migration left a half-created table")
		}
	})
}

func schemaDump(tb testing.TB, db *sqlite.DB) string {
	tb.Helper()
	var parts []string
	collect(tb, db, `SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`, &parts)
	out := ""
	for _, p := range parts {
		out += p + "\n"
	}
	return out
}

func collect[T any](tb testing.TB, db *sqlite.DB, query string, out *[]T) {
	tb.Helper()
	rows, err := db.SQL().Query(query)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			tb.Fatal(err)
		}
		*out = append(*out, v)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
}
