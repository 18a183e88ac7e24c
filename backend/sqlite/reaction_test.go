package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// events is a resonanz.ReactionSource over a slice; an event with an empty
// DedupeKey stands for a malformed one.
type events struct {
	list []resonanz.ProviderEvent
	i    int
}

func (e *events) Next() (resonanz.ProviderEvent, error) {
	if e.i >= len(e.list) {
		return resonanz.ProviderEvent{}, io.EOF
	}
	ev := e.list[e.i]
	e.i++
	if ev.DedupeKey == "" {
		return ev, &resonanz.RowError{Line: ev.Line, Reason: "bad event"}
	}
	return ev, nil
}

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

func event(n int, typ resonanz.ReactionType, email string, at time.Time) resonanz.ProviderEvent {
	return resonanz.ProviderEvent{
		Provider: "sendgrid", DedupeKey: fmt.Sprintf("sendgrid:ev%d", n), Type: typ, EventRaw: string(typ),
		OccurredAt: at, Email: email, CampaignID: "spring", Line: n,
	}
}

type reactionFixture struct {
	db        *sqlite.DB
	svc       *sqlite.ReactionService
	mailing   resonanz.Mailing
	list      resonanz.List
	consented resonanz.Recipient // tracking consent for opens and clicks since t0-24h
	plain     resonanz.Recipient // no tracking consent
}

func newReactionFixture(t *testing.T) reactionFixture {
	t.Helper()
	ctx := context.Background()
	db := MustOpenDB(t)
	f := reactionFixture{db: db, svc: sqlite.NewReactionService(db)}
	var err error
	if f.list, err = sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "Reisen"}); err != nil {
		t.Fatal(err)
	}
	if f.mailing, err = sqlite.NewMailingService(db).CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: f.list.ID, ExternalID: "spring", Status: resonanz.MailingSent}); err != nil {
		t.Fatal(err)
	}
	recipients := sqlite.NewRecipientService(db)
	if f.consented, err = recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "Anna@Example.org"}); err != nil {
		t.Fatal(err)
	}
	if f.plain, err = recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "ben@example.org"}); err != nil {
		t.Fatal(err)
	}
	consents := sqlite.NewConsentService(db)
	for _, p := range []string{resonanz.PurposeTrackingOpens, resonanz.PurposeTrackingClicks} {
		if _, err := consents.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: f.consented.ID, Purpose: p, Granted: true,
			At: t0.Add(-24 * time.Hour), Source: resonanz.SourceForm, Wording: "Ja, Öffnungen und Klicks auswerten."}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []resonanz.Recipient{f.consented, f.plain} {
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'confirmed', 0)`, f.list.ID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f reactionFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.SQL().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestReactionService_Import(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	click := event(3, resonanz.ReactionClicked, "anna@example.org", t0.Add(time.Hour))
	click.URL, click.LinkKind, click.LinkName = "https://reisen.example/island?utm_source=newsletter", resonanz.LinkImage, "hero"
	unknown := event(6, resonanz.ReactionOpened, "nobody@example.org", t0)
	list := []resonanz.ProviderEvent{
		event(1, resonanz.ReactionDelivered, "anna@example.org", t0),
		event(2, resonanz.ReactionOpened, "ANNA@example.org", t0.Add(time.Minute)),
		click,
		event(4, resonanz.ReactionOpened, "ben@example.org", t0.Add(time.Minute)),  // no consent: anonymous
		event(2, resonanz.ReactionOpened, "anna@example.org", t0.Add(time.Minute)), // provider retry in the same file
		unknown,
		{Line: 7}, // malformed
	}
	res, err := f.svc.ImportReactions(ctx, &events{list: list}, resonanz.ReactionImport{FileName: "sg.json", Provider: "sendgrid"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := resonanz.ReactionImportResult{Read: 6, Imported: 4, Duplicates: 1, Unmatched: 1, Anonymized: 1, Rejected: 1}
	if res.Read != want.Read || res.Imported != want.Imported || res.Duplicates != want.Duplicates ||
		res.Unmatched != want.Unmatched || res.Anonymized != want.Anonymized || res.Rejected != want.Rejected {
		t.Errorf("result = %+v, want counts %+v", res, want)
	}
	if got := fmt.Sprint(res.ByType); got != "map[clicked:1 delivered:1 opened:3]" {
		t.Errorf("by_type = %s", got)
	}
	if len(res.Errors) != 1 || res.Errors[0].Line != 7 {
		t.Errorf("errors = %+v, want line 7", res.Errors)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != 3 {
		t.Errorf("Anna has %d personal reactions, want 3", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.plain.ID); n != 0 {
		t.Errorf("Ben (no consent) has %d personal reactions, want 0", n)
	}
	if n := f.count(t, `SELECT SUM(n) FROM reaction_anon WHERE mailing_id = ? AND type = 6`, f.mailing.ID); n != 1 {
		t.Errorf("anonymous opens = %d, want 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM link WHERE mailing_id = ? AND kind = 'image' AND name = 'hero' AND url_key = 'https://reisen.example/island'`, f.mailing.ID); n != 1 {
		t.Errorf("the clicked URL did not become an image link of the mailing")
	}
	q, err := f.svc.Quarantine(ctx, res.ImportID, 0)
	if err != nil || len(q) != 1 || q[0].Event.Email != "nobody@example.org" {
		t.Fatalf("quarantine = %+v, %v", q, err)
	}
	// The reason is stored as a catalogue key with params (the desk shows
	// it in the user's language) and in English (the command line).
	if q[0].Key != "reason.quarantine.unknownAddress" || q[0].Params["email"] != "nobody@example.org" ||
		q[0].Reason != `No recipient has the address "nobody@example.org".` {
		t.Errorf("quarantine reason = %q %q %v, want the key, params and English text", q[0].Reason, q[0].Key, q[0].Params)
	}

	t.Run("OldReasonsReadable", func(t *testing.T) {
		// A row quarantined before reasons had keys: shown as stored.
		if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO reaction_quarantine (key, import_id, email_key, reason, event)
			VALUES (x'00', ?, '', 'No recipient has the address "old@example.org".', '{}')`, res.ImportID); err != nil {
			t.Fatal(err)
		}
		defer f.db.SQL().ExecContext(ctx, `DELETE FROM reaction_quarantine WHERE key = x'00'`)
		q, err := f.svc.Quarantine(ctx, res.ImportID, 0)
		if err != nil || len(q) != 2 || q[1].Key != "" || q[1].Params != nil || !strings.Contains(q[1].Reason, "old@example.org") {
			t.Fatalf("quarantine = %+v, %v; want the old row with its text and no key", q, err)
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		again, err := f.svc.ImportReactions(ctx, &events{list: list}, resonanz.ReactionImport{Provider: "sendgrid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.Imported != 0 || again.Unmatched != 0 || again.Duplicates != 6 {
			t.Errorf("second import = %+v, want everything a duplicate", again)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction`); n != 3 {
			t.Errorf("%d reactions after the second import, want 3", n)
		}
	})

	t.Run("QuarantineMovesOutOnceMatched", func(t *testing.T) {
		if _, err := sqlite.NewRecipientService(f.db).CreateRecipient(ctx, resonanz.Recipient{Email: "nobody@example.org"}); err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{unknown}}, resonanz.ReactionImport{Provider: "sendgrid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.Imported != 1 || again.Anonymized != 1 {
			t.Errorf("re-import = %+v, want the event imported (anonymously: no consent)", again)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction_quarantine`); n != 0 {
			t.Errorf("quarantine still holds %d events", n)
		}
	})
}

func TestReactionService_ConsentAtEventTime(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	if _, err := sqlite.NewConsentService(f.db).AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: f.consented.ID,
		Purpose: resonanz.PurposeTrackingOpens, Granted: false, At: t0.Add(2 * time.Hour), Source: resonanz.SourceProfilePage}); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{
		event(1, resonanz.ReactionOpened, "anna@example.org", t0.Add(time.Hour)),   // consent valid then
		event(2, resonanz.ReactionOpened, "anna@example.org", t0.Add(3*time.Hour)), // withdrawn by then
		event(3, resonanz.ReactionOpened, "anna@example.org", t0.Add(-48*time.Hour)),
	}}, resonanz.ReactionImport{Provider: "sendgrid"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 3 || res.Anonymized != 2 {
		t.Errorf("result = %+v, want 3 imported, 2 of them anonymous", res)
	}
}

func TestReactionService_MailingMatching(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	other, err := sqlite.NewMailingService(f.db).CreateMailing(ctx, resonanz.Mailing{Name: "Sommer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (?, ?, 'm1@resonanz', 'sent', 0)`, other.ID, f.consented.ID); err != nil {
		t.Fatal(err)
	}
	byMeta := event(1, resonanz.ReactionDelivered, "anna@example.org", t0)
	byMeta.CampaignID, byMeta.Metadata = "", map[string]string{sqlite.MetadataMailing: fmt.Sprint(other.ID)}
	byMsg := event(2, resonanz.ReactionDelivered, "anna@example.org", t0)
	byMsg.CampaignID, byMsg.RFCMessageID = "", "m1@resonanz"
	byCampaign := event(3, resonanz.ReactionDelivered, "anna@example.org", t0)
	none := event(4, resonanz.ReactionDelivered, "anna@example.org", t0)
	none.CampaignID = "unknown-campaign"
	bounce := event(5, resonanz.ReactionBounced, "ben@example.org", t0)
	bounce.CampaignID, bounce.BounceKind = "", resonanz.BounceHard
	nothing := event(6, resonanz.ReactionDelivered, "anna@example.org", t0) // names no mailing and no campaign
	nothing.CampaignID = ""

	res, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{byMeta, byMsg, byCampaign, none, bounce, nothing}}, resonanz.ReactionImport{Provider: "sendgrid"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 5 || res.Unmatched != 1 {
		t.Errorf("result = %+v, want 5 imported and 1 unmatched", res)
	}
	// The unknown campaign became an imported mailing named after it.
	created, err := sqlite.NewMailingService(f.db).MailingByName(ctx, "unknown-campaign")
	if err != nil || created.Status != resonanz.MailingImported || created.ExternalID != "unknown-campaign" {
		t.Fatalf("campaign mailing = %+v, %v", created, err)
	}
	want := []resonanz.CampaignFiling{{ID: "spring", MailingID: f.mailing.ID, Events: 1}, {ID: "unknown-campaign", MailingID: created.ID, Created: true, Events: 1}}
	if fmt.Sprint(res.Campaigns) != fmt.Sprint(want) {
		t.Errorf("campaigns = %+v, want %+v", res.Campaigns, want)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE mailing_id = ?`, other.ID); n != 2 {
		t.Errorf("%d reactions matched by metadata and Message-ID, want 2", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE mailing_id = ?`, f.mailing.ID); n != 1 {
		t.Errorf("%d reactions matched by campaign id, want 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM suppression WHERE recipient_id = ? AND reason = 'hard_bounce'`, f.plain.ID); n != 1 {
		t.Error("a hard bounce without a mailing did not suppress the recipient")
	}

	t.Run("CampaignFoundAgain", func(t *testing.T) {
		// Another provider's log of the same campaign joins its mailing.
		pm := event(7, resonanz.ReactionOpened, "anna@example.org", t0.Add(time.Hour))
		pm.Provider, pm.DedupeKey, pm.CampaignID = "postmark", "postmark:7", "unknown-campaign"
		res, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{pm}}, resonanz.ReactionImport{Provider: "postmark"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Campaigns) != 1 || res.Campaigns[0] != (resonanz.CampaignFiling{ID: "unknown-campaign", MailingID: created.ID, Events: 1}) {
			t.Errorf("campaigns = %+v", res.Campaigns)
		}
	})
	t.Run("PickedMailing", func(t *testing.T) {
		res, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{nothing}}, resonanz.ReactionImport{Provider: "sendgrid", MailingID: other.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 1 {
			t.Errorf("with a picked mailing the quarantined event imports: %+v", res)
		}
	})
	t.Run("ErrUnknownPickedMailing", func(t *testing.T) {
		_, err := f.svc.ImportReactions(ctx, &events{}, resonanz.ReactionImport{MailingID: 9999}, nil)
		if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("err = %v, want not found", err)
		}
	})
}

func TestReactionService_Unsubscribe(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	unsub := event(1, resonanz.ReactionUnsubscribed, "ben@example.org", t0)
	for i := range 2 { // the second import is a duplicate: one withdrawal only
		if _, err := f.svc.ImportReactions(ctx, &events{list: []resonanz.ProviderEvent{unsub}}, resonanz.ReactionImport{FileName: "log.json", Provider: "sendgrid"}, nil); err != nil {
			t.Fatal(i, err)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM membership WHERE recipient_id = ? AND status = 'unsubscribed'`, f.plain.ID); n != 1 {
		t.Error("the membership is not unsubscribed")
	}
	history, err := sqlite.NewConsentService(f.db).ConsentHistory(ctx, f.plain.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 1 || history[0].Granted || history[0].Purpose != resonanz.PurposeNewsletter || history[0].ListID != f.list.ID || !history[0].At.Equal(t0) {
		t.Fatalf("ledger = %+v, want one newsletter withdrawal for the list at the event's time", history)
	}
	// The program wrote the wording and evidence: catalogue keys with
	// params for the desk, the English text for the hash and the export.
	c := history[0]
	if c.WordingKey != "ledger.wording.providerUnsubscribe" || c.EvidenceKey != "ledger.evidence.providerLog" ||
		c.TextParams["provider"] != "sendgrid" || c.TextParams["file"] != "log.json" || c.TextParams["line"] != "1" ||
		c.Wording != "Unsubscribed at the sending provider (sendgrid)." || c.WordingHash != resonanz.WordingHash(c.Wording) {
		t.Errorf("ledger entry = %+v, want the provider withdrawal's keys, params and English text", c)
	}
	// The data export (GDPR Art. 15/20) carries both: the language-neutral
	// key and params, and the English text the hash covers.
	exp, err := sqlite.NewRecipientService(f.db).PersonalData(ctx, f.plain.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(exp)
	for _, want := range []string{`"wording":"Unsubscribed at the sending provider (sendgrid)."`, `"wordingKey":"ledger.wording.providerUnsubscribe"`,
		`"evidenceKey":"ledger.evidence.providerLog"`, `"textParams":{`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("export lacks %s:\n%s", want, b)
		}
	}
}

func TestReactionService_RecordHits(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	hits := []resonanz.Hit{
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0, UserAgent: "Thunderbird"},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0, MachineOpen: true},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.plain.ID, At: t0},
		{Type: resonanz.ReactionClicked, MailingID: f.mailing.ID, RecipientID: f.plain.ID, At: t0},
		{Type: resonanz.ReactionOpened, MailingID: 4242, RecipientID: f.plain.ID, At: t0}, // mailing deleted
	}
	if err := f.svc.RecordHits(ctx, hits); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != 2 {
		t.Errorf("consented hits stored per person: %d, want 2", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE flags & 1 = 1`); n != 1 {
		t.Errorf("machine opens flagged: %d, want 1", n)
	}
	if n := f.count(t, `SELECT SUM(n) FROM reaction_anon`); n != 2 {
		t.Errorf("anonymous hits: %d, want 2", n)
	}

	t.Run("ErasureKeepsCounts", func(t *testing.T) {
		if err := sqlite.NewRecipientService(f.db).EraseRecipient(ctx, f.consented.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction`); n != 0 {
			t.Errorf("%d personal reactions left after erasure", n)
		}
		if n := f.count(t, `SELECT SUM(n) FROM reaction_anon WHERE type = 6`); n != 3 {
			t.Errorf("anonymous opens after erasure: %d, want 3", n)
		}
		// A later hit of the erased person only counts.
		if err := f.svc.RecordHits(ctx, hits[:1]); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT SUM(n) FROM reaction_anon WHERE type = 6`); n != 4 {
			t.Errorf("anonymous opens: %d, want 4", n)
		}
	})
}

// TestReactionService_ImportIsIdempotent is a property test: for random
// event sets, importing overlapping parts in any order, repeated, ends with
// the same store as importing the whole set once.
func TestReactionService_ImportIsIdempotent(t *testing.T) {
	ctx := context.Background()
	types := []resonanz.ReactionType{resonanz.ReactionOpened, resonanz.ReactionClicked, resonanz.ReactionDelivered, resonanz.ReactionBounced}
	emails := []string{"anna@example.org", "ben@example.org", "nobody@example.org"}
	snapshot := func(f reactionFixture) string {
		return fmt.Sprint(
			f.count(t, `SELECT COUNT(*) FROM reaction`),
			f.count(t, `SELECT COALESCE(SUM(n), 0) FROM reaction_anon`),
			f.count(t, `SELECT COUNT(*) FROM reaction_quarantine`),
			f.count(t, `SELECT COUNT(*) FROM reaction_seen`),
			f.count(t, `SELECT COUNT(*) FROM suppression`))
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		all := make([]resonanz.ProviderEvent, 20+rng.IntN(60))
		for i := range all {
			// Some events repeat an earlier id: provider retries.
			id := i
			if i > 0 && rng.IntN(5) == 0 {
				id = rng.IntN(i)
			}
			all[i] = event(id, types[id%len(types)], emails[id%len(emails)], t0.Add(time.Duration(id)*time.Minute))
			if all[i].Type == resonanz.ReactionBounced {
				all[i].BounceKind = resonanz.BounceHard
			}
		}
		once := newReactionFixture(t)
		if _, err := once.svc.ImportReactions(ctx, &events{list: all}, resonanz.ReactionImport{Provider: "sendgrid"}, nil); err != nil {
			t.Fatal(err)
		}
		want := snapshot(once)

		parts := newReactionFixture(t)
		parts.svc.BatchSize = 1 + rng.IntN(7)
		for range 4 {
			lo := rng.IntN(len(all))
			hi := lo + rng.IntN(len(all)-lo+1)
			sub := slices.Clone(all[lo:hi])
			rng.Shuffle(len(sub), func(i, j int) { sub[i], sub[j] = sub[j], sub[i] })
			if _, err := parts.svc.ImportReactions(ctx, &events{list: sub}, resonanz.ReactionImport{Provider: "sendgrid"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		res, err := parts.svc.ImportReactions(ctx, &events{list: all}, resonanz.ReactionImport{Provider: "sendgrid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshot(parts); got != want {
			t.Errorf("seed %d: store after overlapping imports %s, after one import %s", seed, got, want)
		}
		again, err := parts.svc.ImportReactions(ctx, &events{list: all}, resonanz.ReactionImport{Provider: "sendgrid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.Imported != 0 || again.Unmatched != 0 || again.Duplicates != again.Read {
			t.Errorf("seed %d: a repeated import added something: %+v (before: %+v)", seed, again, res)
		}
	}
}
