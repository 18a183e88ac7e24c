package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestMailingFigures_1k: the mailing list's figures of 1,000 mailings
// (deliveries, personal and anonymous opens and clicks) equal each
// mailing's report, and come from grouped queries, not one report per
// mailing: the test logs both times (the N+1 way is AllMailingStats).
func TestMailingFigures_1k(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 mailings")
	}
	ctx := context.Background()
	w := newReportWorld(t, 20, func(i int) bool { return i%2 == 0 })
	mailings := sqlite.NewMailingService(w.db)
	var ids []int64
	for i := range 1000 {
		m, err := mailings.CreateMailing(ctx, resonanz.Mailing{Name: fmt.Sprintf("M%04d", i), ListID: w.list.ID, Status: resonanz.MailingSent})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	tx, err := w.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		for p := range 1 + i%20 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (?, ?, ?, 'sent', ?)`,
				id, w.people[p].ID, fmt.Sprintf("%d.%d@r", id, p), t0.Add(-time.Hour).UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var hits []resonanz.Hit
	for i, id := range ids {
		for p := range i % 7 {
			hits = append(hits, resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: id, RecipientID: w.people[p].ID, At: t0, MachineOpen: p == 3})
			if p%3 == 0 {
				hits = append(hits, resonanz.Hit{Type: resonanz.ReactionClicked, MailingID: id, RecipientID: w.people[p].ID, At: t0})
			}
		}
	}
	if err := w.reacts.RecordHits(ctx, hits); err != nil {
		t.Fatal(err)
	}

	w.stats.MailingFigures(ctx) // warm both: the first read after the writes pays for the cache
	w.stats.AllMailingStats(ctx)
	start := time.Now()
	figures, err := w.stats.MailingFigures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grouped := time.Since(start)
	start = time.Now()
	reports, err := w.stats.AllMailingStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perMailing := time.Since(start)
	t.Logf("1,000 mailings, %d hits: MailingFigures %v, AllMailingStats (one report per mailing) %v", len(hits), grouped, perMailing)
	if len(figures) != 1000 || len(reports) != 1000 {
		t.Fatalf("%d figures, %d reports", len(figures), len(reports))
	}
	opened := 0
	for i, st := range reports {
		f := figures[i]
		want := resonanz.MailingFigures{MailingID: st.MailingID, Sent: st.Sent, Base: st.Base.Count, Openers: st.Openers.Best(),
			Clickers: st.Clickers.Best(), OpenRate: st.Rates.Open, ClickRate: st.Rates.Click}
		if f != want {
			t.Fatalf("mailing %d: figures %+v, report %+v", st.MailingID, f, want)
		}
		opened += f.Openers
	}
	if opened == 0 {
		t.Fatal("no opens counted: the fixture is wrong")
	}
}
