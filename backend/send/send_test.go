package send_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// fakeMailer records what it was given; it refuses addresses in reject
// permanently and cancels ctx after cancelAfter messages.
type fakeMailer struct {
	mu          sync.Mutex
	got         []*resonanz.Message
	reject      map[string]bool
	cancelAfter int
	cancel      context.CancelFunc
}

type permanentErr struct{ addr string }

func (e permanentErr) Error() string          { return "550 no such user " + e.addr }
func (e permanentErr) PermanentFailure() bool { return true }

func (f *fakeMailer) Send(ctx context.Context, msgs []*resonanz.Message) ([]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		if f.reject[m.To] {
			errs[i] = permanentErr{m.To}
			continue
		}
		f.got = append(f.got, m)
		if f.cancelAfter > 0 && len(f.got) == f.cancelAfter {
			f.cancel()
		}
	}
	return errs, nil
}

type tracker struct{}

func (tracker) Open(m, r int64) string { return fmt.Sprintf("https://t.example/o/%d/%d", m, r) }
func (tracker) Click(m, r, l int64) string {
	return fmt.Sprintf("https://t.example/c/%d/%d/%d", m, r, l)
}
func (tracker) Image(m, r, i int64) string {
	return fmt.Sprintf("https://t.example/i/%d/%d/%d", m, r, i)
}
func (tracker) Unsubscribe(m, r int64) string { return fmt.Sprintf("https://t.example/u/%d/%d", m, r) }
func (tracker) Profile(m, r int64) string     { return fmt.Sprintf("https://t.example/p/%d/%d", m, r) }
func (tracker) Survey(m, r, s int64) string {
	return fmt.Sprintf("https://t.example/s/%d/%d/%d", m, r, s)
}

type fixture struct {
	db      *sqlite.DB
	store   *sqlite.SendStore
	mailing resonanz.Mailing
	job     send.Job
	people  []resonanz.Recipient
}

// newFixture makes a list of n people with newsletter consent (every third
// also with tracking consent), one without consent and one suppressed.
func newFixture(t *testing.T, n int) fixture {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	list, err := sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "Reisen"})
	if err != nil {
		t.Fatal(err)
	}
	recipients, consents, subs := sqlite.NewRecipientService(db), sqlite.NewConsentService(db), sqlite.NewSubscriptionService(db)
	f := fixture{db: db, store: sqlite.NewSendStore(db)}
	for i := range n + 2 {
		r, err := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%03d@example.org", i), LastName: fmt.Sprintf("Person%d", i), Gender: resonanz.GenderFemale})
		if err != nil {
			t.Fatal(err)
		}
		if i == n { // confirmed member without newsletter consent
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO membership (list_id, recipient_id, status, updated_at) VALUES (?, ?, 'confirmed', 0)`, list.ID, r.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := subs.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja, Reise-Newsletter"); err != nil {
			t.Fatal(err)
		}
		if i == n+1 {
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO suppression (recipient_id, reason, at) VALUES (?, 'hard_bounce', 0)`, r.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if i%3 == 0 {
			for _, p := range []string{resonanz.PurposeTrackingOpens, resonanz.PurposeTrackingClicks} {
				if _, err := consents.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: r.ID, Purpose: p, Granted: true,
					At: time.Now().Add(-time.Hour), Source: resonanz.SourceForm, Wording: "Ja"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		f.people = append(f.people, r)
	}
	mailings := sqlite.NewMailingService(db)
	f.mailing, err = mailings.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID, Subject: "Hallo {{ last_name }}",
		Body: "{{ salutation }},\n\n[Zur Insel](https://reisen.example/insel){tags=\"Abenteuerreisen\"}\n\n![Bild](https://reisen.example/bild.jpg)\n\n[Umfrage]({{ survey_url \"leser\" }})\n"})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := render.Compile(resonanz.Template{Subject: f.mailing.Subject, Body: f.mailing.Body}, nil)
	if err != nil {
		t.Fatal(err)
	}
	links, err := mailings.SetLinks(ctx, f.mailing.ID, []resonanz.Link{{URL: tpl.Links()[0].URL}})
	if err != nil {
		t.Fatal(err)
	}
	f.job = send.Job{Mailing: f.mailing, Template: tpl, LinkIDs: map[int]int64{0: links[0].ID}, Tracker: tracker{}, Surveys: map[string]int64{"leser": 7},
		From: resonanz.SenderIdentity{FromName: "Reisebüro", FromAddress: "news@reisen.example"}}
	return f
}

func TestRunner(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 9)
	aud, err := f.store.Audience(ctx, f.mailing.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if aud != (resonanz.Audience{Members: 11, Eligible: 9, WithoutConsent: 1, Suppressed: 1}) {
		t.Errorf("audience = %+v", aud)
	}
	n, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example")
	if err != nil || n != 9 {
		t.Fatalf("queued %d, %v; want 9", n, err)
	}
	mailer := &fakeMailer{reject: map[string]bool{"p004@example.org": true}}
	run, err := (&send.Runner{Store: f.store, Mailer: mailer, BatchSize: 4}).Run(ctx, f.job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != resonanz.RunDone || run.Sent != 8 || run.Failed != 1 || run.Queued != 0 {
		t.Errorf("run = %+v", run)
	}
	for _, m := range mailer.got {
		tracked := m.To == "p000@example.org" || m.To == "p003@example.org" || m.To == "p006@example.org"
		if got := strings.Contains(m.HTML, "https://t.example/c/"); got != tracked {
			t.Errorf("%s: tracked click link %v, want %v (consent)", m.To, got, tracked)
		}
		if got := strings.Contains(m.HTML, "https://t.example/o/"); got != tracked {
			t.Errorf("%s: open pixel %v, want %v (consent)", m.To, got, tracked)
		}
		if !strings.HasPrefix(m.Headers["List-Unsubscribe"], "<https://t.example/u/") || m.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: unsubscribe headers %q", m.To, m.Headers)
		}
		var id int64
		for _, p := range f.people {
			if p.Email == m.To {
				id = p.ID
			}
		}
		survey := fmt.Sprintf(`<a href="https://t.example/s/%d/%d/7" target="_blank">Umfrage</a>`, f.mailing.ID, id)
		profile := fmt.Sprintf(`<a href="https://t.example/p/%d/%d"`, f.mailing.ID, id)
		if !strings.Contains(m.HTML, survey) || !strings.Contains(m.HTML, profile) || !strings.Contains(m.Text, fmt.Sprintf("https://t.example/u/%d/%d", f.mailing.ID, id)) {
			t.Errorf("%s: personal system links missing:\n%s", m.To, m.HTML)
		}
		if !strings.HasSuffix(m.MessageID, "@reisen.example") || m.Headers[resonanz.HeaderMailing] != fmt.Sprint(f.mailing.ID) {
			t.Errorf("%s: message id %q, headers %v", m.To, m.MessageID, m.Headers)
		}
	}
	ml, _ := sqlite.NewMailingService(f.db).Mailing(ctx, f.mailing.ID)
	if ml.Status != resonanz.MailingSent || ml.SentAt.IsZero() {
		t.Errorf("mailing after the run: %s, sent at %v", ml.Status, ml.SentAt)
	}
	// Preparing again queues nobody twice.
	if n, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil || n != 0 {
		t.Errorf("second prepare queued %d, %v", n, err)
	}
}

func TestRunner_ResumeSendsEveryoneOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 30)
	if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	mailer := &fakeMailer{cancelAfter: 7, cancel: cancel}
	runner := &send.Runner{Store: f.store, Mailer: mailer, BatchSize: 5}
	run, err := runner.Run(runCtx, f.job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Sent != 10 || run.Queued != 20 { // the batch in flight completes
		t.Errorf("paused run = %+v", run)
	}
	// The batch read and rendered ahead was neither sent nor marked.
	var marked int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM delivery WHERE error = ?`, resonanz.DeliveryInFlight).Scan(&marked)
	if marked != 0 || len(mailer.got) != 10 {
		t.Errorf("after the pause: %d rows marked in flight, %d mails sent; want 0 and 10", marked, len(mailer.got))
	}
	mailer.cancelAfter = 0
	if _, err := runner.Run(ctx, f.job, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range mailer.got {
		seen[m.To]++
	}
	if len(mailer.got) != 30 || len(seen) != 30 {
		t.Errorf("%d messages to %d people, want 30 to 30", len(mailer.got), len(seen))
	}
}

func TestRunner_SkipsAndPauses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 12)
	tpl, err := render.Compile(resonanz.Template{Subject: "Hallo", Body: "{{ first_name | required }}"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.job.Template = tpl
	if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
		t.Fatal(err)
	}
	run, err := (&send.Runner{Store: f.store, Mailer: &fakeMailer{}, BatchSize: 5}).Run(ctx, f.job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Skipped != 12 || run.Sent != 0 {
		t.Errorf("run = %+v, want everyone skipped (first name required, empty)", run)
	}

	t.Run("ErrorThreshold", func(t *testing.T) {
		g := newFixture(t, 10)
		if _, err := g.store.Prepare(ctx, g.mailing.ID, 0, "reisen.example"); err != nil {
			t.Fatal(err)
		}
		reject := map[string]bool{}
		for i := range 5 {
			reject[fmt.Sprintf("p%03d@example.org", i)] = true
		}
		run, err := (&send.Runner{Store: g.store, Mailer: &fakeMailer{reject: reject}, BatchSize: 5}).Run(ctx, g.job, nil)
		if !errors.Is(err, send.ErrPaused) || run.PausedReason == "" || run.Queued != 5 {
			t.Errorf("run = %+v, err = %v; want a pause after the first batch", run, err)
		}
	})
}

// TestRunner_Limits: with limits per second and per minute, no second and
// no minute of the (fake) clock sees more messages than allowed, and the
// run takes no longer than the limits require.
func TestRunner_Limits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 25)
	if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := start
	var mu sync.Mutex
	var at []time.Time // when each message reached the mailer
	mailer := &stampMailer{fakeMailer: &fakeMailer{}, stamp: func(n int) {
		mu.Lock()
		defer mu.Unlock()
		for range n {
			at = append(at, clock)
		}
	}}
	runner := &send.Runner{Store: f.store, Mailer: mailer, BatchSize: 100,
		Now:   func() time.Time { return clock },
		Sleep: func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }}
	job := f.job
	job.Rate, job.PerMinute = 4, 10
	run, err := runner.Run(ctx, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Sent != 25 || len(at) != 25 {
		t.Fatalf("sent %d (mailer saw %d), want 25", run.Sent, len(at))
	}
	for _, w := range []struct {
		period time.Duration
		limit  int
	}{{time.Second, 4}, {time.Minute, 10}} {
		for i := range at {
			n := 0
			for _, t2 := range at[i:] {
				if t2.Sub(at[i]) < w.period {
					n++
				}
			}
			if n > w.limit {
				t.Errorf("%d messages within %v from %v, limit %d", n, w.period, at[i].Sub(start), w.limit)
			}
		}
	}
	// 25 messages at 10 a minute: the third minute's batch starts at 2 min.
	if took := clock.Sub(start); took < 2*time.Minute || took > 2*time.Minute+time.Second {
		t.Errorf("the run took %v of the fake clock, want 2 min", took)
	}
}

// stampMailer tells stamp how many messages each Send call carried.
type stampMailer struct {
	*fakeMailer
	stamp func(n int)
}

func (s *stampMailer) Send(ctx context.Context, msgs []*resonanz.Message) ([]error, error) {
	s.stamp(len(msgs))
	return s.fakeMailer.Send(ctx, msgs)
}

// notifyingMailer is a fakeMailer that reports acceptances one by one
// (send.NotifyingMailer) and looks at the ledger while it sends.
type notifyingMailer struct {
	fakeMailer
	db                   *sqlite.DB
	inFlight, sentBefore []int // per call: rows marked in flight, rows sent before the call
}

func (n *notifyingMailer) SendNotify(ctx context.Context, msgs []*resonanz.Message, notify func(int, error)) ([]error, error) {
	var marked, sent int
	n.db.SQL().QueryRow(`SELECT COUNT(*) FROM delivery WHERE status = 'queued' AND error = ?`, resonanz.DeliveryInFlight).Scan(&marked)
	n.db.SQL().QueryRow(`SELECT COUNT(*) FROM delivery WHERE status = 'sent'`).Scan(&sent)
	n.inFlight, n.sentBefore = append(n.inFlight, marked), append(n.sentBefore, sent)
	errs, err := n.fakeMailer.Send(ctx, msgs)
	for i := range msgs {
		notify(i, errs[i])
	}
	return errs, err
}

// TestRunner_InFlight: a batch is marked in flight on disk before it goes to
// the mailer, acceptances are recorded (and the mark cleared), and a person
// who unsubscribed after the run was prepared is skipped, not mailed.
func TestRunner_InFlight(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 9)
	if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().ExecContext(ctx, `UPDATE membership SET status = 'unsubscribed' WHERE recipient_id = ?`, f.people[1].ID); err != nil {
		t.Fatal(err)
	}
	mailer := &notifyingMailer{db: f.db}
	run, err := (&send.Runner{Store: f.store, Mailer: mailer, BatchSize: 4}).Run(ctx, f.job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Sent != 8 || run.Skipped != 1 || run.Queued != 0 || run.Status != resonanz.RunDone {
		t.Errorf("run = %+v", run)
	}
	for _, m := range mailer.got {
		if m.To == f.people[1].Email {
			t.Errorf("%s unsubscribed after the run was prepared and was mailed", m.To)
		}
	}
	// Batches of 4: the first has the unsubscribed person (skipped, not
	// sent, so not marked), then 4, then 1.
	if fmt.Sprint(mailer.inFlight) != "[3 4 1]" || fmt.Sprint(mailer.sentBefore) != "[0 3 7]" {
		t.Errorf("in flight per batch %v, sent before each %v; want [3 4 1], [0 3 7]", mailer.inFlight, mailer.sentBefore)
	}
	var marked int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM delivery WHERE error = ?`, resonanz.DeliveryInFlight).Scan(&marked)
	if marked != 0 {
		t.Errorf("%d rows still marked in flight after the run", marked)
	}
}

// returnAddrs stands in for mailbox.Addresses.
type returnAddrs struct{}

func (returnAddrs) ReturnPath(m, r int64) string {
	return fmt.Sprintf("bounce+m%dr%d@reisen.example", m, r)
}
func (returnAddrs) UnsubscribeMailto(m, r int64) string {
	return fmt.Sprintf("mailto:unsubscribe+m%dr%d@reisen.example?subject=unsubscribe", m, r)
}

// TestRunner_ReturnAddresses: with a mailbox set up, every mail carries its
// own envelope sender and mailto: unsubscribe address beside the https one.
func TestRunner_ReturnAddresses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 3)
	if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
		t.Fatal(err)
	}
	mailer := &fakeMailer{}
	job := f.job
	job.Return = returnAddrs{}
	if _, err := (&send.Runner{Store: f.store, Mailer: mailer, BatchSize: 4}).Run(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	if len(mailer.got) == 0 {
		t.Fatal("nothing sent")
	}
	for _, m := range mailer.got {
		var id int64
		for _, p := range f.people {
			if p.Email == m.To {
				id = p.ID
			}
		}
		wantRP := fmt.Sprintf("bounce+m%dr%d@reisen.example", f.mailing.ID, id)
		wantLU := fmt.Sprintf("<https://t.example/u/%d/%d>, <mailto:unsubscribe+m%dr%d@reisen.example?subject=unsubscribe>", f.mailing.ID, id, f.mailing.ID, id)
		if m.ReturnPath != wantRP || m.Headers["List-Unsubscribe"] != wantLU {
			t.Errorf("%s: return path %q, List-Unsubscribe %q", m.To, m.ReturnPath, m.Headers["List-Unsubscribe"])
		}
	}
}

// slowAckMailer accepts the first message of a call, then waits until the
// ledger shows it sent before it goes on: an acceptance must reach the disk
// by itself, not only when later ones or the end of the batch come.
type slowAckMailer struct {
	fakeMailer
	db           *sqlite.DB
	waited       time.Duration
	notCommitted bool
}

func (m *slowAckMailer) SendNotify(ctx context.Context, msgs []*resonanz.Message, notify func(int, error)) ([]error, error) {
	errs, err := m.fakeMailer.Send(ctx, msgs)
	start := time.Now()
	notify(0, errs[0])
	for {
		var status string
		m.db.SQL().QueryRow(`SELECT status FROM delivery WHERE message_id = ?`, msgs[0].MessageID).Scan(&status)
		if status == resonanz.DeliverySent {
			break
		}
		if time.Since(start) > 5*time.Second {
			m.notCommitted = true
			break
		}
		time.Sleep(time.Millisecond)
	}
	m.waited = max(m.waited, time.Since(start))
	for i := 1; i < len(msgs); i++ {
		notify(i, errs[i])
	}
	return errs, err
}

// TestRunner_GroupCommit: acceptances are committed in groups, each within
// about send.CommitEvery of its arrival even when no other acceptance
// follows, and a group's single statement writes what one statement per
// person wrote.
func TestRunner_GroupCommit(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/AcceptanceCommittedAlone", func(t *testing.T) {
		f := newFixture(t, 6)
		if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
			t.Fatal(err)
		}
		mailer := &slowAckMailer{db: f.db}
		run, err := (&send.Runner{Store: f.store, Mailer: mailer, BatchSize: 3}).Run(ctx, f.job, nil)
		if err != nil || run.Sent != 6 || run.Status != resonanz.RunDone {
			t.Fatalf("run = %+v, %v", run, err)
		}
		if mailer.notCommitted {
			t.Fatal("an acceptance was not committed while the rest of its batch waited")
		}
		t.Logf("longest wait for a lone acceptance's commit: %v", mailer.waited)
	})

	t.Run("OK/UniformAndMixedOutcomes", func(t *testing.T) {
		f := newFixture(t, 6)
		if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(f.people))
		for i, p := range f.people {
			ids[i] = p.ID
		}
		if err := f.store.MarkInFlight(ctx, f.mailing.ID, ids); err != nil {
			t.Fatal(err)
		}
		at := time.UnixMilli(1_700_000_000_123)
		uniform := []resonanz.SendOutcome{
			{RecipientID: ids[0], Status: resonanz.DeliverySent, At: at},
			{RecipientID: ids[1], Status: resonanz.DeliverySent, At: at},
			{RecipientID: ids[2], Status: resonanz.DeliverySent, At: at},
		}
		mixed := []resonanz.SendOutcome{
			{RecipientID: ids[3], Status: resonanz.DeliveryFailed, Error: "550 no such user", At: at},
			{RecipientID: ids[4], Error: "451 try again later", At: at.Add(time.Second)}, // stays queued
			{RecipientID: ids[5], Status: resonanz.DeliverySkipped, Error: strings.Repeat("x", 600), At: at},
		}
		for _, outs := range [][]resonanz.SendOutcome{uniform, mixed} {
			if err := f.store.Record(ctx, f.mailing.ID, outs); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{
			"sent||1700000000123", "sent||1700000000123", "sent||1700000000123",
			"failed|550 no such user|1700000000123", "queued|451 try again later|1700000001123",
			"skipped|" + strings.Repeat("x", 500) + "|1700000000123",
		}
		for i, id := range ids {
			var got string
			if err := f.db.SQL().QueryRow(`SELECT status || '|' || error || '|' || at FROM delivery WHERE mailing_id = ? AND recipient_id = ?`, f.mailing.ID, id).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want[i] {
				t.Errorf("person %d: %q, want %q", i, got, want[i])
			}
		}
		ml, _ := sqlite.NewMailingService(f.db).Mailing(ctx, f.mailing.ID)
		if ml.Status != resonanz.MailingSending {
			t.Errorf("mailing %s with one person still queued, want sending", ml.Status)
		}
		wantRun := resonanz.SendRun{MailingID: f.mailing.ID, Status: resonanz.RunSending, Total: 6, Queued: 1, Sent: 3, Failed: 1, Skipped: 1}
		if run, err := f.store.Progress(ctx, f.mailing.ID); err != nil || run != wantRun {
			t.Errorf("progress %+v, %v; want %+v", run, err, wantRun)
		}
		if _, err := f.store.Progress(ctx, f.mailing.ID+100); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("progress of no mailing: %v, want not found", err)
		}
		if err := f.store.Record(ctx, f.mailing.ID, []resonanz.SendOutcome{{RecipientID: ids[4], Status: resonanz.DeliverySent, At: at}}); err != nil {
			t.Fatal(err)
		}
		if ml, _ = sqlite.NewMailingService(f.db).Mailing(ctx, f.mailing.ID); ml.Status != resonanz.MailingSent {
			t.Errorf("mailing %s after the last one was recorded, want sent", ml.Status)
		}
	})
}

// pausingStore cancels the run while its second ledger read (the batch read
// ahead) is under way, and that read fails with the cancellation.
type pausingStore struct {
	*sqlite.SendStore
	cancel context.CancelFunc
	reads  int
}

func (s *pausingStore) Next(ctx context.Context, mailingID, after int64, n int) ([]resonanz.SendPending, error) {
	if s.reads++; s.reads == 2 {
		s.cancel()
		return nil, ctx.Err()
	}
	return s.SendStore.Next(ctx, mailingID, after, n)
}

// TestRunner_PauseWhileReadingAhead: a pause that lands while the next
// batch is read from the ledger pauses the run (no error); what was read
// ahead stays queued and unmarked.
func TestRunner_PauseWhileReadingAhead(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 12)
	if _, err := f.store.Prepare(ctx, f.mailing.ID, 0, "reisen.example"); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	mailer := &fakeMailer{}
	run, err := (&send.Runner{Store: &pausingStore{SendStore: f.store, cancel: cancel}, Mailer: mailer, BatchSize: 5}).Run(runCtx, f.job, nil)
	if err != nil {
		t.Fatalf("a pause during the read ahead ended the run with %v", err)
	}
	if run.Sent != len(mailer.got) || run.Sent+run.Queued != 12 || run.Queued < 7 {
		t.Errorf("paused run = %+v, %d mails sent", run, len(mailer.got))
	}
	var marked int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM delivery WHERE error = ?`, resonanz.DeliveryInFlight).Scan(&marked)
	if marked != 0 {
		t.Errorf("%d rows marked in flight after the pause", marked)
	}
}
