package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// TestSend_EndToEnd sends a mailing from the command line through an
// in-process SMTP server: consent decides who gets it and whose links are
// tracked; the listener's settings give the unsubscribe header.
func TestSend_EndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, list := newSendingApp(t, dir)
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://news.sonne.example/r"}); err != nil {
		t.Fatal(err)
	}
	// Sending limits are stored with the mail server; a negative one is refused by field.
	if _, err := a.smtpAccount.Save(ctx, resonanz.SMTPSettings{Host: "mail.sonne.example", Port: 587, Security: "starttls", RatePerMinute: -1}, "", false); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative per-minute limit: %v", err)
	}
	if s, err := a.smtpAccount.Save(ctx, resonanz.SMTPSettings{Host: "mail.sonne.example", Port: 587, Security: "starttls", RatePerMinute: 600, RatePerHour: 10000}, "", false); err != nil || s.RatePerMinute != 600 || s.RatePerHour != 10000 {
		t.Errorf("limits saved as %+v, %v", s, err)
	}
	for i := range 5 {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%d@example.org", i), LastName: "Muster", Gender: resonanz.GenderMale})
		if err != nil {
			t.Fatal(err)
		}
		if i == 4 { // no newsletter consent: not mailed
			continue
		}
		if err := a.subscriptionSvc.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja, Reise-Newsletter"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: r.ID, Purpose: resonanz.PurposeTrackingClicks,
				Granted: true, At: time.Now().Add(-time.Minute), Source: resonanz.SourceForm, Wording: "Ja, Klicks auswerten"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	body := "{{ salutation }},\n\n[Zur Insel](https://reisen.example/insel){tags=\"Abenteuerreisen\"}\n\n[Umfrage]({{ survey_url \"leser\" }})\n"
	// A draft linking a survey that does not exist yet is kept, with the
	// problem; sending refuses it until the survey exists.
	draft, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: list.ID, Subject: "Neue Reisen", Body: body})
	if err != nil || draft.Problem == nil || draft.Problem.Key != "error.template.survey" ||
		!strings.Contains(draft.Problem.Message, `no survey with the short name "leser"`) {
		t.Fatalf("unknown survey: %+v, %v", draft.Problem, err)
	}
	if again, err := a.mailings.Get(draft.Mailing.ID); err != nil || again.Problem == nil || again.Mailing.Body != body {
		t.Errorf("reopened draft: %+v, %v", again, err)
	}
	if _, err := a.mailings.StartSend(resonanz.SendRequest{MailingID: draft.Mailing.ID}); resonanz.ErrorCode(err) != resonanz.EINVALID ||
		!strings.Contains(resonanz.ErrorMessage(err), `no survey with the short name "leser"`) {
		t.Errorf("sending a draft with a problem: %v", err)
	}
	// A copy is a new draft with the same text.
	dup, err := a.mailings.Duplicate(desktop.DuplicateRequest{ID: draft.Mailing.ID, Name: "Kopie von Frühling"})
	if err != nil || dup.Mailing.ID == draft.Mailing.ID || dup.Mailing.Name != "Kopie von Frühling" || dup.Mailing.Body != body || dup.Mailing.Status != resonanz.MailingDraft {
		t.Errorf("duplicate: %+v, %v", dup.Mailing, err)
	}
	if dup2, err := a.mailings.Duplicate(desktop.DuplicateRequest{ID: draft.Mailing.ID, Name: "Kopie von Frühling"}); err != nil || dup2.Mailing.Name != "Kopie von Frühling (2)" {
		t.Errorf("second duplicate: %+v, %v", dup2.Mailing, err)
	}
	// Without a name (the UI always sends one in the user's language) the copy is numbered, in no language.
	if dup3, err := a.mailings.Duplicate(desktop.DuplicateRequest{ID: draft.Mailing.ID}); err != nil || dup3.Mailing.Name != draft.Mailing.Name+" (2)" {
		t.Errorf("duplicate without a name: %+v, %v", dup3.Mailing, err)
	}
	if _, err := a.surveySvc.SaveSurvey(ctx, resonanz.Survey{Name: "Leser", Slug: "leser", Title: "Umfrage"}); err != nil {
		t.Fatal(err)
	}
	if d, err := a.mailings.Save(draft.Mailing); err != nil || d.Problem != nil || len(d.Links) == 0 {
		t.Fatalf("fixed draft: %+v, %v", d, err)
	}
	a.Close()

	// Offline review: the whole audience as one mbox file.
	mbox := filepath.Join(t.TempDir(), "fruehling.mbox")
	if code, stdout, stderr := runCLI(t, "--data", dir, "--json", "export", "mailing", "Frühling", "--out", mbox); code != 0 || !strings.Contains(stdout, `"messages":4`) {
		t.Errorf("export mailing: exit %d, %s %s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(mbox); err != nil || strings.Count(string(b), "\nFrom ") != 3 || !strings.HasPrefix(string(b), "From ") {
		t.Errorf("mbox: %v, %d From_ lines after the first", err, strings.Count(string(b), "\nFrom "))
	}
	// ... or as one .eml file per person in a ZIP archive.
	zipPath := filepath.Join(t.TempDir(), "fruehling.zip")
	if code, stdout, stderr := runCLI(t, "--data", dir, "--json", "export", "mailing", "Frühling", "--out", zipPath); code != 0 || !strings.Contains(stdout, `"messages":4`) {
		t.Errorf("export mailing as zip: exit %d, %s %s", code, stdout, stderr)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		addr := strings.Replace(strings.TrimSuffix(f.Name[len("00001_"):], ".eml"), "_at_", "@", 1)
		if m, err := mail.ReadMessage(bytes.NewReader(b)); err != nil || !strings.Contains(m.Header.Get("To"), addr) {
			t.Errorf("%s: not a mail to %s: %v", f.Name, addr, err)
		}
	}
	zr.Close()
	if want := []string{"00001_p0_at_example.org.eml", "00002_p1_at_example.org.eml", "00003_p2_at_example.org.eml", "00004_p3_at_example.org.eml"}; !slices.Equal(names, want) {
		t.Errorf("zip holds %v, want %v", names, want)
	}
	if code, _, stderr := runCLI(t, "--data", dir, "export", "mailing", "Frühling", "--out", filepath.Join(t.TempDir(), "x.txt")); code != exitUsage || !strings.Contains(stderr, ".mbox file or a .zip file") {
		t.Errorf("export mailing to .txt: exit %d: %s", code, stderr)
	}

	srv := smtptest.Start(t, smtptest.Options{})
	// A negative limit is refused before anything is queued or sent.
	if code, _, stderr := runCLI(t, "--data", dir, "send", "Frühling", "--smtp", srv.Addr, "--smtp-security", "none", "--per-minute", "-5"); code == 0 || !strings.Contains(stderr, "cannot be negative") || len(srv.Messages()) != 0 {
		t.Errorf("send --per-minute -5: exit %d, %d messages: %s", code, len(srv.Messages()), stderr)
	}
	// So is a number of connections out of range.
	if code, _, stderr := runCLI(t, "--data", dir, "send", "Frühling", "--smtp", srv.Addr, "--smtp-security", "none", "--smtp-connections", "101"); code == 0 || !strings.Contains(stderr, "between 1 and 100") || len(srv.Messages()) != 0 {
		t.Errorf("send --smtp-connections 101: exit %d, %d messages: %s", code, len(srv.Messages()), stderr)
	}
	// Limits no run of four messages reaches do not slow it down; two
	// connections at most for this run.
	code, stdout, stderr := runCLI(t, "--data", dir, "--json", "send", "Frühling", "--smtp", srv.Addr, "--smtp-security", "none", "--per-minute", "100", "--per-hour", "1000", "--smtp-connections", "2")
	if code != 0 {
		t.Fatalf("send: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"sent":4`) || !strings.Contains(stdout, `"status":"done"`) {
		t.Errorf("send result: %s", stdout)
	}
	msgs := srv.Messages()
	if len(msgs) != 4 {
		t.Fatalf("server got %d messages, want 4", len(msgs))
	}
	if c := srv.Connections(); c < 1 || c > 2 {
		t.Errorf("%d SMTP connections with --smtp-connections 2", c)
	}
	tracked := 0
	for _, m := range msgs {
		data := string(m.Data)
		pm, err := mail.ReadMessage(strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pm.Header.Get("List-Unsubscribe"), "<https://news.sonne.example/r/u/") || pm.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("%v: unsubscribe headers %q", m.To, pm.Header)
		}
		if !strings.Contains(data, "https://news.sonne.example/r/s/") || !strings.Contains(data, "https://news.sonne.example/r/p/") {
			t.Errorf("%v: no survey link or footer: %s", m.To, data)
		}
		if strings.Contains(data, "https://news.sonne.example/r/c/") {
			tracked++
			if m.To[0] != "p0@example.org" {
				t.Errorf("%v got a tracked link without consent", m.To)
			}
		}
	}
	if tracked != 1 {
		t.Errorf("%d mails with tracked links, want 1", tracked)
	}
	// Sending again mails nobody twice.
	code, stdout, _ = runCLI(t, "--data", dir, "--json", "send", "Frühling", "--smtp", srv.Addr, "--smtp-security", "none")
	if code != 0 || len(srv.Messages()) != 4 {
		t.Errorf("second send: exit %d, %d messages in total: %s", code, len(srv.Messages()), stdout)
	}
}

// TestAudience_LeavesOutSuppressed: a hard-bounced and a complaining member
// of the list (consent and all) are in no export of the mailing — not the
// command line's .mbox or .zip, not the desk's — and are mailed by no send.
func TestAudience_LeavesOutSuppressed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, list := newSendingApp(t, dir)
	reasons := []string{"", "hard_bounce", "", "complaint"}
	for i, reason := range reasons {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%d@example.org", i), LastName: "Muster"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.subscriptionSvc.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja, Reise-Newsletter"); err != nil {
			t.Fatal(err)
		}
		if reason != "" {
			if _, err := a.db.SQL().ExecContext(ctx, `INSERT INTO suppression (recipient_id, reason, at) VALUES (?, ?, 0)`, r.ID, reason); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: list.ID, Subject: "Neue Reisen", Body: "Hallo,\n\nneue Reisen.\n"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p0@example.org", "p2@example.org"}
	if aud, err := a.mailings.Audience(m.Mailing.ID, 0); err != nil || aud.Eligible != 2 || aud.Suppressed != 2 {
		t.Errorf("audience %+v, %v: want 2 eligible, 2 suppressed", aud, err)
	}
	fc, err := a.mailings.ExportMbox(m.Mailing.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := mboxRecipients(t, []byte(fc.Content)); !slices.Equal(got, want) {
		t.Errorf("the desk's .mbox export goes to %v, want %v", got, want)
	}
	a.Close()

	mbox := filepath.Join(t.TempDir(), "fruehling.mbox")
	if code, stdout, stderr := runCLI(t, "--data", dir, "--json", "export", "mailing", "Frühling", "--out", mbox); code != 0 || !strings.Contains(stdout, `"messages":2`) {
		t.Errorf("export mailing: exit %d, %s %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(mbox)
	if err != nil {
		t.Fatal(err)
	}
	if got := mboxRecipients(t, b); !slices.Equal(got, want) {
		t.Errorf("export mailing .mbox goes to %v, want %v", got, want)
	}
	zipPath := filepath.Join(t.TempDir(), "fruehling.zip")
	if code, stdout, stderr := runCLI(t, "--data", dir, "--json", "export", "mailing", "Frühling", "--out", zipPath); code != 0 || !strings.Contains(stdout, `"messages":2`) {
		t.Errorf("export mailing .zip: exit %d, %s %s", code, stdout, stderr)
	}
	srv := smtptest.Start(t, smtptest.Options{})
	if code, _, stderr := runCLI(t, "--data", dir, "send", "Frühling", "--smtp", srv.Addr, "--smtp-security", "none"); code != 0 {
		t.Fatalf("send: exit %d: %s", code, stderr)
	}
	var sent []string
	for _, msg := range srv.Messages() {
		sent = append(sent, msg.To...)
	}
	slices.Sort(sent)
	if !slices.Equal(sent, want) {
		t.Errorf("send mailed %v, want %v", sent, want)
	}
}

// mboxRecipients returns the To addresses of an mbox file's messages.
func mboxRecipients(t *testing.T, mbox []byte) []string {
	t.Helper()
	var out []string
	for part := range strings.SplitSeq(string(mbox), "\nFrom ") {
		_, msg, _ := strings.Cut(part, "\n")
		m, err := mail.ReadMessage(strings.NewReader(msg))
		if err != nil {
			t.Fatalf("mbox message: %v", err)
		}
		addr, err := mail.ParseAddress(m.Header.Get("To"))
		if err != nil {
			t.Fatalf("To: %v", err)
		}
		out = append(out, addr.Address)
	}
	slices.Sort(out)
	return out
}

// newSendingApp opens the app in dir with a list "Reisen" and a sender.
func newSendingApp(t *testing.T, dir string) (*App, resonanz.List) {
	t.Helper()
	ctx := context.Background()
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
	return a, list
}
