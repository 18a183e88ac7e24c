package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestHitInbox: hits are durable in the inbox before any merge, a merge
// applies the same consent gate as RecordHits, and a crash between the
// merge's commit and the inbox's clean-up doubles nothing.
func TestHitInbox(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in, err := sqlite.OpenHitInbox(ctx, f.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	hits := []resonanz.Hit{
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0, UserAgent: "Thunderbird"},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0, MachineOpen: true},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.plain.ID, At: t0},
		{Type: resonanz.ReactionClicked, MailingID: f.mailing.ID, RecipientID: f.plain.ID, At: t0},
		{Type: resonanz.ReactionOpened, MailingID: 4242, RecipientID: f.plain.ID, At: t0}, // mailing deleted
	}
	if err := in.RecordHits(ctx, hits); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction`); n != 0 {
		t.Fatalf("%d reactions before the merge", n)
	}
	path := filepath.Join(filepath.Dir(f.db.Path()), sqlite.InboxFileName)
	raw, err := sql.Open("sqlite3", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The rows as the crash would leave them: merged, but not deleted.
	rows, err := raw.QueryContext(ctx, `SELECT id, type, mailing_id, recipient_id, link_id, at, machine, ua FROM hit`)
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]any
	for rows.Next() {
		r := make([]any, 8)
		ptrs := make([]any, 8)
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, r)
	}
	rows.Close()
	if len(kept) != len(hits) {
		t.Fatalf("%d hits in the inbox, want %d", len(kept), len(hits))
	}
	check := func(t *testing.T) {
		t.Helper()
		if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != 2 {
			t.Errorf("consented hits stored per person: %d, want 2", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE flags & 1 = 1`); n != 1 {
			t.Errorf("machine opens flagged: %d, want 1", n)
		}
		if n := f.count(t, `SELECT SUM(n) FROM reaction_anon`); n != 2 {
			t.Errorf("anonymous hits: %d, want 2", n)
		}
	}
	if n, err := in.MergeAll(ctx); err != nil || n != len(hits) {
		t.Fatalf("merged %d, %v", n, err)
	}
	check(t)

	t.Run("CrashBeforeCleanUp", func(t *testing.T) {
		for _, r := range kept {
			if _, err := raw.ExecContext(ctx, `INSERT INTO hit (id, type, mailing_id, recipient_id, link_id, at, machine, ua) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r...); err != nil {
				t.Fatal(err)
			}
		}
		again, err := sqlite.OpenHitInbox(ctx, f.db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := again.MergeAll(ctx); err != nil || n != 0 {
			t.Fatalf("merged %d again, %v", n, err)
		}
		check(t)
		var left int
		raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM hit`).Scan(&left)
		if left != 0 {
			t.Errorf("%d hits left in the inbox", left)
		}
		if err := again.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CloseMerges", func(t *testing.T) {
		in.Start()
		if err := in.RecordHits(ctx, hits[:1]); err != nil {
			t.Fatal(err)
		}
		if err := in.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != 3 {
			t.Errorf("after Close: %d personal reactions, want 3", n)
		}
	})
}
