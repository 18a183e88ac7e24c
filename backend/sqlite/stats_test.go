package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestStatsService_MailingStats(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	links, err := sqlite.NewMailingService(f.db).SetLinks(ctx, f.mailing.ID, []resonanz.Link{
		{URL: "https://reisen.example/island", Name: "Insel", Tags: []string{"Abenteuerreisen"}},
		{URL: "https://reisen.example/hero.jpg", Kind: resonanz.LinkImage},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []resonanz.Recipient{f.consented, f.plain} {
		if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (?, ?, ?, 'sent', 0)`,
			f.mailing.ID, r.ID, r.Email+"@msg"); err != nil {
			t.Fatal(err)
		}
	}
	m, a, b := f.mailing.ID, f.consented.ID, f.plain.ID
	hits := []resonanz.Hit{
		{Type: resonanz.ReactionOpened, MailingID: m, RecipientID: a, At: t0, UserAgent: "Mozilla/5.0 Thunderbird/128.0"},
		{Type: resonanz.ReactionOpened, MailingID: m, RecipientID: a, At: t0.Add(time.Hour)},
		{Type: resonanz.ReactionOpened, MailingID: m, RecipientID: b, At: t0, MachineOpen: true}, // anonymous
		{Type: resonanz.ReactionClicked, MailingID: m, RecipientID: a, LinkID: links[0].ID, At: t0.Add(time.Hour)},
		{Type: resonanz.ReactionClicked, MailingID: m, RecipientID: b, LinkID: links[0].ID, At: t0.Add(time.Hour)}, // anonymous
		{Type: resonanz.ReactionImageLoad, MailingID: m, RecipientID: a, LinkID: links[1].ID, At: t0},
	}
	if err := f.svc.RecordHits(ctx, hits); err != nil {
		t.Fatal(err)
	}
	stats := sqlite.NewStatsService(f.db)
	st, err := stats.MailingStats(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 2 || st.Opens != (resonanz.Count{Total: 3, Unique: 1, Machine: 1, Anonymous: 1}) ||
		st.Clicks != (resonanz.Count{Total: 2, Unique: 1, Anonymous: 1}) || st.ImageLoads.Total != 1 {
		t.Errorf("stats = %+v", st)
	}
	// b's click is anonymous but counts (estimated); b's open was a machine open.
	if st.Base != (resonanz.Base{Kind: resonanz.BaseSent, Count: 2}) || st.Openers != (resonanz.Reach{People: 1, Estimate: 1}) ||
		st.Clickers != (resonanz.Reach{People: 1, Estimate: 2}) {
		t.Errorf("base %+v openers %+v clickers %+v", st.Base, st.Openers, st.Clickers)
	}
	if st.Rates.Open != 0.5 || st.Rates.ClickToOpen != 1 || st.Rates.Click != 1 || st.Rates.OpenInclMachine != 0.5 {
		t.Errorf("rates = %+v", st.Rates)
	}
	checkFigures(t, stats, st)
	if len(st.Links) != 2 || st.Links[0].Name != "Insel" || st.Links[0].Clicks.Total != 2 || st.Links[1].ImageLoads.Total != 1 || st.Links[1].Kind != resonanz.LinkImage {
		t.Errorf("links = %+v", st.Links)
	}

	t.Run("ErasureKeepsTotals", func(t *testing.T) {
		if err := sqlite.NewRecipientService(f.db).EraseRecipient(ctx, a); err != nil {
			t.Fatal(err)
		}
		after, err := stats.MailingStats(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		checkFigures(t, stats, after)
		if after.Sent != 2 || after.Opens.Total != 3 || after.Opens.Unique != 0 || after.Clicks.Total != 2 || after.Links[0].Clicks.Total != 2 {
			t.Errorf("after erasure: %+v", after)
		}
	})

	t.Run("Timeline", func(t *testing.T) {
		tl, err := stats.MailingTimeline(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Hourly) != 2 || tl.Hourly[0].Opens != 2 || tl.Hourly[1].Opens != 1 || tl.Hourly[1].Clicks != 2 {
			t.Errorf("hourly = %+v", tl.Hourly)
		}
		// t0 is a Monday 09:00 UTC.
		if tl.Heatmap[0][9] != 2 || tl.Heatmap[0][10] != 3 {
			t.Errorf("heatmap Monday = %v", tl.Heatmap[0])
		}
	})

	t.Run("TimelineOfAll", func(t *testing.T) {
		tl, err := stats.MailingTimeline(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Hourly) != 2 || tl.Hourly[1].Clicks != 2 {
			t.Errorf("hourly over all = %+v", tl.Hourly)
		}
	})

	t.Run("Totals", func(t *testing.T) {
		all, err := stats.MailingStats(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if all.Opens.Total != 3 || all.Sent != 2 {
			t.Errorf("totals = %+v", all)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := stats.MailingStats(ctx, 999); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("err = %v", err)
		}
	})
}
