package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestReactionService_SoftBouncesInARow: with a limit of 2, a person is
// suppressed only when their last two mailings both bounced softly; an old
// soft bounce and a single one do not count.
func TestReactionService_SoftBouncesInARow(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	var ms []resonanz.Mailing
	for i := range 3 {
		m, err := sqlite.NewMailingService(f.db).CreateMailing(ctx, resonanz.Mailing{Name: fmt.Sprintf("M%d", i+1), ListID: f.list.ID, Status: resonanz.MailingSent})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (?, ?, ?, 'sent', ?)`,
			m.ID, f.plain.ID, fmt.Sprintf("m%d@resonanz", i+1), i+1); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	n := 0
	soft := func(m resonanz.Mailing) {
		t.Helper()
		n++
		ev := resonanz.ProviderEvent{Provider: resonanz.ProviderMailbox, DedupeKey: fmt.Sprintf("mailbox:soft%d", n), Type: resonanz.ReactionBounced,
			BounceKind: resonanz.BounceSoft, OccurredAt: t0.Add(time.Duration(n) * time.Hour), Email: "ben@example.org",
			Metadata: map[string]string{sqlite.MetadataMailing: fmt.Sprint(m.ID)}}
		if _, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{ev}}, resonanz.ReactionImport{Provider: resonanz.ProviderMailbox, SoftBounceLimit: 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	suppressed := func() string {
		var reason string
		f.db.SQL().QueryRow(`SELECT COALESCE((SELECT reason FROM suppression WHERE recipient_id = ?), '')`, f.plain.ID).Scan(&reason)
		return reason
	}
	soft(ms[0]) // an old mailing: not among the last two
	soft(ms[2]) // the last one: one in a row
	if r := suppressed(); r != "" {
		t.Fatalf("suppressed (%s) before two in a row", r)
	}
	soft(ms[1]) // now the last two both bounced softly
	if r := suppressed(); r != "soft_bounce" {
		t.Fatalf("suppression %q, want soft_bounce", r)
	}
}
