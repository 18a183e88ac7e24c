// Package sqlite implements the Resonanz services over database/sql and
// mattn/go-sqlite3: one file, WAL journal, foreign keys on, embedded numbered
// forward-only migrations.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/resonanz/resonanz/backend/resonanz"
)

// FileName is the name of the database file inside the data directory.
const FileName = "resonanz.db"

//go:embed migration/*.sql
var embedded embed.FS

// Migrations is the embedded set of numbered migrations (migration/NNNN_name.sql).
var Migrations fs.FS = mustSub(embedded, "migration")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// DB is an open Resonanz store.
type DB struct {
	db   *sql.DB
	path string
	// migrations are the store's migrations, which a restored backup is
	// brought up to.
	migrations fs.FS

	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// Options tune Open. The zero value opens with the embedded migrations.
type Options struct {
	// Migrations replaces the embedded migrations (tests use a subset to build
	// an older schema).
	Migrations fs.FS
}

// cacheSize is a connection's page cache (negative: KiB): 8 MB.
const cacheSize = "-8000"

// DSN returns the go-sqlite3 connection string for path: WAL journal, foreign
// keys enforced, a busy timeout so concurrent writers wait instead of failing,
// and immediate write transactions so a reader never has to upgrade its lock
// (the cause of SQLITE_BUSY deadlocks under WAL).
func DSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	q.Set("_mutex", "no")           // database/sql never shares a connection between goroutines at once
	q.Set("_cache_size", cacheSize) // 8 MB page cache per connection (SQLite default: 2 MB)
	// Prepared statements kept per connection, by their SQL text: the bulk
	// paths run the same chunked statements (IN lists of 500, multi-row
	// inserts) thousands of times, and preparing them anew was 8 % of a
	// reaction import's CPU. A statement whose schema changed is prepared
	// again by SQLite itself.
	q.Set("_stmt_cache_size", "32")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the store at path and brings its schema up
// to date.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// The file holds personal data: create it readable by its owner only
	// (SQLite gives the -wal and -shm files the same permissions).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f.Close()
	sdb, err := sql.Open("sqlite3", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db := &DB{db: sdb, path: path, Now: time.Now}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	migrations := opt.Migrations
	if migrations == nil {
		migrations = Migrations
	}
	db.migrations = migrations
	if err := db.migrate(ctx, migrations); err != nil {
		sdb.Close()
		return nil, err
	}
	if err := db.repairNameIndexes(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	if err := checkSchema(ctx, sdb, path, migrations); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the store.
func (db *DB) Close() error { return db.db.Close() }

// Path returns the file the store was opened from.
func (db *DB) Path() string { return db.path }

// SQL returns the underlying handle for tests and maintenance tools.
func (db *DB) SQL() *sql.DB { return db.db }

// SchemaVersion returns the highest migration version applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migration`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return int(v.Int64), nil
}

// migration is one numbered file of the migration set.
type migration struct {
	version  int
	name     string
	sql      string
	checksum string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q: name must look like 0001_name.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		v, _ := strconv.Atoi(m[1])
		sum := sha256.Sum256(body)
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %04d (versions are consecutive from 0001)", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies every migration not yet recorded in schema_migration, each
// in its own transaction together with its record. Migrations are forward
// only: a store written by a newer Resonanz (an unknown version) is refused
// rather than touched, and an applied migration whose text changed is refused
// because the schema would no longer be what the code expects.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return err
	}
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		checksum   TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: create schema_migration: %w", err)
	}

	applied := map[int]string{}
	rows, err := db.db.QueryContext(ctx, `SELECT version, checksum FROM schema_migration`)
	if err != nil {
		return fmt.Errorf("migrate: read applied: %w", err)
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: read applied: %w", err)
		}
		applied[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: read applied: %w", err)
	}

	for v := range applied {
		if v > len(ms) {
			return resonanz.E(resonanz.ECONFLICT, "error.store.dataFileWas", "The data file {path} was written by a newer version of Resonanz (schema {schema}, this version knows {known}). Update Resonanz to open it.", "path", db.path, "schema", v, "known", len(ms))
		}
	}
	for _, m := range ms {
		if sum, ok := applied[m.version]; ok {
			if sum != m.checksum {
				return fmt.Errorf("migrate: %s was changed after it was applied (checksum mismatch); add a new migration instead", m.name)
			}
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migration (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
		m.version, m.name, m.checksum, db.Now().UTC().UnixMilli()); err != nil {
		return fmt.Errorf("migrate %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: commit: %w", m.name, err)
	}
	return nil
}

// millis converts a time to the stored representation: unix milliseconds, UTC.
func millis(t time.Time) int64 { return t.UTC().UnixMilli() }

// fromMillis converts the stored representation back to a UTC time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
