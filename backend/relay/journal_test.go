package relay_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// crashingJournal is the desk's journal with a crash between applying an
// event and MarkApplied: the first MarkApplied fails.
type crashingJournal struct {
	*sqlite.RelayJournal
	crashed bool
}

func (j *crashingJournal) MarkApplied(ctx context.Context, relayID string, evs []relay.AppliedEvent) error {
	if !j.crashed {
		j.crashed = true
		return errors.New("desk killed before MarkApplied")
	}
	return j.RelayJournal.MarkApplied(ctx, relayID, evs)
}

// unsubscriber adapts the store's unsubscribe to the listener's interface.
type unsubscriber struct{ *sqlite.SubscriptionService }

func (u unsubscriber) Unsubscribe(ctx context.Context, r, m int64, oneClick bool, c resonanz.WebClient) error {
	return u.SubscriptionService.Unsubscribe(ctx, r, m, resonanz.SourceOneClick, c, resonanz.Text{Message: "one click"})
}

// TestApplyAndJournalAreOneTransaction: the desk applies a hit and an
// unsubscribe from the relay and is killed before it records them as
// applied; the next sync applies neither again (the store journals each
// event in the transaction that applies it) and moves the cursor.
func TestApplyAndJournalAreOneTransaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	list, err := sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "Kunden"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := sqlite.NewMailingService(db).CreateMailing(ctx, resonanz.Mailing{Name: "Juni", ListID: list.ID, Status: resonanz.MailingSent})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'confirmed', 0)`, list.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := e.st.RecordHits(ctx, []resonanz.Hit{{Type: resonanz.ReactionOpened, MailingID: m.ID, RecipientID: r.ID, At: now}}); err != nil {
		t.Fatal(err)
	}
	journal := &crashingJournal{RelayJournal: sqlite.NewRelayJournal(db)}
	desk := relay.Desk{Key: e.deskKey, Journal: journal, Hits: sqlite.NewReactionService(db),
		Subscriptions: unsubscriber{sqlite.NewSubscriptionService(db)}}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.SQL().QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The hit: applied, then the crash.
	if _, err := relay.Collect(ctx, e.client, desk); err == nil {
		t.Fatal("the crash went unnoticed")
	}
	if _, err := relay.Collect(ctx, e.client, desk); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COALESCE(SUM(n), 0) FROM reaction_anon`) + count(`SELECT COUNT(*) FROM reaction WHERE type = 6`); n != 1 {
		t.Errorf("the open was applied %d times, want once", n)
	}
	// The unsubscribe: applied, then the crash.
	if err := e.st.Unsubscribe(ctx, r.ID, m.ID, true, resonanz.WebClient{UserAgent: "Mail/1"}); err != nil {
		t.Fatal(err)
	}
	journal.crashed = false
	audits := count(`SELECT COUNT(*) FROM audit_log`)
	if _, err := relay.Collect(ctx, e.client, desk); err == nil {
		t.Fatal("the crash went unnoticed")
	}
	res, err := relay.Collect(ctx, e.client, desk)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM audit_log`) - audits; n != 1 {
		t.Errorf("the unsubscribe was applied %d times (audit rows), want once", n)
	}
	if len(res.Applied) != 0 || res.Through != 2 {
		t.Errorf("second sync after the crash: %+v, want nothing applied and the cursor at 2", res)
	}
	if cur, _ := sqlite.NewRelayJournal(db).Cursor(ctx, e.pairing.RelayID); cur != 2 {
		t.Errorf("cursor %d, want 2", cur)
	}
}
