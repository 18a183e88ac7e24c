package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// fillRecipients inserts n deterministic recipients with multi-row inserts.
func fillRecipients(tb testing.TB, db *sqlite.DB, n int) {
	tb.Helper()
	last := []string{"müller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann"}
	tx, err := db.SQL().Begin()
	if err != nil {
		tb.Fatal(err)
	}
	const per = 200
	q := `INSERT INTO recipient (email, email_key, first_name, last_name, first_key, last_key, created_at, updated_at) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,1,1),", per), ",")
	st, err := tx.Prepare(q)
	if err != nil {
		tb.Fatal(err)
	}
	args := make([]any, 0, per*6)
	for i := range n {
		e := fmt.Sprintf("p%07d@example.org", i)
		ln := fmt.Sprintf("%s%d", last[i%len(last)], i%10007)
		args = append(args, e, e, "Anna", ln, "anna", ln)
		if len(args) == cap(args) {
			if _, err := st.Exec(args...); err != nil {
				tb.Fatal(err)
			}
			args = args[:0]
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkFindRecipients1M: the recipient table's queries over a million
// recipients (target ≤ 100 ms with a filter).
func BenchmarkFindRecipients1M(b *testing.B) {
	db := MustOpenDB(b)
	fillRecipients(b, db, 1_000_000)
	svc := sqlite.NewRecipientService(db)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    resonanz.RecipientFilter
	}{
		{"FirstPage", resonanz.RecipientFilter{Limit: 100}},
		{"SearchLastName", resonanz.RecipientFilter{Search: "Schulz12", Limit: 100, Sort: "lastName"}},
		{"SearchEmail", resonanz.RecipientFilter{Search: "p00012", Limit: 100}},
		{"DeepPage", resonanz.RecipientFilter{Limit: 100, Offset: 900_000}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.FindRecipients(ctx, bc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
