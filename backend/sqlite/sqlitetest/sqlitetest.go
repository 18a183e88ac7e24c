// Package sqlitetest helps tests that need a store: one MustOpenDB for
// every package.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/resonanz/resonanz/backend/sqlite"
)

// MustOpenDB opens a fresh file store (not :memory:, whose pool would give
// each connection its own database) in a temporary directory and closes it
// when the test ends. The key of the distinct-people sketches is random per
// store; tests fix it, so that an estimate (and a golden report holding one)
// is the same in every run.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), sqlite.FileName), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.SQL().Exec(`UPDATE sketch_key SET key = zeroblob(32)`); err != nil {
		tb.Fatal(err)
	}
	return db
}
