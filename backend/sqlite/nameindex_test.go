package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func nameIndexCount(tb testing.TB, db *sqlite.DB) int {
	tb.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('recipient_first_key', 'recipient_last_key')`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func people(from, n int) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"email": fmt.Sprintf("p%d@example.org", from+i), "first_name": fmt.Sprintf("Anna%d", (from+i)%7), "last_name": "Müller"}
	}
	return out
}

// TestImport_NameIndexes: a large import builds the name indexes at its end
// instead of row by row; a small one into a larger store keeps them; and
// either way the store ends with both, and a name search finds the people.
func TestImport_NameIndexes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		before, rows int
		wantDropped  bool
	}{
		{"large import into an empty store", 0, 100, true},
		{"large import into a store a third its size", 30, 100, true},
		{"small import (under one batch)", 0, 9, false},
		{"import small against the store", 400, 40, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			imp := sqlite.NewImportService(db)
			imp.BatchSize = 10
			if tc.before > 0 {
				if _, err := imp.ImportRecipients(ctx, src(people(10_000, tc.before)...), resonanz.RecipientImport{}, nil); err != nil {
					t.Fatal(err)
				}
			}
			dropped, indexing := false, false
			res, err := imp.ImportRecipients(ctx, src(people(0, tc.rows)...), resonanz.RecipientImport{ListName: "News"}, func(p resonanz.ImportProgress) {
				dropped = dropped || nameIndexCount(t, db) < 2
				indexing = indexing || p.Phase == resonanz.ImportPhaseIndexing
			})
			if err != nil || res.Created != tc.rows {
				t.Fatalf("%+v %v", res, err)
			}
			if dropped != tc.wantDropped {
				t.Errorf("name indexes dropped during the import: %v, want %v", dropped, tc.wantDropped)
			}
			if indexing != tc.wantDropped {
				t.Errorf("progress reported the indexing phase: %v, want %v", indexing, tc.wantDropped)
			}
			if n := nameIndexCount(t, db); n != 2 {
				t.Errorf("%d name indexes after the import, want 2", n)
			}
			var plan string
			db.SQL().QueryRow(`EXPLAIN QUERY PLAN SELECT id FROM recipient WHERE first_key >= 'anna3' AND first_key < 'anna4'`).Scan(new(int), new(int), new(int), &plan)
			if plan == "" || !strings.Contains(plan, "recipient_first_key") {
				t.Errorf("name search does not use the index: %q", plan)
			}
			page, err := sqlite.NewRecipientService(db).FindRecipients(ctx, resonanz.RecipientFilter{Search: "anna3", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for i := range tc.rows {
				if i%7 == 3 {
					want++
				}
			}
			for i := range tc.before {
				if (10_000+i)%7 == 3 {
					want++
				}
			}
			if page.Total != want {
				t.Errorf("search anna3 found %d, want %d", page.Total, want)
			}
		})
	}
}

// TestOpen_RestoresNameIndexes: an import that died while the name indexes
// were dropped leaves them missing; the next Open builds them, unless an
// import is still running (which builds them when it ends).
func TestOpen_RestoresNameIndexes(t *testing.T) {
	ctx := context.Background()
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name      string
		pid       int
		wantBuilt bool
	}{
		{"the importing process is gone", 1 << 30, true},
		{"the import still runs", os.Getpid(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), sqlite.FileName)
			db, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			stats := fmt.Sprintf(`{"host":%q,"pid":%d,"heartbeat":%d}`, host, tc.pid, time.Now().UnixMilli())
			if _, err := db.SQL().Exec(`DROP INDEX recipient_first_key; DROP INDEX recipient_last_key;
				INSERT INTO import_run (kind, file_name, started_at, status, stats) VALUES ('recipients', 'x.csv', 1, 'running', ?)`, stats); err != nil {
				t.Fatal(err)
			}
			db.Close()
			db, err = sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := nameIndexCount(t, db) == 2; got != tc.wantBuilt {
				t.Errorf("name indexes built at open: %v, want %v", got, tc.wantBuilt)
			}
		})
	}
}

// TestImport_OptimisticBatchFallsBack: a batch goes in without looking up
// its addresses until one of them exists; that batch is done again with
// the lookup, and nothing of the first attempt stays.
func TestImport_OptimisticBatchFallsBack(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	recipients := sqlite.NewRecipientService(db)
	old, err := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "p13@example.org", FirstName: "Olga", Title: "Dr."})
	if err != nil {
		t.Fatal(err)
	}
	imp := sqlite.NewImportService(db)
	imp.BatchSize = 10
	vals := people(0, 30) // p13 is in the second batch, p25 repeats p5 in the third
	vals[25] = map[string]string{"email": "P5@example.org", "title": "Prof."}
	res, err := imp.ImportRecipients(ctx, src(vals...), resonanz.RecipientImport{ListName: "News"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 30 || res.Created != 28 || res.Updated != 1 || res.Skipped != 1 || len(res.Rejected) != 0 {
		t.Errorf("result %+v", res)
	}
	var n, members, changes int
	db.SQL().QueryRow(`SELECT count(*), (SELECT count(*) FROM membership), (SELECT count(*) FROM import_change) FROM recipient`).Scan(&n, &members, &changes)
	// Changes are recorded for p13 and for the repeat of p5, whom an earlier batch created.
	if n != 29 || members != 29 || changes != 2 {
		t.Errorf("%d recipients, %d members, %d changes recorded; want 29, 29, 2", n, members, changes)
	}
	got, _ := recipients.RecipientByID(ctx, old.ID)
	if got.FirstName != "Anna6" || got.Title != "Dr." || got.Email != "p13@example.org" {
		t.Errorf("existing person after the import: %+v", got)
	}
	p5, _ := recipients.RecipientByEmail(ctx, "p5@example.org")
	if p5.Title != "Prof." || p5.FirstName != "Anna5" {
		t.Errorf("repeat of p5 not merged: %+v", p5)
	}
	if err := imp.UndoImport(ctx, res.ImportID); err != nil {
		t.Fatal(err)
	}
	db.SQL().QueryRow(`SELECT count(*), (SELECT count(*) FROM membership) FROM recipient`).Scan(&n, &members)
	if got, _ := recipients.RecipientByID(ctx, old.ID); n != 1 || members != 0 || got.FirstName != "Olga" {
		t.Errorf("after undo: %d recipients, %d members, %+v", n, members, got)
	}
}
