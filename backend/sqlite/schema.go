package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed" // the schema golden file
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// A data file's triggers, views, indexes and tables are part of its
// promises: the consent ledger is append-only because of a trigger, and a
// hand-made trigger could delete withdrawals or re-confirm people who
// unsubscribed. Open and Restore therefore compare the file's schema with
// what the migrations create and refuse any object that is unknown, missing
// or changed, naming it. The name indexes a large import drops (and the next
// open rebuilds, see nameindex.go) may be missing.

// schemaObject is one entry of sqlite_schema.
type schemaObject struct {
	typ, name, sql string
}

func (o schemaObject) label() string { return o.typ + " " + o.name }

// SchemaError says a data file's schema differs from the one the
// migrations create. It unwraps to a user-facing *resonanz.Error (EINVALID,
// key error.store.schema) whose "objects" parameter names the differences.
type SchemaError struct {
	Path                      string
	Unknown, Missing, Changed []string // "trigger forget_withdrawals", ...
}

// Objects lists the differences in one line.
func (e *SchemaError) Objects() string {
	var parts []string
	for _, g := range []struct {
		what  string
		names []string
	}{{"unknown", e.Unknown}, {"missing", e.Missing}, {"changed", e.Changed}} {
		for _, n := range g.names {
			parts = append(parts, g.what+" "+n)
		}
	}
	return strings.Join(parts, ", ")
}

// Error implements error.
func (e *SchemaError) Error() string { return e.Unwrap().(*resonanz.Error).Message }

// Unwrap returns the user-facing error.
func (e *SchemaError) Unwrap() error {
	return &resonanz.Error{Code: resonanz.EINVALID, Key: "error.store.schema", Params: map[string]string{"objects": e.Objects()},
		Message: fmt.Sprintf("The data file %s was changed outside Resonanz (%s): such changes can switch off the consent guarantees, so Resonanz refuses it. Restore a backup made by Resonanz.", e.Path, e.Objects())}
}

// expected caches the schema per migration set (keyed by the checksums).
var expected struct {
	sync.Mutex
	m map[string]map[string]schemaObject
}

// schema.golden.json (beside this file, embedded) holds what the
// migrations create, with the key of the migrations it was made from:
// TestSchemaGolden replays them and compares (go test -update rewrites it).
// Replaying them into memory takes 10-19 ms, which every start of the desk
// and every command paid before its first query; the file is read in well
// under one.
//
//go:embed schema.golden.json
var schemaGolden []byte

// goldenSchema is the file's content.
type goldenSchema struct {
	// Migrations is migrationsKey of the migrations it was made from.
	Migrations string         `json:"migrations"`
	Objects    []goldenObject `json:"objects"`
}

type goldenObject struct {
	Type string `json:"type"`
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// migrationsKey identifies a migration set: a hash of its checksums.
func migrationsKey(ms []migration) string {
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.checksum))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// expectedSchema returns what the migrations create: from the golden file
// when it was made from exactly these migrations, else built once per
// migration set in a throw-away in-memory database (a migration added
// without rewriting the file costs the replay, never a wrong answer).
func expectedSchema(ctx context.Context, migrations fs.FS) (map[string]schemaObject, error) {
	ms, err := loadMigrations(migrations)
	if err != nil {
		return nil, err
	}
	key := migrationsKey(ms)
	expected.Lock()
	defer expected.Unlock()
	if s, ok := expected.m[key]; ok {
		return s, nil
	}
	if expected.m == nil {
		expected.m = map[string]map[string]schemaObject{}
	}
	var g goldenSchema
	if err := json.Unmarshal(schemaGolden, &g); err == nil && g.Migrations == key {
		s := make(map[string]schemaObject, len(g.Objects))
		for _, o := range g.Objects {
			obj := schemaObject{typ: o.Type, name: o.Name, sql: o.SQL}
			s[obj.label()] = obj
		}
		expected.m[key] = s
		return s, nil
	}
	s, err := replaySchema(ctx, migrations)
	if err != nil {
		return nil, err
	}
	expected.m[key] = s
	return s, nil
}

// replaySchema applies migrations to a throw-away in-memory database and
// reads what they created.
func replaySchema(ctx context.Context, migrations fs.FS) (map[string]schemaObject, error) {
	sdb, err := sql.Open("sqlite3", "file::memory:?_foreign_keys=1")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1) // one connection: one in-memory database
	ref := &DB{db: sdb, path: ":memory:", Now: time.Now}
	if err := ref.migrate(ctx, migrations); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return readSchema(ctx, sdb)
}

// readSchema reads the schema objects, without SQLite's own (sqlite_*).
func readSchema(ctx context.Context, q querier) (map[string]schemaObject, error) {
	rows, err := q.QueryContext(ctx, `SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer rows.Close()
	out := map[string]schemaObject{}
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.typ, &o.name, &o.sql); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		out[o.label()] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return out, nil
}

// normalSQL compares definitions regardless of layout: whitespace, case and
// the IF NOT EXISTS of a rebuilt name index do not matter.
func normalSQL(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	return strings.Replace(s, "ifnotexists", "", 1)
}

// checkSchema compares the schema of the database behind q (reported as
// path) with what migrations create; a difference is a *SchemaError.
func checkSchema(ctx context.Context, q querier, path string, migrations fs.FS) error {
	want, err := expectedSchema(ctx, migrations)
	if err != nil {
		return err
	}
	got, err := readSchema(ctx, q)
	if err != nil {
		return err
	}
	e := &SchemaError{Path: path}
	for k, o := range got {
		w, ok := want[k]
		switch {
		case !ok:
			e.Unknown = append(e.Unknown, k)
		case normalSQL(w.sql) != normalSQL(o.sql):
			e.Changed = append(e.Changed, k)
		}
	}
	for k, w := range want {
		if _, ok := got[k]; !ok && !isNameIndex(w) {
			e.Missing = append(e.Missing, k)
		}
	}
	if len(e.Unknown)+len(e.Missing)+len(e.Changed) == 0 {
		return nil
	}
	slices.Sort(e.Unknown)
	slices.Sort(e.Missing)
	slices.Sort(e.Changed)
	return e
}

// isNameIndex reports whether o is one of the name indexes a large import
// drops for its duration.
func isNameIndex(o schemaObject) bool {
	if o.typ != "index" {
		return false
	}
	for _, ix := range nameIndexes {
		if ix.name == o.name {
			return true
		}
	}
	return false
}
