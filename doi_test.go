package main

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// doiApp is an app with a sender, SMTP through an in-process server and the
// listener started from the desk on a free port.
func doiApp(t *testing.T) (*App, *smtptest.Server, resonanz.ListenerStatus) {
	t.Helper()
	ctx := context.Background()
	a := newCLIApp(t)
	srv := smtptest.Start(t, smtptest.Options{})
	if _, err := a.settingsSvc.SetSender(ctx, resonanz.SenderIdentity{FromName: "Reisebüro Sonne", FromAddress: "news@sonne.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.smtpAccount.Save(ctx, resonanz.SMTPSettings{Host: srv.Host, Port: srv.Port, Security: "none"}, "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://news.sonne.example/r", Addr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	st, err := a.StartListener(ctx)
	if err != nil || !st.Running || st.Addr == "" {
		t.Fatalf("start listener: %+v %v", st, err)
	}
	return a, srv, st
}

// browser fetches listener URLs (public URL → the bound address) with
// cookies, like a browser.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	ua     string
}

func newBrowser(t *testing.T, st resonanz.ListenerStatus, ua string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: "http://" + st.Addr + "/r", ua: ua,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, public string, form url.Values) (int, string) {
	b.t.Helper()
	u := b.base + strings.TrimPrefix(public, "https://news.sonne.example/r")
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func hiddenFields(page string, set map[string]string) url.Values {
	v := url.Values{}
	for _, m := range regexp.MustCompile(`type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	for k, x := range set {
		v.Set(k, x)
	}
	return v
}

// waitMail waits for the n-th message of the SMTP server.
func waitMail(t *testing.T, srv *smtptest.Server, n int) smtptest.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if msgs := srv.Messages(); len(msgs) >= n {
			return msgs[n-1]
		}
	}
	t.Fatalf("no mail %d arrived", n)
	return smtptest.Message{}
}

// mailParts returns the header and the decoded text and HTML parts.
func mailParts(t *testing.T, data []byte) (mail.Header, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	var text, html string
	var walk func(ct string, cte string, r io.Reader)
	walk = func(ct, cte string, r io.Reader) {
		mt, params, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		if strings.EqualFold(cte, "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		b, _ := io.ReadAll(r)
		switch mt {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return m.Header, text, html
}

// TestDoubleOptIn_EndToEnd signs up through the public form, receives the
// confirmation mail over SMTP, confirms it with a POST and checks the
// ledger: both steps with time, IP and user agent, the wording and its hash,
// the tracking consent as its own grant — and a mail without tracking.
func TestDoubleOptIn_EndToEnd(t *testing.T) {
	ctx := context.Background()
	a, smtpSrv, st := doiApp(t)
	_, err := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen", DoubleOptIn: true})
	if err != nil {
		t.Fatal(err)
	}
	forms, err := a.portal.SignupForms(ctx)
	if err != nil || len(forms) != 1 || !strings.HasPrefix(forms[0].URL, "https://news.sonne.example/r/f/") ||
		!strings.Contains(forms[0].Snippet, `action="`+forms[0].URL+`"`) {
		t.Fatalf("signup forms %+v %v", forms, err)
	}

	web := newBrowser(t, st, "Firefox/140")
	code, page := web.do("GET", forms[0].URL, nil)
	if code != 200 || strings.Contains(page, "checked") {
		t.Fatalf("form: %d %s", code, page)
	}
	code, done := web.do("POST", forms[0].URL, hiddenFields(page, map[string]string{
		"email": "lena@example.org", "first_name": "Lena", "newsletter": "1", "c_opens": "1"}))
	if code != 200 || !strings.Contains(done, "Postfach") {
		t.Fatalf("signup: %d %s", code, done)
	}
	r, err := a.recipientSvc.RecipientByEmail(ctx, "lena@example.org")
	if err != nil || r.FirstName != "Lena" || r.Language != "de" {
		t.Fatalf("recipient %+v %v", r, err)
	}
	if det, _ := a.recipientSvc.RecipientDetail(ctx, r.ID); len(det.Consent) != 0 || len(det.Lists) != 1 || det.Lists[0].Status != resonanz.StatusUnconfirmed {
		t.Errorf("before confirmation: lists %+v, ledger %+v", det.Lists, det.Consent)
	}

	msg := waitMail(t, smtpSrv, 1)
	hdr, text, html := mailParts(t, msg.Data)
	subject, _ := new(mime.WordDecoder).DecodeHeader(hdr.Get("Subject"))
	if msg.To[0] != "lena@example.org" || subject != "Bitte bestätigen Sie Ihr Abonnement: Reisen" || hdr.Get("Message-Id") == "" ||
		hdr.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("mail to %v, header %v", msg.To, hdr)
	}
	for _, bad := range []string{"/r/o/", "/r/c/", "/r/i/", "<img", "X-Resonanz-Mailing"} {
		if strings.Contains(string(msg.Data), bad) || strings.Contains(html, bad) {
			t.Errorf("confirmation mail carries %q", bad)
		}
	}
	m := regexp.MustCompile(`https://news\.sonne\.example/r/d/[A-Za-z0-9_-]+`).FindString(text)
	if m == "" || !strings.Contains(html, m) || !strings.Contains(text, "Reisen") {
		t.Fatalf("no confirmation link in\n%s\n%s", text, html)
	}

	// The mail client opens the link (a GET: changes nothing), the person
	// clicks the button (a POST) from another program.
	mailApp := newBrowser(t, st, "Thunderbird/140")
	code, page = mailApp.do("GET", m, nil)
	if det, _ := a.recipientSvc.RecipientDetail(ctx, r.ID); code != 200 || len(det.Consent) != 0 {
		t.Fatalf("GET confirmed: %d %+v", code, det.Consent)
	}
	if code, _ := mailApp.do("POST", m, url.Values{}); code != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d", code)
	}
	code, page = mailApp.do("POST", m, hiddenFields(page, nil))
	if code != 200 || !strings.Contains(page, "bestätigt") {
		t.Fatalf("confirm: %d %s", code, page)
	}

	det, err := a.recipientSvc.RecipientDetail(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if det.Lists[0].Status != resonanz.StatusConfirmed || len(det.Consent) != 2 {
		t.Fatalf("after confirmation: lists %+v, ledger %+v", det.Lists, det.Consent)
	}
	wantWording := map[string]string{
		resonanz.PurposeNewsletter:    listener.NewsletterWording("de", "Reisen"),
		resonanz.PurposeTrackingOpens: "Ich bin einverstanden, dass der Absender erfasst, wann ich einen Newsletter öffne",
	}
	for _, c := range det.Consent {
		if !c.Granted || c.Source != resonanz.SourceDoubleOptIn || c.IP != "127.0.0.1" || c.UserAgent != "Thunderbird/140" ||
			c.WordingHash != resonanz.WordingHash(c.Wording) || !strings.HasPrefix(c.Wording, wantWording[c.Purpose]) ||
			!strings.Contains(c.Evidence, "from 127.0.0.1, confirmed") || c.At.IsZero() {
			t.Errorf("ledger record %+v", c)
		}
	}
	ops, err := a.optInSvc.OptIns(ctx, r.ID)
	if err != nil || len(ops) != 1 {
		t.Fatalf("opt-ins %+v %v", ops, err)
	}
	o := ops[0]
	if o.RequestedAt.IsZero() || o.ConfirmedAt.Before(o.RequestedAt) || o.RequestedIP != "127.0.0.1" || o.RequestedUA != "Firefox/140" ||
		o.ConfirmedIP != "127.0.0.1" || o.ConfirmedUA != "Thunderbird/140" || len(o.Consents) != 1 {
		t.Errorf("opt-in %+v", o)
	}

	// Confirming again changes nothing; an unknown token is a neutral 404.
	_, page = mailApp.do("GET", m, nil)
	if code, _ := mailApp.do("POST", m, hiddenFields(page, nil)); code != 200 {
		t.Errorf("second confirm: %d", code)
	}
	forged := m[:len(m)-3] + "abc"
	_, page = mailApp.do("GET", forged, nil)
	if code, _ := mailApp.do("POST", forged, hiddenFields(page, nil)); code != http.StatusNotFound {
		t.Errorf("forged confirmation token: %d", code)
	}
	if det, _ := a.recipientSvc.RecipientDetail(ctx, r.ID); len(det.Consent) != 2 {
		t.Errorf("ledger grew to %d", len(det.Consent))
	}

	// Signing up again while confirmed: the same answer, no mail.
	_, page = web.do("GET", forms[0].URL, nil)
	code, again := web.do("POST", forms[0].URL, hiddenFields(page, map[string]string{"email": "LENA@example.org", "first_name": "Mallory", "newsletter": "1"}))
	if code != 200 || again != done {
		t.Errorf("second signup answered differently: %d", code)
	}
	if r, _ := a.recipientSvc.RecipientByEmail(ctx, "lena@example.org"); r.FirstName != "Lena" {
		t.Errorf("the anonymous form changed a known person's name to %q", r.FirstName)
	}

	// The profile login mails a personal link to a known address only.
	_, page = web.do("GET", "https://news.sonne.example/r/p/", nil)
	for _, addr := range []string{"nobody@example.org", "lena@example.org"} {
		if code, _ := web.do("POST", "https://news.sonne.example/r/p/", hiddenFields(page, map[string]string{"email": addr})); code != 200 {
			t.Errorf("profile login %s: %d", addr, code)
		}
	}
	if _, err := a.StopListener(ctx); err != nil { // waits for the background mails
		t.Fatal(err)
	}
	msgs := smtpSrv.Messages()
	if len(msgs) != 2 || msgs[1].To[0] != "lena@example.org" {
		t.Fatalf("%d mails", len(msgs))
	}
	if _, text, _ := mailParts(t, msgs[1].Data); !strings.Contains(text, "https://news.sonne.example/r/p/") {
		t.Errorf("profile link mail: %s", text)
	}
}

// TestListener_StopFlushes: stopping the desk's listener writes the hits
// still queued, and the status says what happened.
func TestListener_StopFlushes(t *testing.T) {
	ctx := context.Background()
	a, _, st := doiApp(t)
	list, _ := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen"})
	m, _ := a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID})
	r, _ := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org"})
	urls, err := a.listenerSetup.RequireURLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := a.StartListener(ctx); err != nil || again.Addr != st.Addr {
		t.Errorf("second start: %+v %v", again, err)
	}
	web := newBrowser(t, st, "Mozilla/5.0")
	for range 3 {
		if code, _ := web.do("GET", urls.Open(m.ID, r.ID), nil); code != 200 {
			t.Fatalf("open pixel: %d", code)
		}
	}
	stopped, err := a.StopListener(ctx)
	if err != nil || stopped.Running {
		t.Fatalf("stop: %+v %v", stopped, err)
	}
	stats, err := a.statsSvc.MailingStats(ctx, m.ID)
	if err != nil || stats.Opens.Total != 3 {
		t.Errorf("opens after stop: %+v %v", stats.Opens, err)
	}
	// The port is free again: a second app instance can take it, and this
	// one reports the conflict instead of failing silently.
	other, err := a.StartListener(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.StopListener(ctx)
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://news.sonne.example/r", Addr: other.Addr}); err != nil {
		t.Fatal(err)
	}
	b, _, _ := doiApp(t)
	if _, err := (mailServer{b}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://x.example", Addr: other.Addr}); err != nil {
		t.Fatal(err)
	}
	b.StopListener(ctx)
	bs, err := b.StartListener(ctx)
	if resonanz.ErrorCode(err) != resonanz.ECONFLICT || bs.Running || !strings.Contains(bs.Error, other.Addr) {
		t.Errorf("port in use: %+v %v", bs, err)
	}
}

// TestDoubleOptIn_FromDesk sends confirmation mails from the desk: to one
// person, and to every unconfirmed member of a list with progress; the
// confirmed and the unsubscribed are left alone.
func TestDoubleOptIn_FromDesk(t *testing.T) {
	ctx := context.Background()
	a, smtpSrv, st := doiApp(t)
	list, _ := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen"})
	var ids []int64
	for _, email := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"} {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: email, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	// a, b pending (from an earlier form signup), c confirmed, d unsubscribed.
	for _, id := range ids[:2] {
		if _, err := a.optInSvc.RequestOptIn(ctx, id, list.ID, "old wording", resonanz.WebClient{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	a.subscriptionSvc.Subscribe(ctx, ids[2], list.ID, resonanz.WebClient{}, "Ja")
	a.subscriptionSvc.Subscribe(ctx, ids[3], list.ID, resonanz.WebClient{}, "Ja")
	a.subscriptionSvc.UnsubscribeList(ctx, ids[3], list.ID, resonanz.WebClient{}, "Nein")

	if _, err := a.recipients.SendConfirmation(ids[2], list.ID); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
		t.Errorf("confirmation mail to a confirmed member: %v", err)
	}
	if _, err := a.recipients.SendConfirmation(ids[3], list.ID); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
		t.Errorf("confirmation mail to an unsubscribed member: %v", err)
	}
	if res, err := a.recipients.SendConfirmation(ids[0], list.ID); err != nil || res.Sent != 1 {
		t.Fatalf("one: %+v %v", res, err)
	}
	res, err := a.recipients.SendConfirmations(desktopConfirmations(list.ID))
	if err != nil || res.Total != 2 || res.Sent != 2 || res.Failed != 0 || res.Done != 2 {
		t.Fatalf("all unconfirmed: %+v %v", res, err)
	}
	msgs := smtpSrv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d mails, want 3", len(msgs))
	}
	for _, m := range msgs {
		if m.To[0] != "a@example.org" && m.To[0] != "b@example.org" {
			t.Errorf("mail to %v", m.To)
		}
	}
	// The newest link of b confirms b; the ledger shows the wording of the
	// mail (English: b's language) and the desk as the one who asked.
	_, text, _ := mailParts(t, msgs[2].Data)
	link := regexp.MustCompile(`https://news\.sonne\.example/r/d/[A-Za-z0-9_-]+`).FindString(text)
	web := newBrowser(t, st, "Mail/1")
	_, page := web.do("GET", link, nil)
	if code, _ := web.do("POST", link, hiddenFields(page, nil)); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	det, _ := a.recipientSvc.RecipientDetail(ctx, ids[1])
	if len(det.Consent) != 1 || det.Consent[0].Wording != listener.NewsletterWording("en", "Reisen") || det.Lists[0].Status != resonanz.StatusConfirmed {
		t.Errorf("ledger %+v lists %+v", det.Consent, det.Lists)
	}
	if len(det.OptIns) != 2 || det.OptIns[0].ConfirmedAt.IsZero() || !strings.HasPrefix(det.OptIns[0].RequestedUA, "Resonanz desk") ||
		!det.OptIns[1].ConfirmedAt.IsZero() || det.OptIns[1].RequestedIP != "192.0.2.1" {
		t.Errorf("opt-ins in the detail: %+v", det.OptIns)
	}
}

func desktopConfirmations(listID int64) desktop.SendConfirmationsRequest {
	return desktop.SendConfirmationsRequest{ListID: listID, OpID: "t1"}
}

// TestListener_AutoStart: "start with the app" starts the listener when the
// desk opens; closing the app stops it.
func TestListener_AutoStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := NewApp(ctx, dir, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.autoStartListener(ctx)
	if st := a.ListenerStatus(); st.Running {
		t.Fatalf("started without the setting: %+v", st)
	}
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{Addr: "127.0.0.1:0", AutoStart: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{Addr: "no port"}); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Errorf("bad address saved: %v", err)
	}
	a.autoStartListener(ctx)
	st := a.ListenerStatus()
	if !st.Running {
		t.Fatalf("not started: %+v", st)
	}
	resp, err := http.Get("http://" + st.Addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + st.Addr + "/healthz"); err == nil {
		t.Error("the listener still answers after the app closed")
	}
}
