package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestListener_Store runs the listener over the real store: tracking with
// and without consent, the click redirect, one-click unsubscribe.
func TestListener_Store(t *testing.T) {
	ctx := context.Background()
	a := newCLIApp(t)
	list, err := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID})
	if err != nil {
		t.Fatal(err)
	}
	links, err := a.mailingSvc.SetLinks(ctx, m.ID, []resonanz.Link{{URL: "https://reisen.example/insel"}})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ben, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "ben@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.subscriptionSvc.Subscribe(ctx, ben.ID, list.ID, resonanz.WebClient{}, "Ja, den Reise-Newsletter"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{resonanz.PurposeTrackingOpens, resonanz.PurposeTrackingClicks} {
		if _, err := a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: anna.ID, Purpose: p, Granted: true,
			At: time.Now().Add(-time.Hour), Source: resonanz.SourceForm, Wording: "Ja, auswerten"}); err != nil {
			t.Fatal(err)
		}
	}

	srv, err := a.newListener("127.0.0.1:0", "http://listener.test", 0, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	urls, err := listener.NewURLs("http://listener.test", srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		t.Helper()
		resp, err := client.Get(ts.URL + strings.TrimPrefix(u, "http://listener.test"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	get(urls.Open(m.ID, anna.ID))
	get(urls.Open(m.ID, ben.ID))
	get(urls.Preview().Open(m.ID, anna.ID)) // a preview: not counted
	resp := get(urls.Click(m.ID, anna.ID, links[0].ID))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://reisen.example/insel" {
		t.Errorf("click: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// One-click unsubscribe (RFC 8058).
	u := urls.Unsubscribe(m.ID, ben.ID)
	r, err := client.Post(ts.URL+strings.TrimPrefix(u, "http://listener.test"), "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("one-click unsubscribe: %d", r.StatusCode)
	}
	if err := srv.Shutdown(ctx); err != nil { // flushes the queued hits
		t.Fatal(err)
	}

	st, err := a.statsSvc.MailingStats(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Opens.Total != 2 || st.Opens.Unique != 1 || st.Opens.Anonymous != 1 || st.Clicks.Total != 1 || st.Clicks.Unique != 1 {
		t.Errorf("opens %+v, clicks %+v; want 2 opens (1 personal, 1 anonymous) and 1 personal click", st.Opens, st.Clicks)
	}
	d, err := a.recipientSvc.RecipientDetail(ctx, ben.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Lists) != 1 || d.Lists[0].Status != resonanz.StatusUnsubscribed {
		t.Errorf("Ben's lists after unsubscribing: %+v", d.Lists)
	}
	if last := d.Consent[len(d.Consent)-1]; last.Granted || last.Source != resonanz.SourceOneClick || last.ListID != list.ID {
		t.Errorf("last ledger record: %+v, want a one-click newsletter withdrawal", last)
	}
	// The unsubscribe counts for the mailing, under its channel.
	if st.Unsubscribes != 1 || st.UnsubscribeChannels[resonanz.UnsubscribeOneClick] != 1 {
		t.Errorf("report unsubscribes %d by channel %v, want 1 one-click", st.Unsubscribes, st.UnsubscribeChannels)
	}
}

// TestListener_Survey answers a survey through the listener over the real
// store: the answer is stored, the ticked permission fills the attribute,
// and the recipient detail shows the answers.
func TestListener_Survey(t *testing.T) {
	ctx := context.Background()
	a := newCLIApp(t)
	if _, err := a.attrSvc.CreateAttribute(ctx, resonanz.AttributeDef{Key: "stil", Label: "Reisestil", Type: resonanz.AttrText}); err != nil {
		t.Fatal(err)
	}
	anna, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	sv, err := a.surveySvc.SaveSurvey(ctx, resonanz.Survey{Name: "Leser", Slug: "leser", Title: "Travel", Status: resonanz.SurveyOpen,
		Questions: []resonanz.Question{{Type: resonanz.QuestionSingle, Text: "Style?", Attribute: "stil", Choices: []resonanz.Choice{{Label: "Active"}, {Label: "Calm"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := a.newListener("127.0.0.1:0", "http://listener.test", 0, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	urls, _ := listener.NewURLs("http://listener.test", srv.Signer())
	target := ts.URL + strings.TrimPrefix(urls.Survey(0, anna.ID, sv.ID), "http://listener.test")
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s in %s", name, page)
		}
		return m[1]
	}
	form := url.Values{"csrf": {field("csrf")}, "q_" + sv.Questions[0].Key: {sv.Questions[0].Choices[1].Key},
		"profile_ok": {"1"}, "profile_ok_w": {field("profile_ok_w")}}
	resp, err = http.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	d, err := a.recipientSvc.RecipientDetail(ctx, anna.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Recipient.Attributes["stil"] != "Calm" || len(d.Surveys) != 1 || d.Surveys[0].Answers[0].Answer != "Calm" ||
		!strings.HasPrefix(d.Surveys[0].ProfileWording, "Use my answers to update my profile") {
		t.Errorf("detail after the survey: %+v %+v", d.Recipient.Attributes, d.Surveys)
	}
}

// TestListener_StoreUnderLoad runs the listener over the real store with
// 64 concurrent clients: every answered open is durable when it is
// answered, and the shutdown after the load is quick.
func TestListener_StoreUnderLoad(t *testing.T) {
	ctx := context.Background()
	a := newCLIApp(t)
	m, ids := seedOpenTracked(t, a, 50)
	srv, err := a.newListener("127.0.0.1:0", "http://listener.test", -1, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	urls, err := listener.NewURLs(ts.URL, srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	stop := time.Now().Add(time.Second)
	var answered atomic.Int64
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				resp, err := client.Get(urls.Open(m.ID, ids[(w*7+i)%len(ids)]))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					answered.Add(1)
				}
			}
		})
	}
	wg.Wait()
	// That every answered hit is durable before the shutdown's merge, also
	// when the process is killed, is TestListener_KilledUnderLoad's part.
	var st resonanz.MailingStats
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown after the load took %v", d)
	}
	if st, err = a.statsSvc.MailingStats(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if int64(st.Opens.Total) != answered.Load() || st.Opens.Anonymous != 0 {
		t.Errorf("%d opens stored (%d anonymous), %d answered", st.Opens.Total, st.Opens.Anonymous, answered.Load())
	}
	t.Logf("%d opens answered and stored in 1 s; %+v", answered.Load(), srv.Stats())
}

// TestListener_BacklogBound runs the listener over the real hit log with a
// small backlog bound and no merge while the load runs: once the bound is
// reached, open pixels are refused (503, Retry-After) instead of piling up
// in the log. A shutdown with a deadline too short to merge everything
// still succeeds, and after the next start has merged what it left,
// exactly the answered opens are stored.
func TestListener_BacklogBound(t *testing.T) {
	ctx := context.Background()
	a := newCLIApp(t)
	m, ids := seedOpenTracked(t, a, 50)
	secret, err := a.listenerSetup.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := sqlite.OpenHitInbox(ctx, a.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	inbox.MergeBatch, inbox.MinBacklog = 1, 100 // not started: nothing merges during the load
	ts := httptest.NewUnstartedServer(nil)
	cfg := listener.Config{PublicURL: "http://" + ts.Listener.Addr().String(), Secret: secret, TrackRate: -1, EnqueueWait: 10 * time.Millisecond}
	srv := listener.New(cfg, listener.Deps{Hits: inbox})
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer ts.Close()
	urls, err := listener.NewURLs(cfg.PublicURL, srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	var answered, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 20 {
				resp, err := http.Get(urls.Open(m.ID, ids[(w*20+i)%len(ids)]))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusOK:
					answered.Add(1)
				case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
					refused.Add(1)
				default:
					t.Errorf("status %d", resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	if answered.Load() != 100 || refused.Load() != 220 {
		t.Errorf("%d answered, %d refused; want the bound's 100 answered and the rest refused", answered.Load(), refused.Load())
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown with a short deadline: %v", err)
	}
	if _, err := sqlite.MergeLeftHits(ctx, a.db, nil); err != nil {
		t.Fatal(err)
	}
	st, err := a.statsSvc.MailingStats(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if int64(st.Opens.Total) != answered.Load() {
		t.Errorf("%d opens stored, %d answered", st.Opens.Total, answered.Load())
	}
	if s := srv.Stats(); int64(s.Refused) != refused.Load() || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// seedOpenTracked gives the store a list with a mailing and n recipients
// who granted open tracking an hour ago; it returns the mailing and their ids.
func seedOpenTracked(t *testing.T, a *App, n int) (resonanz.Mailing, []int64) {
	t.Helper()
	ctx := context.Background()
	list, err := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%d@example.org", i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: r.ID, Purpose: resonanz.PurposeTrackingOpens,
			Granted: true, At: time.Now().Add(-time.Hour), Source: resonanz.SourceForm, Wording: "Ja, auswerten"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return m, ids
}
