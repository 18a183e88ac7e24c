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

func mailboxStore(t *testing.T) (*sqlite.DB, *sqlite.MailboxStore) {
	t.Helper()
	db := sqlitetest.MustOpenDB(t)
	for _, q := range []string{
		`INSERT INTO list (id, name, created_at) VALUES (1, 'Newsletter', 0)`,
		`INSERT INTO recipient (id, email, email_key, created_at, updated_at) VALUES (1, 'anna@example.org', 'anna@example.org', 0, 0),
			(2, 'Bernd@Example.org', 'bernd@example.org', 0, 0), (3, 'carla@example.org', 'carla@example.org', 0, 0)`,
		`INSERT INTO membership (list_id, recipient_id, status, updated_at) SELECT 1, id, 'confirmed', 0 FROM recipient`,
		`INSERT INTO mailing (id, name, list_id, status, created_at, updated_at, sent_at) VALUES (1, 'M', 1, 'sent', 0, 0, 0)`,
		`INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (1, 3, 'm1.r3@sonne.example', 'sent', 0)`,
	} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db, sqlite.NewMailboxStore(db)
}

// TestResolveAll: a token's recipient first, then the delivery with the
// Message-ID (with its mailing), then the address; nobody is the zero
// match.
func TestResolveAll(t *testing.T) {
	_, store := mailboxStore(t)
	tests := []struct {
		name   string
		lookup resonanz.MailboxLookup
		want   resonanz.MailboxMatch
	}{
		{"Token", resonanz.MailboxLookup{RecipientID: 1, MessageID: "m1.r3@sonne.example", Email: "bernd@example.org"}, resonanz.MailboxMatch{RecipientID: 1, Email: "anna@example.org"}},
		{"UnknownTokenThenMessageID", resonanz.MailboxLookup{RecipientID: 99, MessageID: "m1.r3@sonne.example", Email: "bernd@example.org"}, resonanz.MailboxMatch{RecipientID: 3, Email: "carla@example.org", MailingID: 1}},
		{"MessageID", resonanz.MailboxLookup{MessageID: "m1.r3@sonne.example"}, resonanz.MailboxMatch{RecipientID: 3, Email: "carla@example.org", MailingID: 1}},
		{"Address", resonanz.MailboxLookup{MessageID: "unknown@x", Email: "BERND@example.org"}, resonanz.MailboxMatch{RecipientID: 2, Email: "Bernd@Example.org"}},
		{"SameAddressAgain", resonanz.MailboxLookup{Email: "bernd@example.org"}, resonanz.MailboxMatch{RecipientID: 2, Email: "Bernd@Example.org"}},
		{"Nobody", resonanz.MailboxLookup{RecipientID: 98, MessageID: "none@x", Email: "nobody@example.org"}, resonanz.MailboxMatch{}},
		{"NoClue", resonanz.MailboxLookup{Email: "not an address"}, resonanz.MailboxMatch{}},
	}
	lookups := make([]resonanz.MailboxLookup, len(tests))
	for i, tt := range tests {
		lookups[i] = tt.lookup
	}
	got, err := store.ResolveAll(context.Background(), lookups)
	if err != nil || len(got) != len(tests) {
		t.Fatalf("%v %v", got, err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got[i] != tt.want {
				t.Errorf("%+v, want %+v", got[i], tt.want)
			}
		})
	}
}

// TestMailboxRun_ApplyIsOneTransaction: when the records of a batch cannot
// be stored, its effects are not stored either (a crash between the two
// can neither apply a batch without recording it nor the reverse).
func TestMailboxRun_ApplyIsOneTransaction(t *testing.T) {
	db, store := mailboxStore(t)
	ctx := context.Background()
	run := store.BeginSync(resonanz.ReactionImport{FileName: "IMAP test", Provider: resonanz.ProviderMailbox})
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	ev := resonanz.ProviderEvent{Provider: resonanz.ProviderMailbox, Type: resonanz.ReactionBounced, BounceKind: resonanz.BounceHard,
		Email: "anna@example.org", OccurredAt: at, DedupeKey: "mailbox:mid:dsn-1@x:anna@example.org", Metadata: map[string]string{resonanz.HeaderMailing: "1"}}
	bad := resonanz.MailboxMessage{Key: "mid:dsn-1@x", Kind: "no such kind", Outcome: "applied", Date: at}
	if err := run.Apply(ctx, []resonanz.ProviderEvent{ev}, []resonanz.MailboxMessage{bad}); err == nil {
		t.Fatal("a record the store refuses was accepted")
	}
	count := func(q string) (n int) {
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if r, s := count(`SELECT COUNT(*) FROM reaction`), count(`SELECT COUNT(*) FROM suppression`); r != 0 || s != 0 {
		t.Errorf("%d reactions and %d suppressions stored without their record", r, s)
	}
	good := bad
	good.Kind = "bounce"
	if err := run.Apply(ctx, []resonanz.ProviderEvent{ev}, []resonanz.MailboxMessage{good}); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish("done"); err != nil {
		t.Fatal(err)
	}
	if r, s, m := count(`SELECT COUNT(*) FROM reaction`), count(`SELECT COUNT(*) FROM suppression`), count(`SELECT COUNT(*) FROM mailbox_message`); r != 1 || s != 1 || m != 1 {
		t.Errorf("%d reactions, %d suppressions, %d records; want one each", r, s, m)
	}
	if n := count(`SELECT COUNT(*) FROM import_run WHERE status = 'done'`); n != 1 {
		t.Errorf("%d import runs done, want the sync's one", n)
	}
}

// TestMailboxRun_Records: a batch's records go in statements of many rows;
// every record of a batch longer than one statement is stored with its
// fields, a key twice in one batch or stored before is kept as first
// stored, and a recipient or mailing that does not exist is stored as
// unknown.
func TestMailboxRun_Records(t *testing.T) {
	db, store := mailboxStore(t)
	ctx := context.Background()
	run := store.BeginSync(resonanz.ReactionImport{FileName: "IMAP test", Provider: resonanz.ProviderMailbox})
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	first := []resonanz.MailboxMessage{{Key: "mid:early@x", Kind: "reply", Outcome: "kept", Date: at, Subject: "stored before", Folder: "INBOX", UID: 1}}
	if err := run.Apply(ctx, nil, first); err != nil {
		t.Fatal(err)
	}
	var batch []resonanz.MailboxMessage
	for i := range 150 { // more than two statements' worth
		batch = append(batch, resonanz.MailboxMessage{Key: fmt.Sprintf("mid:m%d@x", i), Kind: "bounce", Outcome: "applied", Date: at.Add(time.Duration(i) * time.Second),
			From: "mailer-daemon@x", FromName: "Mail Delivery System", Subject: fmt.Sprintf("Undelivered %d", i), RecipientID: int64(i%3 + 1), MailingID: 1, Folder: "INBOX", UID: uint32(i + 2)})
	}
	batch[7].RecipientID, batch[8].MailingID = 99, 98 // gone meanwhile
	batch = append(batch,
		resonanz.MailboxMessage{Key: "mid:m3@x", Kind: "reply", Outcome: "kept", Date: at, Subject: "the same key again"},
		resonanz.MailboxMessage{Key: "mid:early@x", Kind: "reply", Outcome: "kept", Date: at, Subject: "stored in an earlier batch"})
	if err := run.Apply(ctx, nil, batch); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish("done"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM mailbox_message`).Scan(&n); err != nil || n != 151 {
		t.Fatalf("%d records (%v), want 151", n, err)
	}
	tests := []struct {
		key, subject             string
		uid                      uint32
		recipient, mailing, date int64
	}{
		{"mid:early@x", "stored before", 1, 0, 0, at.UnixMilli()},
		{"mid:m0@x", "Undelivered 0", 2, 1, 1, at.UnixMilli()},
		{"mid:m3@x", "Undelivered 3", 5, 1, 1, at.Add(3 * time.Second).UnixMilli()},
		{"mid:m7@x", "Undelivered 7", 9, 0, 1, at.Add(7 * time.Second).UnixMilli()},
		{"mid:m8@x", "Undelivered 8", 10, 3, 0, at.Add(8 * time.Second).UnixMilli()},
		{"mid:m64@x", "Undelivered 64", 66, 2, 1, at.Add(64 * time.Second).UnixMilli()},
		{"mid:m149@x", "Undelivered 149", 151, 3, 1, at.Add(149 * time.Second).UnixMilli()},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			var subject string
			var uid, recipient, mailing, date int64
			err := db.SQL().QueryRow(`SELECT subject, uid, COALESCE(recipient_id, 0), COALESCE(mailing_id, 0), date FROM mailbox_message WHERE key = ?`, tt.key).
				Scan(&subject, &uid, &recipient, &mailing, &date)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.subject || uid != int64(tt.uid) || recipient != tt.recipient || mailing != tt.mailing || date != tt.date {
				t.Errorf("subject %q uid %d recipient %d mailing %d date %d; want %q %d %d %d %d", subject, uid, recipient, mailing, date,
					tt.subject, tt.uid, tt.recipient, tt.mailing, tt.date)
			}
		})
	}
}
