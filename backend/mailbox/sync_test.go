package mailbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/mailbox"
	"github.com/resonanz/resonanz/backend/mailbox/dovecottest"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// corpusPeople are the addresses of the corpus; the ones a corpus token
// names carry the token's recipient id.
var corpusPeople = []struct {
	email, msgID string
	token        int64
}{
	{"anna@example.com", "m7.r42.c3d1@verein.example", 42},
	{"bernd@example.net", "m7.r43.6f6f@verein.example", 43},
	{"martin@example.com", "m7.r44.0000@verein.example", 44},
	{"ulla@example.com", "m7.r45.6f6f@verein.example", 45},
	{"carla@example.org", "m7.r45.aa01@verein.example", 0},
	{"dieter@example.net", "m7.r46.b771@verein.example", 0},
	{"emil@example.edu", "m7.r47.0c0c@verein.example", 0},
	{"frieda@example.info", "m7.r48.9f9f@verein.example", 0},
	{"gustav@firma.example", "m7.r49.e0e0@verein.example", 0},
	{"hanna@altfirma.example", "m7.r49b@verein.example", 0},
	{"ida.nichtda@gmail.com", "m7.r50.1a1a@verein.example", 0},
	{"jonas.alt@gmx.de", "m7.r51.2b2b@verein.example", 0},
	{"klara.k@t-online.de", "m7.r52.3c3c@verein.example", 0},
	{"lena@firma-ionos.example", "m7.r53.4d4d@verein.example", 0},
	{"otto@mail-provider.example", "m7.r54.5e5e@verein.example", 0},
	{"sabine@example.com", "m7.r55.7a7a@verein.example", 0},
}

type syncFixture struct {
	db      *sqlite.DB
	srv     *dovecottest.Server
	syncer  *mailbox.Syncer
	cfg     mailbox.Config
	mailing resonanz.Mailing
	list    resonanz.List
	ids     map[string]int64 // address → recipient id
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	ctx := context.Background()
	srv, err := dovecottest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	db := sqlitetest.MustOpenDB(t)
	f := &syncFixture{db: db, srv: srv, ids: map[string]int64{}}
	if f.list, err = sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "Lindenhof"}); err != nil {
		t.Fatal(err)
	}
	if f.mailing, err = sqlite.NewMailingService(db).CreateMailing(ctx, resonanz.Mailing{Name: "Dezember", ListID: f.list.ID, Status: resonanz.MailingSent}); err != nil {
		t.Fatal(err)
	}
	recipients := sqlite.NewRecipientService(db)
	for i, p := range corpusPeople {
		r, err := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		f.ids[p.email] = r.ID
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'confirmed', 0)`, f.list.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (?, ?, ?, 'sent', ?)`,
			f.mailing.ID, r.ID, p.msgID, i); err != nil {
			t.Fatal(err)
		}
	}
	addr := testAddresses(t)
	f.syncer = &mailbox.Syncer{Store: sqlite.NewMailboxStore(db), Addresses: addr, SoftBounceLimit: 1, BatchSize: 7}
	f.cfg = mailbox.Config{Host: srv.Host, Port: srv.Port, Security: resonanz.MailboxNone, Username: srv.User, Password: srv.Password,
		ProcessedFolder: "Resonanz", Timeout: 20 * time.Second}
	return f
}

// corpusMessage returns a corpus file with its tokens and mailing id
// re-made for the fixture's ids.
func (f *syncFixture) corpusMessage(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "corpus", name+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(raw), "X-Resonanz-Mailing: 7", "X-Resonanz-Mailing: "+strconv.FormatInt(f.mailing.ID, 10))
	tk := testAddresses(t).Tokens
	for _, p := range corpusPeople {
		if p.token == 0 {
			continue
		}
		for _, kind := range []mailbox.TokenKind{mailbox.TokenBounce, mailbox.TokenUnsubscribe} {
			old, _ := tk.Sign(mailbox.TokenClaims{Kind: kind, MailingID: 7, RecipientID: p.token})
			fresh, _ := tk.Sign(mailbox.TokenClaims{Kind: kind, MailingID: f.mailing.ID, RecipientID: f.ids[p.email]})
			s = strings.ReplaceAll(s, old, fresh)
		}
	}
	return []byte(s)
}

func (f *syncFixture) suppressed(t *testing.T) map[string]string {
	t.Helper()
	rows, err := f.db.SQL().Query(`SELECT r.email, s.reason FROM suppression s JOIN recipient r ON r.id = s.recipient_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var e, reason string
		if err := rows.Scan(&e, &reason); err != nil {
			t.Fatal(err)
		}
		out[e] = reason
	}
	return out
}

func (f *syncFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSync runs the whole corpus through a real Dovecot: every kind is
// recognized and applied once, a second sync reads nothing, and a message
// seen again (moved back) changes nothing.
func TestSync(t *testing.T) {
	f := newSyncFixture(t)
	ctx := context.Background()
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, file := range files {
		if err := f.srv.Deliver(f.corpusMessage(t, strings.TrimSuffix(filepath.Base(file), ".eml"))); err != nil {
			t.Fatal(err)
		}
	}
	var last resonanz.MailboxProgress
	res, err := f.syncer.Sync(ctx, f.cfg, func(p resonanz.MailboxProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	want := resonanz.MailboxSyncResult{Read: len(files), BouncesHard: 10, BouncesSoft: 2, Complaints: 2, Unsubscribes: 2,
		AutoReplies: 3, Replies: 3, Unmatched: 2}
	if res.Read != want.Read || res.BouncesHard != want.BouncesHard || res.BouncesSoft != want.BouncesSoft ||
		res.Complaints != want.Complaints || res.Unsubscribes != want.Unsubscribes || res.AutoReplies != want.AutoReplies ||
		res.Replies != want.Replies || res.Unmatched != want.Unmatched || len(res.Errors) != 1 {
		t.Fatalf("result %+v\nwant %+v and 1 error", res, want)
	}
	// Reasons carry catalogue keys (the desk shows them in German).
	if e := res.Errors[0]; e.Key != "error.mailbox.message.noHeader" || e.Reason == "" {
		t.Errorf("error %+v, want the key error.mailbox.message.noHeader", e)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM mailbox_message WHERE outcome = 'unmatched' AND reason <> ''`); n != want.Unmatched {
		t.Errorf("%d unmatched messages with a reason, want %d", n, want.Unmatched)
	}
	if last.Done != len(files) || last.Total != len(files) {
		t.Errorf("last progress %+v", last)
	}
	sup := f.suppressed(t)
	for _, e := range []string{"anna@example.com", "dieter@example.net", "emil@example.edu", "frieda@example.info", "gustav@firma.example",
		"hanna@altfirma.example", "ida.nichtda@gmail.com", "jonas.alt@gmx.de", "klara.k@t-online.de", "lena@firma-ionos.example"} {
		if sup[e] != "hard_bounce" {
			t.Errorf("%s: suppression %q, want hard_bounce", e, sup[e])
		}
	}
	for e, reason := range map[string]string{"otto@mail-provider.example": "complaint", "ulla@example.com": "complaint",
		"carla@example.org": "soft_bounce", "martin@example.com": "soft_bounce"} {
		if sup[e] != reason {
			t.Errorf("%s: suppression %q, want %s", e, sup[e], reason)
		}
	}
	if _, ok := sup["bernd@example.net"]; ok || len(sup) != 14 {
		t.Errorf("suppressed %v", sup)
	}
	// Bernd unsubscribed by mail: membership ended, one withdrawal with the
	// mail's Date and From as evidence.
	var source, evidence, wordingKey, evidenceKey, params string
	if err := f.db.SQL().QueryRow(`SELECT source, evidence, wording_key, evidence_key, text_params FROM consent WHERE recipient_id = ? AND granted = 0`,
		f.ids["bernd@example.net"]).Scan(&source, &evidence, &wordingKey, &evidenceKey, &params); err != nil {
		t.Fatal(err)
	}
	// Stored as catalogue keys with params too, for the desk's languages.
	if wordingKey != "ledger.wording.mailUnsubscribe" || !strings.HasPrefix(evidenceKey, "ledger.evidence.mail") ||
		!strings.Contains(params, `"from":"bernd@example.net"`) || !strings.Contains(params, `"address":`) {
		t.Errorf("ledger keys: %q %q %s", wordingKey, evidenceKey, params)
	}
	// The first of Bernd's two unsubscribe mails (by file order) ended the
	// membership; the second found nothing left to end.
	if source != resonanz.SourceMailUnsubscribe || !strings.Contains(evidence, "From: bernd@example.net") || !strings.Contains(evidence, "Date: Fri, 4 Dec 2026 18:30:00 +0100") {
		t.Errorf("ledger: %s %q", source, evidence)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM membership WHERE status = 'unsubscribed'`); n != 3 { // bernd; otto and ulla complained
		t.Errorf("%d memberships ended, want 3", n)
	}
	// The report counts them.
	stats, err := sqlite.NewStatsService(f.db).MailingStats(ctx, f.mailing.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Nine of the ten hard bounces name the mailing (the legacy Exchange
	// report returns neither the original's Message-ID nor its headers).
	if stats.BouncedHard != 9 || stats.BouncedSoft != 2 || stats.Complaints != 2 || stats.Unsubscribes < 1 {
		t.Errorf("report: hard %d soft %d complaints %d unsubscribes %d", stats.BouncedHard, stats.BouncedSoft, stats.Complaints, stats.Unsubscribes)
	}
	replies, err := sqlite.NewMailboxStore(f.db).Replies(ctx, 10)
	if err != nil || len(replies) != 3 {
		t.Fatalf("replies %+v %v", replies, err)
	}
	var sabine *resonanz.MailboxMessage
	for i := range replies {
		if replies[i].From == "sabine@example.com" {
			sabine = &replies[i]
		}
	}
	if sabine == nil || sabine.RecipientID != f.ids["sabine@example.com"] || sabine.MailingID != f.mailing.ID || sabine.Subject == "" {
		t.Errorf("Sabine's reply: %+v", sabine)
	}

	before := snapshot(t, f.db)
	t.Run("SecondSyncChangesNothing", func(t *testing.T) {
		res, err := f.syncer.Sync(ctx, f.cfg, nil)
		if err != nil || res.Read != 0 {
			t.Fatalf("second sync: %+v %v", res, err)
		}
		if after := snapshot(t, f.db); after != before {
			t.Errorf("store changed:\n%s\n%s", before, after)
		}
	})
	t.Run("MovedBackChangesNothing", func(t *testing.T) {
		if err := f.srv.Deliver(f.corpusMessage(t, "exim")); err != nil {
			t.Fatal(err)
		}
		if err := f.srv.Deliver(f.corpusMessage(t, "unsubscribe-token")); err != nil {
			t.Fatal(err)
		}
		res, err := f.syncer.Sync(ctx, f.cfg, nil)
		if err != nil || res.Read != 2 || res.Skipped != 2 || res.BouncesHard != 0 || res.Unsubscribes != 0 {
			t.Fatalf("sync: %+v %v", res, err)
		}
		if after := snapshot(t, f.db); after != before {
			t.Errorf("store changed:\n%s\n%s", before, after)
		}
	})
	t.Run("ProcessedFolder", func(t *testing.T) {
		inbox, _ := filepath.Glob(filepath.Join(f.srv.Maildir(), "cur", "*"))
		newIn, _ := filepath.Glob(filepath.Join(f.srv.Maildir(), "new", "*"))
		moved, _ := filepath.Glob(filepath.Join(f.srv.Maildir(), ".Resonanz", "*", "*"))
		// Replies (3) and the unreadable message stay in the inbox.
		if len(inbox)+len(newIn) != 4 || len(moved) != len(files)+2-4 {
			t.Errorf("inbox %d+%d, processed %d", len(inbox), len(newIn), len(moved))
		}
	})
}

// snapshot sums up what a sync may change.
func snapshot(t *testing.T, db *sqlite.DB) string {
	t.Helper()
	var out []string
	for _, q := range []string{`SELECT COUNT(*) FROM reaction`, `SELECT COUNT(*) FROM suppression`, `SELECT COUNT(*) FROM consent`,
		`SELECT COUNT(*) FROM membership WHERE status = 'unsubscribed'`, `SELECT COUNT(*) FROM mailbox_message`, `SELECT COUNT(*) FROM reaction_quarantine`} {
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, strconv.Itoa(n))
	}
	return strings.Join(out, " ")
}

// TestConnect_Errors: wrong port, wrong security, wrong password each get
// their own clear error naming the field.
func TestConnect_Errors(t *testing.T) {
	srv, err := dovecottest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	ok := mailbox.Config{Host: srv.Host, Port: srv.Port, Security: resonanz.MailboxNone, Username: srv.User, Password: srv.Password, Timeout: 5 * time.Second}
	if err := mailbox.Test(ctx, ok); err != nil {
		t.Fatalf("OK: %v", err)
	}
	tests := []struct {
		name, field string
		mod         func(c *mailbox.Config)
	}{
		{"ErrPort", "host", func(c *mailbox.Config) { c.Port = 1 }},
		{"ErrTLSOnPlainPort", "security", func(c *mailbox.Config) { c.Security = resonanz.MailboxTLS }},
		{"ErrNoSTARTTLS", "security", func(c *mailbox.Config) { c.Security = resonanz.MailboxSTARTTLS }},
		{"ErrLogin", "password", func(c *mailbox.Config) { c.Password = "wrong" }},
		{"ErrFolder", "folders", func(c *mailbox.Config) { c.Folders = []string{"Nirgendwo"} }},
		{"ErrHost", "host", func(c *mailbox.Config) { c.Host = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := mailbox.Test(ctx, c)
			var e *resonanz.Error
			if !asError(err, &e) || e.Field != tt.field || e.Key == "" {
				t.Fatalf("error %v, want a field error on %s", err, tt.field)
			}
		})
	}
}

func asError(err error, target **resonanz.Error) bool {
	e, ok := err.(*resonanz.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestSync_CrashBetweenCommitAndMove: a sync that stops after a batch's
// effects and records are committed but before the batch is moved and its
// UID remembered reads that batch again next time, finds it processed,
// moves it and applies nothing twice: the store ends as after a sync that
// never stopped.
func TestSync_CrashBetweenCommitAndMove(t *testing.T) {
	ctx := context.Background()
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	run := func(t *testing.T, crash bool) (*syncFixture, resonanz.MailboxSyncResult) {
		f := newSyncFixture(t)
		for _, file := range files {
			if err := f.srv.Deliver(f.corpusMessage(t, strings.TrimSuffix(filepath.Base(file), ".eml"))); err != nil {
				t.Fatal(err)
			}
		}
		if !crash {
			res, err := f.syncer.Sync(ctx, f.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			return f, res
		}
		crashed := errors.New("crash")
		mailbox.SetAfterApply(f.syncer, func(string) error { return crashed })
		if _, err := f.syncer.Sync(ctx, f.cfg, nil); !errors.Is(err, crashed) {
			t.Fatalf("sync: %v, want the crash", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM mailbox_message`); n != f.syncer.BatchSize {
			t.Fatalf("%d messages recorded before the crash, want the first batch (%d)", n, f.syncer.BatchSize)
		}
		if moved, _ := filepath.Glob(filepath.Join(f.srv.Maildir(), ".Resonanz", "*", "*")); len(moved) != 0 {
			t.Fatalf("%d messages moved before the crash", len(moved))
		}
		if n := f.count(t, `SELECT COUNT(*) FROM import_run WHERE status = 'running'`); n != 0 {
			t.Errorf("%d import runs left running", n)
		}
		mailbox.SetAfterApply(f.syncer, nil)
		res, err := f.syncer.Sync(ctx, f.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Read != len(files) || res.Skipped != f.syncer.BatchSize {
			t.Errorf("sync after the crash read %d, skipped %d; want %d and the first batch", res.Read, res.Skipped, len(files))
		}
		return f, res
	}
	clean, _ := run(t, false)
	crashed, _ := run(t, true)
	if a, b := snapshot(t, clean.db), snapshot(t, crashed.db); a != b {
		t.Errorf("after a crash between commit and move the store is\n%s\nwant (no crash)\n%s", b, a)
	}
	if a, b := clean.count(t, `SELECT COUNT(*) FROM reaction_seen`), crashed.count(t, `SELECT COUNT(*) FROM reaction_seen`); a != b {
		t.Errorf("%d events stored, want %d", b, a)
	}
	moved, _ := filepath.Glob(filepath.Join(crashed.srv.Maildir(), ".Resonanz", "*", "*"))
	if len(moved) != len(files)-4 { // replies (3) and the unreadable message stay
		t.Errorf("%d messages moved, want %d", len(moved), len(files)-4)
	}
}
