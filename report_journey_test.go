package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// TestReport_SendThroughListener is the report journey of issue 15: a
// mailing sent through an SMTP server to four people, the links in the
// mails followed through the listener (an open and a click with consent,
// an open after the consent was withdrawn, a one-click unsubscribe and one
// on the unsubscribe page), and the report the Analysis screen shows: one
// base, the anonymous open in the rate, both unsubscribes with their
// channels, the trackable base.
func TestReport_SendThroughListener(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, list := newSendingApp(t, dir)
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "http://listener.test"}); err != nil {
		t.Fatal(err)
	}
	var people []resonanz.Recipient
	for i, email := range []string{"p0@example.org", "p1@example.org", "p2@example.org", "p3@example.org"} {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, r)
		if err := a.subscriptionSvc.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja, Reise-Newsletter"); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			for _, p := range []string{resonanz.PurposeTrackingOpens, resonanz.PurposeTrackingClicks} {
				if _, err := a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: r.ID, Purpose: p, Granted: true,
					At: time.Now().Add(-time.Hour), Source: resonanz.SourceForm, Wording: "Ja, auswerten"}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if _, err := a.mailings.Save(resonanz.Mailing{Name: "Herbst", ListID: list.ID, Subject: "Herbstreisen", Body: "Hallo,\n\n[Zur Insel](https://reisen.example/insel)\n"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	srv := smtptest.Start(t, smtptest.Options{})
	if code, _, stderr := runCLI(t, "--data", dir, "send", "Herbst", "--smtp", srv.Addr, "--smtp-security", "none"); code != 0 {
		t.Fatalf("send: exit %d: %s", code, stderr)
	}
	// The links of each mail, by recipient (quoted-printable undone).
	link := regexp.MustCompile(`http://listener\.test/[a-z]/[A-Za-z0-9_.~-]+`)
	urls := map[string]map[byte]string{}
	for _, m := range srv.Messages() {
		data := strings.NewReplacer("=\r\n", "", "=3D", "=").Replace(string(m.Data))
		u := map[byte]string{}
		for _, l := range link.FindAllString(data, -1) {
			u[l[len("http://listener.test/")]] = l
		}
		urls[m.To[0]] = u
	}
	if len(urls) != 4 || urls["p0@example.org"]['o'] == "" || urls["p0@example.org"]['c'] == "" || urls["p2@example.org"]['u'] == "" {
		t.Fatalf("links in the mails: %v", urls)
	}

	a, err := NewApp(ctx, dir, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// p1 withdraws tracking consent after the send; their open is counted
	// without storing who opened.
	if _, err := a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: people[1].ID, Purpose: resonanz.PurposeTrackingOpens,
		Granted: false, At: time.Now(), Source: resonanz.SourceProfilePage}); err != nil {
		t.Fatal(err)
	}
	lst, err := a.newListener("127.0.0.1:0", "http://listener.test", 0, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(lst.Handler())
	defer ts.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	local := func(u string) string { return ts.URL + strings.TrimPrefix(u, "http://listener.test") }
	const thunderbird = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.8.0"
	get := func(u string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, local(u), nil)
		req.Header.Set("User-Agent", thunderbird) // a mail client, not a machine open
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post := func(u string, form url.Values) {
		t.Helper()
		resp, err := client.PostForm(local(u), form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST %s: %d", u, resp.StatusCode)
		}
	}
	get(urls["p0@example.org"]['o'])
	get(urls["p0@example.org"]['o']) // opened twice: one opener
	get(urls["p0@example.org"]['c'])
	get(urls["p1@example.org"]['o'])
	post(urls["p2@example.org"]['u'], url.Values{"List-Unsubscribe": {"One-Click"}})
	page := get(urls["p3@example.org"]['u'])
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no unsubscribe form: %s", page)
	}
	post(urls["p3@example.org"]['u'], url.Values{"csrf": {csrf[1]}})
	if err := lst.Shutdown(ctx); err != nil { // writes the queued hits
		t.Fatal(err)
	}

	m, err := a.mailingSvc.MailingByName(ctx, "Herbst")
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.statsSvc.MailingStats(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Base != (resonanz.Base{Kind: resonanz.BaseSent, Count: 4}) || st.Trackable == nil || *st.Trackable != (resonanz.Trackable{Count: 2, Of: 4}) {
		t.Errorf("base %+v trackable %+v, want sent 4 and 2 of 4 trackable", st.Base, st.Trackable)
	}
	if st.Openers != (resonanz.Reach{People: 1, Estimate: 2}) || st.Rates.Open != 0.5 || st.Clickers.People != 1 || st.Rates.Click != 0.25 {
		t.Errorf("openers %+v clickers %+v rates %+v, want 1 exact of ≈2 openers (50 %%), 1 clicker (25 %%)", st.Openers, st.Clickers, st.Rates)
	}
	want := map[string]int{resonanz.UnsubscribeOneClick: 1, resonanz.UnsubscribeLink: 1}
	if st.Unsubscribes != 2 || len(st.UnsubscribeChannels) != 2 || st.UnsubscribeChannels[resonanz.UnsubscribeOneClick] != 1 || st.UnsubscribeChannels[resonanz.UnsubscribeLink] != 1 || st.Rates.Unsubscribe != 0.5 {
		t.Errorf("unsubscribes %d %v (rate %v), want 2 %v", st.Unsubscribes, st.UnsubscribeChannels, st.Rates.Unsubscribe, want)
	}
	// The totals view says the same.
	if tot, err := a.statsSvc.MailingStats(ctx, 0); err != nil || tot.Base != st.Base || tot.Rates != st.Rates {
		t.Errorf("totals %+v %+v, %v", tot.Base, tot.Rates, err)
	}
}
