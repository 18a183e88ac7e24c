package listener_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// fakeHits records hits in memory; delay, when set, is how long each
// RecordHits call takes (a slow store).
type fakeHits struct {
	mu    sync.Mutex
	hits  []resonanz.Hit
	calls int
	delay time.Duration
}

func (f *fakeHits) RecordHits(ctx context.Context, hits []resonanz.Hit) error {
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits = append(f.hits, hits...)
	f.calls++
	return nil
}

func (f *fakeHits) all() []resonanz.Hit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]resonanz.Hit(nil), f.hits...)
}

type fakeLinks map[[2]int64]string

func (f fakeLinks) LinkTarget(ctx context.Context, m, l int64) (string, string, error) {
	if u, ok := f[[2]int64{m, l}]; ok {
		return u, resonanz.LinkText, nil
	}
	return "", "", resonanz.Errorf(resonanz.ENOTFOUND, "no such link")
}

func (f fakeLinks) ImageURL(ctx context.Context, m, l int64) (string, error) {
	u, _, err := f.LinkTarget(ctx, m, l)
	return u, err
}

// fakeSubs is an idempotent in-memory Subscriptions: the first unsubscribe
// appends a withdrawal, repeats change nothing.
type fakeSubs struct {
	mu           sync.Mutex
	unsubscribed map[int64]bool
	withdrawals  []resonanz.ConsentRecord
	calls        int
	oneClick     []bool // per call: an RFC 8058 POST
}

func (f *fakeSubs) Unsubscribe(ctx context.Context, r, m int64, oneClick bool, c resonanz.WebClient) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.oneClick = append(f.oneClick, oneClick)
	if f.unsubscribed[r] {
		return nil
	}
	f.unsubscribed[r] = true
	f.withdrawals = append(f.withdrawals, resonanz.ConsentRecord{
		RecipientID: r, Purpose: resonanz.PurposeNewsletter, ListID: m, Source: resonanz.SourceProfilePage,
		IP: c.IP, UserAgent: c.UserAgent,
	})
	return nil
}

// fakeProfiles keeps one view per recipient and the updates it got.
type fakeProfiles struct {
	mu      sync.Mutex
	views   map[int64]listener.ProfileView
	updates []listener.ProfileUpdate
	clients []resonanz.WebClient
	erasure []int64
	exports int
}

func (f *fakeProfiles) Profile(ctx context.Context, id int64) (listener.ProfileView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.views[id]
	if !ok {
		return v, resonanz.Errorf(resonanz.ENOTFOUND, "no such recipient")
	}
	return v, nil
}

func (f *fakeProfiles) UpdateProfile(ctx context.Context, id int64, u listener.ProfileUpdate, c resonanz.WebClient) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.views[id]
	v.FirstName, v.LastName, v.Title, v.Gender, v.Language = u.FirstName, u.LastName, u.Title, u.Gender, u.Language
	consents := map[string]bool{}
	for k, b := range v.Consents {
		consents[k] = b
	}
	for _, c := range u.Consents {
		consents[c.Purpose] = c.Granted
	}
	v.Consents = consents
	lists := append([]listener.ListChoice(nil), v.Lists...)
	for _, ch := range u.Lists {
		for i := range lists {
			if lists[i].ListID == ch.ListID {
				lists[i].Subscribed = ch.Subscribe
			}
		}
	}
	v.Lists = lists
	f.views[id] = v
	f.updates = append(f.updates, u)
	f.clients = append(f.clients, c)
	return nil
}

func (f *fakeProfiles) Export(ctx context.Context, id int64) (resonanz.PersonalDataExport, error) {
	f.mu.Lock()
	f.exports++
	f.mu.Unlock()
	v, err := f.Profile(ctx, id)
	if err != nil {
		return resonanz.PersonalDataExport{}, err
	}
	return resonanz.PersonalDataExport{Format: resonanz.PersonalDataFormat, RecipientDetail: resonanz.RecipientDetail{
		Recipient: resonanz.Recipient{ID: id, Email: v.Email, FirstName: v.FirstName, LastName: v.LastName},
	}}, nil
}

func (f *fakeProfiles) RequestErasure(ctx context.Context, id int64, c resonanz.WebClient) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.erasure = append(f.erasure, id)
	return nil
}

// fakeSurveys holds surveys by id and stores submissions like the store:
// answers checked against the survey, the latest one per person wins.
type fakeSurveys struct {
	mu       sync.Mutex
	surveys  map[int64]resonanz.Survey
	answered map[[2]int64]listener.SurveySubmission
	calls    int
	clients  []resonanz.WebClient
}

func (f *fakeSurveys) SurveyForm(ctx context.Context, surveyID, recipientID int64) (listener.SurveyView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sv, ok := f.surveys[surveyID]
	if !ok || recipientID == 999 {
		return listener.SurveyView{}, resonanz.Errorf(resonanz.ENOTFOUND, "no such survey")
	}
	v := listener.SurveyView{Survey: sv}
	if _, done := f.answered[[2]int64{surveyID, recipientID}]; done {
		v.AnsweredAt = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	return v, nil
}

func (f *fakeSurveys) SubmitSurvey(ctx context.Context, surveyID, recipientID int64, s listener.SurveySubmission, c resonanz.WebClient) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	sv := f.surveys[surveyID]
	if sv.Status != resonanz.SurveyOpen {
		return resonanz.Errorf(resonanz.EFORBIDDEN, "closed")
	}
	answers, err := sv.CheckAnswers(s.Answers)
	if err != nil {
		return err
	}
	s.Answers = answers
	f.answered[[2]int64{surveyID, recipientID}] = s
	f.clients = append(f.clients, c)
	return nil
}

func (f *fakeSurveys) get(surveyID, recipientID int64) (listener.SurveySubmission, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.answered[[2]int64{surveyID, recipientID}]
	return s, ok
}

// testSurvey: survey 5 is open (style fills an attribute, topics declare
// interests, a comment, a rating); survey 6 is closed.
func testSurveys() *fakeSurveys {
	open := resonanz.Survey{ID: 5, Name: "Leser", Slug: "leser", Title: "Wie reisen Sie?", Intro: "Zwei Minuten <b>bitte</b>.", Status: resonanz.SurveyOpen,
		Questions: []resonanz.Question{
			{Key: "q1", Type: resonanz.QuestionSingle, Text: "Reisestil?", Required: true, Attribute: "stil", Choices: []resonanz.Choice{
				{Key: "c1", Label: "Aktiv"}, {Key: "c2", Label: "Ruhig"}}},
			{Key: "q2", Type: resonanz.QuestionMultiple, Text: "Themen?", Choices: []resonanz.Choice{
				{Key: "c3", Label: "Wandern", Interest: "Wandern"}, {Key: "c4", Label: "Kultur"}}},
			{Key: "q3", Type: resonanz.QuestionText, Text: "Anmerkungen"},
			{Key: "q4", Type: resonanz.QuestionRating, Text: "Zufrieden?"},
		}}
	closed := open
	closed.ID, closed.Status, closed.Title = 6, resonanz.SurveyClosed, "Alte Umfrage"
	return &fakeSurveys{surveys: map[int64]resonanz.Survey{5: open, 6: closed}, answered: map[[2]int64]listener.SurveySubmission{}}
}

// env is a running listener with fakes.
type env struct {
	srv      *listener.Server
	ts       *httptest.Server
	urls     listener.URLs
	hits     *fakeHits
	links    fakeLinks
	subs     *fakeSubs
	profiles *fakeProfiles
	surveys  *fakeSurveys
}

func newEnv(t testing.TB, mod func(*listener.Config)) *env {
	t.Helper()
	e := &env{
		hits:    &fakeHits{},
		links:   fakeLinks{{1, 7}: "https://example.org/article?id=7", {1, 8}: "javascript:alert(1)", {1, 9}: "https://cdn.example.org/banner.png"},
		subs:    &fakeSubs{unsubscribed: map[int64]bool{}},
		surveys: testSurveys(),
		profiles: &fakeProfiles{views: map[int64]listener.ProfileView{
			42: {Email: "anna@example.org", FirstName: "Anna", LastName: "Muster", Lists: []listener.ListChoice{
				{ListID: 3, Name: "Weekly", Subscribed: true}, {ListID: 4, Name: "Events"},
			}},
		}},
	}
	e.ts = httptest.NewUnstartedServer(nil)
	cfg := listener.Config{
		PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Secret:    testSecret,
		TrackRate: -1, PageRate: -1,
	}
	if mod != nil {
		mod(&cfg)
	}
	e.srv = listener.New(cfg, listener.Deps{Hits: e.hits, Links: e.links, Images: e.links, Subscriptions: e.subs, Profiles: e.profiles, Surveys: e.surveys})
	if err := e.srv.Err(); err != nil {
		t.Fatal(err)
	}
	e.ts.Config.Handler = e.srv.Handler()
	e.ts.Start()
	t.Cleanup(func() {
		e.ts.Close()
		e.srv.Shutdown(context.Background())
	})
	var err error
	if e.urls, err = listener.NewURLs(cfg.PublicURL, e.srv.Signer()); err != nil {
		t.Fatal(err)
	}
	return e
}

// flush shuts the server down so that every queued hit is written.
func (e *env) flush(t testing.TB) []resonanz.Hit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return e.hits.all()
}

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t testing.TB, method, url string, body string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// raw sends a request line byte for byte (no client-side cleaning).
func raw(t testing.TB, addr, method, target string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}
