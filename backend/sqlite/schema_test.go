package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/resonanz/resonanz/backend/golden"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// tamper runs statements on a closed data file, like a hand-edited backup.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// The schema changes of a hostile backup: each can switch off a consent
// guarantee (or prepare to).
var hostileSchema = []struct {
	name  string
	stmts []string
	names []string // what the refusal must name
}{
	{"ExtraTriggerDeletesWithdrawals", []string{`CREATE TRIGGER forget_withdrawals AFTER INSERT ON consent WHEN NEW.granted = 0
		BEGIN DELETE FROM consent WHERE id = NEW.id; END`}, []string{"forget_withdrawals"}},
	{"ExtraTriggerReconfirms", []string{`CREATE TRIGGER reconfirm AFTER UPDATE ON membership WHEN NEW.status = 'unsubscribed'
		BEGIN UPDATE membership SET status = 'confirmed' WHERE list_id = NEW.list_id AND recipient_id = NEW.recipient_id; END`}, []string{"reconfirm"}},
	{"DroppedAppendOnly", []string{`DROP TRIGGER consent_append_only`}, []string{"consent_append_only"}},
	{"ChangedAppendOnly", []string{`DROP TRIGGER consent_append_only`,
		`CREATE TRIGGER consent_append_only BEFORE UPDATE ON consent WHEN 0 BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END`},
		[]string{"consent_append_only"}},
	{"ExtraView", []string{`CREATE VIEW leak AS SELECT email FROM recipient`}, []string{"leak"}},
	{"ExtraIndexAndDroppedIndex", []string{`CREATE INDEX spy ON recipient (email)`, `DROP INDEX consent_state`}, []string{"spy", "consent_state"}},
}

// TestSchemaCheck: a restore and an open compare the file's triggers,
// views, indexes and tables with what the migrations create and refuse any
// unknown, missing or changed one, naming it. The name indexes that a
// large import drops and the next open rebuilds are the one tolerated gap.
func TestSchemaCheck(t *testing.T) {
	ctx := context.Background()
	for _, tc := range hostileSchema {
		t.Run("ErrRestore/"+tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			fill(t, db, 20, 10)
			backup := filepath.Join(t.TempDir(), "b.db")
			if err := db.Backup(ctx, backup, nil); err != nil {
				t.Fatal(err)
			}
			tamper(t, backup, tc.stmts...)
			before := dump(t, db.SQL())
			err := db.Restore(ctx, backup, "", nil)
			var re *resonanz.Error
			if !errors.As(err, &re) || re.Key != "error.store.schema" || re.Code != resonanz.EINVALID {
				t.Fatalf("restore: %v", err)
			}
			for _, n := range tc.names {
				if !strings.Contains(re.Message, n) || !strings.Contains(re.Params["objects"], n) {
					t.Errorf("the refusal does not name %s: %s (%v)", n, re.Message, re.Params)
				}
			}
			if dump(t, db.SQL()) != before {
				t.Error("a refused restore changed the store")
			}
		})
		t.Run("ErrOpen/"+tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.db")
			db, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			tamper(t, path, tc.stmts...)
			db, err = sqlite.Open(ctx, path, sqlite.Options{})
			if err == nil {
				db.Close()
				t.Fatal("a tampered data file was opened")
			}
			problem, ok := sqlite.Damage(err)
			for _, n := range tc.names {
				if !ok || !strings.Contains(problem, n) {
					t.Errorf("open: %q %v does not name %s (%v)", problem, ok, n, err)
				}
			}
		})
	}
	t.Run("OK/NameIndexesDroppedByAnImport", func(t *testing.T) {
		db := MustOpenDB(t)
		fill(t, db, 20, 10)
		backup := filepath.Join(t.TempDir(), "b.db")
		if err := db.Backup(ctx, backup, nil); err != nil {
			t.Fatal(err)
		}
		// As during a large import that is still running: no name indexes.
		tamper(t, backup, `DROP INDEX recipient_last_key`, `DROP INDEX recipient_first_key`,
			`INSERT INTO import_run (kind, file_name, started_at, status) VALUES ('recipients', 'big.csv', 0, 'running')`)
		if err := db.Restore(ctx, backup, "", nil); err != nil {
			t.Fatalf("restore of a backup taken during a large import: %v", err)
		}
		reopened, err := sqlite.Open(ctx, backup, sqlite.Options{})
		if err != nil {
			t.Fatalf("open during a large import: %v", err)
		}
		reopened.Close()
	})
	t.Run("OK/Fresh", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		for range 2 {
			db, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
	})
}

// TestSchemaGolden: schema.golden.json, which Open and Restore compare a
// data file with, is what the migrations create (replayed into memory) and
// names the migrations it was made from; go test -update rewrites it.
func TestSchemaGolden(t *testing.T) {
	got, err := sqlite.SchemaGoldenJSON(context.Background(), sqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "schema.golden.json", got)
}

// TestSchemaGolden_StaleFileIsNotUsed: for migrations the golden file was not
// made from (a migration added without -update), the expected schema is
// replayed, so a good data file still opens and a tampered one is refused.
func TestSchemaGolden_StaleFileIsNotUsed(t *testing.T) {
	ctx := context.Background()
	extra := fstest.MapFS{}
	entries, err := fs.ReadDir(sqlite.Migrations, ".")
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, e := range entries {
		b, err := fs.ReadFile(sqlite.Migrations, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		extra[e.Name()] = &fstest.MapFile{Data: b}
		last = e.Name()
	}
	n, _ := strconv.Atoi(last[:4])
	extra[fmt.Sprintf("%04d_golden_stale.sql", n+1)] = &fstest.MapFile{Data: []byte(`CREATE TABLE golden_stale (id INTEGER PRIMARY KEY) STRICT;`)}
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: extra})
	if err != nil {
		t.Fatalf("a data file with a migration the golden file lacks: %v", err)
	}
	db.Close()
	tamper(t, path, `CREATE VIEW leak AS SELECT email FROM recipient`)
	if db, err := sqlite.Open(ctx, path, sqlite.Options{Migrations: extra}); err == nil {
		db.Close()
		t.Fatal("a tampered data file was opened")
	}
}
