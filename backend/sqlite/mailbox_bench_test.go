package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// BenchmarkMailboxBatch is the store side of one mailbox sync batch of
// 500 messages (the bench's mix: 7 of 10 hard bounces, one soft bounce,
// one auto-reply, one reply) over 10 000 recipients with a delivery each:
// the lookup of who the messages are about, then the effects and the
// records in one transaction. The sync's cost beyond the fetch is this
// and the classification.
func BenchmarkMailboxBatch(b *testing.B) {
	const people, batch = 10_000, 500
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(b)
	for _, q := range []string{
		`INSERT INTO list (name, created_at) VALUES ('Newsletter', 0)`,
		fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
		 INSERT INTO recipient (id, email, email_key, created_at, updated_at)
		 SELECT x, 'person' || x || '@example.org', 'person' || x || '@example.org', 0, 0 FROM c`, people),
		`INSERT INTO membership (list_id, recipient_id, status, updated_at) SELECT 1, id, 'confirmed', 0 FROM recipient`,
		`INSERT INTO mailing (id, name, list_id, status, created_at, updated_at, sent_at) VALUES (1, 'M', 1, 'sent', 0, 0, 0)`,
		`INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) SELECT 1, id, 'm1.r' || id || '@sonne.example', 'sent', 0 FROM recipient`,
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	store := sqlite.NewMailboxStore(db)
	run := store.BeginSync(resonanz.ReactionImport{FileName: "IMAP bench", Provider: resonanz.ProviderMailbox, SoftBounceLimit: 3})
	defer run.Finish("done")
	date := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	n := 0
	for b.Loop() {
		lookups := make([]resonanz.MailboxLookup, batch)
		for i := range lookups {
			who := (n+i)%people + 1
			lookups[i] = resonanz.MailboxLookup{MessageID: fmt.Sprintf("m1.r%d@sonne.example", who), Email: fmt.Sprintf("person%d@example.org", who)}
		}
		found, err := store.ResolveAll(ctx, lookups)
		if err != nil {
			b.Fatal(err)
		}
		var events []resonanz.ProviderEvent
		records := make([]resonanz.MailboxMessage, 0, batch)
		for i, who := range found {
			key := fmt.Sprintf("mid:dsn-%d@mail.sonne.example", n+i)
			rec := resonanz.MailboxMessage{Key: key, Kind: "bounce", Outcome: "applied", Date: date, From: "MAILER-DAEMON@mail.sonne.example",
				Subject: "Undelivered Mail Returned to Sender", RecipientID: who.RecipientID, MailingID: 1, Folder: "INBOX", UID: uint32(n + i + 1)}
			switch (n + i) % 10 {
			case 8:
				rec.Kind, rec.Outcome = "auto_reply", "kept"
			case 9:
				rec.Kind, rec.Outcome = "reply", "kept"
			default:
				ev := resonanz.ProviderEvent{Provider: resonanz.ProviderMailbox, SourceKind: "imap", ProviderEventID: key, Type: resonanz.ReactionBounced,
					Email: who.Email, EmailRaw: who.Email, BounceKind: resonanz.BounceHard, SMTPStatus: "5.1.1", SMTPResponse: "550 5.1.1 User unknown",
					OccurredAt: date, RFCMessageID: lookups[i].MessageID, DedupeKey: "mailbox:" + key + ":" + who.Email,
					Metadata: map[string]string{resonanz.HeaderMailing: "1", "from": rec.From, "folder": "INBOX"}}
				if (n+i)%10 == 7 {
					ev.BounceKind, ev.SMTPStatus = resonanz.BounceSoft, "4.4.1"
				}
				events = append(events, ev)
			}
			records = append(records, rec)
		}
		if err := run.Apply(ctx, events, records); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "messages/s")
}
