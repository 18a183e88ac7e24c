//go:build unix

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/mailbox/dovecottest"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// sentMail is what the SMTP sink received for one person.
type sentMail struct {
	envelopeFrom, messageID, mailto, subject string
}

// mailboxDesk sets up a desk with six subscribers, a mailing and the
// mailbox settings pointing at a fresh Dovecot, sends the mailing through
// the SMTP sink from the command line and returns what each person got.
func mailboxDesk(t *testing.T) (dir string, srv *dovecottest.Server, sent map[string]sentMail) {
	t.Helper()
	t.Setenv("RESONANZ_KEYRING", "off")
	ctx := context.Background()
	srv, err := dovecottest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir = t.TempDir()
	a, err := NewApp(ctx, dir, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.settingsSvc.SetSender(ctx, resonanz.SenderIdentity{FromName: "Reisebüro Sonne", FromAddress: "news@sonne.example"}); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%d@example.org", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.subscriptionSvc.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja, Reise-Newsletter"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: list.ID, Subject: "Neue Reisen", Body: "Hallo,\n\nneue Reisen.\n"}); err != nil {
		t.Fatal(err)
	}
	// The password is kept like the SMTP password (here: secrets/, the
	// keyring is off), never in the database.
	if _, err := a.mailboxAccount.Save(ctx, resonanz.MailboxSettings{Host: srv.Host, Port: srv.Port, Security: resonanz.MailboxNone, Username: srv.User,
		ProcessedFolder: "Resonanz", BounceAddress: "bounce@sonne.example", UnsubscribeAddress: "unsubscribe@sonne.example",
		SubAddressing: true, SoftBounceLimit: 2}, srv.Password, false); err != nil {
		t.Fatal(err)
	}
	a.Close()

	sink := smtptest.Start(t, smtptest.Options{})
	if code, stdout, stderr := runCLI(t, "--data", dir, "--json", "send", "Frühling", "--smtp", sink.Addr, "--smtp-security", "none"); code != 0 || !strings.Contains(stdout, `"sent":6`) {
		t.Fatalf("send: exit %d: %s %s", code, stdout, stderr)
	}
	sent = map[string]sentMail{}
	for _, m := range sink.Messages() {
		pm, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		lu := pm.Header.Get("List-Unsubscribe")
		i := strings.Index(lu, "<mailto:")
		if i < 0 || !strings.HasPrefix(m.From, "bounce+") || !strings.HasSuffix(m.From, "@sonne.example") {
			t.Fatalf("%v: envelope sender %q, List-Unsubscribe %q", m.To, m.From, lu)
		}
		mailto := lu[i+len("<mailto:"):]
		mailto = mailto[:strings.IndexByte(mailto, '?')]
		sent[m.To[0]] = sentMail{envelopeFrom: m.From, messageID: strings.Trim(pm.Header.Get("Message-Id"), "<>"), mailto: mailto, subject: pm.Header.Get("Subject")}
	}
	return dir, srv, sent
}

// dsn is an RFC 3464 report as Postfix writes it, to the envelope sender of
// the original.
func dsn(m sentMail, rcpt, action, status string, n int) string {
	return fmt.Sprintf(`Return-Path: <>
From: MAILER-DAEMON@mail.sonne.example (Mail Delivery System)
To: %[1]s
Subject: Undelivered Mail Returned to Sender
Date: Mon, 7 Dec 2026 10:%02[6]d:00 +0100
Message-ID: <dsn-%[6]d-%[2]s@mail.sonne.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<%[2]s>: host mx.example.org said: %[4]s

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.sonne.example

Final-Recipient: rfc822; %[2]s
Action: %[3]s
Status: %[4]s

--B
Content-Type: text/rfc822-headers

From: news@sonne.example
To: %[2]s
Message-ID: <%[5]s>

--B--
`, m.envelopeFrom, rcpt, action, status, m.messageID, n)
}

// TestMailbox_EndToEnd: a send through the SMTP sink, then bounces, a
// complaint, a mail unsubscribe (and a forged one) and a reply in the
// mailbox; `resonanz mailbox sync` suppresses and unsubscribes exactly the
// right people, the report counts them, the ledger holds the evidence, and
// a second sync changes nothing.
func TestMailbox_EndToEnd(t *testing.T) {
	dir, srv, sent := mailboxDesk(t)
	p := func(i int) sentMail { return sent[fmt.Sprintf("p%d@example.org", i)] }
	k := len("unsubscribe+") + 3
	flip := map[bool]string{true: "b", false: "a"}[p(0).mailto[k] == 'a']
	forged := p(0).mailto[:k] + flip + p(0).mailto[k+1:]
	msgs := []string{
		dsn(p(1), "p1@example.org", "failed", "5.1.1", 1),
		// Exim's plain-text report, to the VERP address.
		fmt.Sprintf("From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: %s\nSubject: Mail delivery failed: returning message to sender\n"+
			"Date: Mon, 7 Dec 2026 10:20:00 +0100\nMessage-Id: <exim-2@mx.example.org>\nX-Failed-Recipients: p2@example.org\n\n"+
			"This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\n"+
			"recipients. This is a permanent error. The following address(es) failed:\n\n  p2@example.org\n    550 5.1.1 User unknown\n", p(2).envelopeFrom),
		dsn(p(3), "p3@example.org", "delayed", "4.4.1", 3),
		// An ARF complaint about p4's copy.
		fmt.Sprintf("From: abuse@fbl.example\nTo: bounce@sonne.example\nSubject: Abuse report\nDate: Mon, 7 Dec 2026 11:00:00 +0000\nMessage-ID: <arf-4@fbl.example>\n"+
			"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n\n--A\nContent-Type: text/plain\n\nSpam report.\n\n"+
			"--A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\nOriginal-Rcpt-To: p4@example.org\n\n"+
			"--A\nContent-Type: text/rfc822-headers\n\nFrom: news@sonne.example\nTo: p4@example.org\nMessage-ID: <%s>\n\n--A--\n", p(4).messageID),
		// p5 uses the mailto: link of List-Unsubscribe.
		fmt.Sprintf("From: P Fünf <p5@example.org>\nTo: %s\nSubject: unsubscribe\nDate: Mon, 7 Dec 2026 12:34:56 +0100\nMessage-ID: <unsub-5@example.org>\n\nunsubscribe\n", p(5).mailto),
		// Someone forges p0's unsubscribe address: nothing happens.
		fmt.Sprintf("From: p0@example.org\nTo: %s\nSubject: unsubscribe\nDate: Mon, 7 Dec 2026 12:40:00 +0100\nMessage-ID: <forged@evil.example>\n\nunsubscribe\n", forged),
		// A real reply stays for the user.
		fmt.Sprintf("From: p0@example.org\nTo: news@sonne.example\nSubject: Re: %s\nDate: Mon, 7 Dec 2026 13:00:00 +0100\nMessage-ID: <reply-0@example.org>\nIn-Reply-To: <%s>\n\nKlingt gut!\n", p(0).subject, p(0).messageID),
	}
	for _, m := range msgs {
		if err := srv.Deliver([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCLI(t, "--data", dir, "--json", "mailbox", "sync")
	if code != 0 {
		t.Fatalf("mailbox sync: exit %d: %s", code, stderr)
	}
	var res resonanz.MailboxSyncResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if res.Read != 7 || res.BouncesHard != 2 || res.BouncesSoft != 1 || res.Complaints != 1 || res.Unsubscribes != 1 ||
		res.Replies != 1 || res.Unmatched != 1 || len(res.Errors) != 0 {
		t.Errorf("sync result %s", stdout)
	}
	for _, key := range []string{`"read"`, `"bounces_hard"`, `"bounces_soft"`, `"complaints"`, `"unsubscribes"`, `"auto_replies"`, `"replies"`, `"unmatched"`, `"errors":[]`} {
		if !strings.Contains(stdout, key) {
			t.Errorf("--json lacks %s: %s", key, stdout)
		}
	}

	db := peekStore(t, dir)
	status := func(email string) (suppressed, membership string) {
		db.QueryRow(`SELECT COALESCE((SELECT reason FROM suppression s JOIN recipient r ON r.id = s.recipient_id WHERE r.email = ?), '')`, email).Scan(&suppressed)
		db.QueryRow(`SELECT m.status FROM membership m JOIN recipient r ON r.id = m.recipient_id WHERE r.email = ?`, email).Scan(&membership)
		return
	}
	want := map[string][2]string{
		"p0@example.org": {"", "confirmed"}, "p1@example.org": {"hard_bounce", "confirmed"}, "p2@example.org": {"hard_bounce", "confirmed"},
		"p3@example.org": {"", "confirmed"}, "p4@example.org": {"complaint", "unsubscribed"}, "p5@example.org": {"", "unsubscribed"},
	}
	for email, w := range want {
		if s, m := status(email); s != w[0] || m != w[1] {
			t.Errorf("%s: suppressed %q, membership %q; want %q, %q", email, s, m, w[0], w[1])
		}
	}
	var source, evidence string
	if err := db.QueryRow(`SELECT c.source, c.evidence FROM consent c JOIN recipient r ON r.id = c.recipient_id
		WHERE r.email = 'p5@example.org' AND c.granted = 0`).Scan(&source, &evidence); err != nil {
		t.Fatal(err)
	}
	if source != "mail_unsubscribe" || !strings.Contains(evidence, "Date: Mon, 7 Dec 2026 12:34:56 +0100") || !strings.Contains(evidence, "From: p5@example.org") {
		t.Errorf("ledger of p5: %s %q", source, evidence)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM consent c JOIN recipient r ON r.id = c.recipient_id WHERE r.email = 'p4@example.org' AND c.granted = 0 AND c.source = 'provider:mailbox'`); n != 1 {
		t.Errorf("p4's complaint: %d withdrawals, want 1", n)
	}

	// The mailing's report counts them.
	code, stdout, stderr = runCLI(t, "--data", dir, "--json", "stats", "Frühling")
	if code != 0 {
		t.Fatalf("stats: %s", stderr)
	}
	var st struct {
		BouncedHard  int `json:"bounced_hard"`
		BouncedSoft  int `json:"bounced_soft"`
		Complaints   int `json:"complaints"`
		Unsubscribes int `json:"unsubscribes"`
	}
	json.Unmarshal([]byte(stdout), &st)
	if st.BouncedHard != 2 || st.BouncedSoft != 1 || st.Complaints != 1 || st.Unsubscribes != 1 {
		t.Errorf("report %+v: %s", st, stdout)
	}

	before := mailboxFingerprint(t, db)
	code, stdout, _ = runCLI(t, "--data", dir, "--json", "mailbox", "sync")
	if code != 0 || !strings.Contains(stdout, `"read":0`) {
		t.Errorf("second sync: exit %d, %s", code, stdout)
	}
	if after := mailboxFingerprint(t, db); after != before {
		t.Errorf("the second sync changed the store:\n%s\n%s", before, after)
	}
	// The next send leaves out the suppressed and unsubscribed people.
	sink := smtptest.Start(t, smtptest.Options{})
	if code, _, stderr := runCLI(t, "--data", dir, "--json", "send", "Frühling", "--smtp", sink.Addr, "--smtp-security", "none"); code != 0 || len(sink.Messages()) != 0 {
		t.Errorf("send again: exit %d, %d messages: %s", code, len(sink.Messages()), stderr)
	}
}

// mailboxFingerprint sums up everything a sync may change.
func mailboxFingerprint(t *testing.T, db *sql.DB) string {
	t.Helper()
	var out []string
	for _, q := range []string{`SELECT COUNT(*) FROM reaction`, `SELECT COUNT(*) FROM suppression`, `SELECT COUNT(*) FROM consent`,
		`SELECT COUNT(*) FROM membership WHERE status = 'unsubscribed'`, `SELECT COUNT(*) FROM mailbox_message`,
		`SELECT COUNT(*) FROM reaction_quarantine`, `SELECT COALESCE(SUM(type * 7 + recipient_id * 13 + flags), 0) FROM reaction`} {
		out = append(out, fmt.Sprint(count(t, db, q)))
	}
	return strings.Join(out, " ")
}

// TestMailbox_KilledMidSync: a sync killed with SIGKILL between batches,
// then run again, ends with every message applied exactly once: nothing
// lost, nothing twice.
func TestMailbox_KilledMidSync(t *testing.T) {
	dir, srv, sent := mailboxDesk(t)
	const n = 3000
	for i := range n {
		who := fmt.Sprintf("p%d@example.org", 1+i%3)
		// Soft bounces: each counted, none suppresses before the limit.
		if err := srv.Deliver([]byte(dsn(sent[who], who, "delayed", "4.2.1", i))); err != nil {
			t.Fatal(err)
		}
	}
	c := startChild(t, "--data", dir, "--json", "mailbox", "sync")
	db := peekStore(t, dir)
	// Kill as soon as the first batch's effects are in: before its
	// messages are recorded and its UIDs remembered, most of the time.
	waitUntil(t, c, "the first batch's effects", func() bool {
		var k int
		db.QueryRow(`SELECT COUNT(*) FROM reaction`).Scan(&k)
		return k > 0
	})
	c.kill(t)
	partial := count(t, db, `SELECT COUNT(*) FROM mailbox_message`)
	if partial >= n {
		t.Fatalf("the sync had finished (%d) before it was killed", partial)
	}
	checkIntegrity(t, dir)
	code, stdout, stderr := runChild(t, "--data", dir, "--json", "mailbox", "sync")
	if code != 0 {
		t.Fatalf("sync after the crash: exit %d: %s", code, stderr)
	}
	var res resonanz.MailboxSyncResult
	json.Unmarshal([]byte(stdout), &res)
	if got := count(t, db, `SELECT COUNT(*) FROM mailbox_message`); got != n {
		t.Errorf("%d messages recorded, want %d (killed at %d)", got, n, partial)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM reaction WHERE type = 4`); got != n {
		t.Errorf("%d bounces stored, want %d (killed at %d)", got, n, partial)
	}
	if count(t, db, `SELECT COUNT(DISTINCT key) FROM mailbox_message`) != n {
		t.Error("a message recorded twice")
	}
	t.Logf("killed after %d of %d messages; the second run read %d", partial, n, res.Read)
	if code, stdout, _ := runCLI(t, "--data", dir, "--json", "mailbox", "sync"); code != 0 || !strings.Contains(stdout, `"read":0`) {
		t.Errorf("third sync: %s", stdout)
	}
}
