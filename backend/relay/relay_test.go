package relay_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
)

var (
	listenerSecret = []byte("0123456789abcdef0123456789abcdef-listener")
	personKey      = []byte("fedcba9876543210fedcba9876543210-person-key")
)

// Personal data of the test person: none of it may be readable on disk.
const (
	email     = "anna.schmidt@example.de"
	firstName = "Annaliese"
	lastName  = "Schmidtbauer"
	newName   = "Annemarie"
	answer    = "Lieblingsinsel-Sylt-Antwort"
)

type env struct {
	t       *testing.T
	dir     string
	st      *relay.Store
	srv     *relay.Server
	http    *httptest.Server
	pairing relay.Pairing
	client  *relay.Client
	deskKey relay.DeskKey
	urls    listener.URLs
}

func newEnv(t *testing.T, opts ...func(*relay.Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	st, err := relay.Open(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	mux := http.NewServeMux()
	e.http = httptest.NewServer(mux)
	t.Cleanup(e.http.Close)
	cfg := relay.Config{PublicURL: e.http.URL, TrackRate: -1}
	for _, o := range opts {
		o(&cfg)
	}
	e.srv, err = relay.NewServer(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", e.srv.Handler())
	ctx := context.Background()
	secret, err := st.NewPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := st.RelayID(ctx)
	e.pairing = relay.Pairing{URL: e.http.URL, RelayID: id, Secret: secret}
	code := e.pairing.Code()
	p, err := relay.ParsePairing(code)
	if err != nil {
		t.Fatal(err)
	}
	e.client = relay.NewClient(p)
	if e.deskKey, err = relay.NewDeskKey(); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetKeys(ctx, relay.Keys{DeskPublicKey: e.deskKey.Public(), ListenerSecret: listenerSecret}); err != nil {
		t.Fatal(err)
	}
	signer, _ := listener.NewSigner(listenerSecret)
	urls, _ := listener.NewURLs(e.http.URL, signer)
	e.urls = urls.WithPersonKey(func(r int64) string { return relay.EncodeSecret(relay.PersonSecret(personKey, r)) })
	return e
}

func (e *env) publish(v listener.ProfileView) {
	e.t.Helper()
	pp, err := relay.SealView(personKey, 7, v)
	if err != nil {
		e.t.Fatal(err)
	}
	sv := resonanz.Survey{ID: 3, Name: "Inseln", Status: resonanz.SurveyOpen, Questions: []resonanz.Question{{Key: "insel", Type: resonanz.QuestionText, Text: "Welche Insel?"}}}
	err = e.client.Publish(context.Background(), relay.Publication{Generation: 1, Final: true,
		Lists:        []relay.PubList{{ID: 1, Name: "Kunden"}},
		Links:        []relay.PubLink{{MailingID: 5, LinkID: 9, URL: "https://example.org/insel", Kind: resonanz.LinkText}},
		MailingLists: []relay.PubMailingList{{MailingID: 5, ListIDs: []int64{1}}},
		Surveys:      []resonanz.Survey{sv},
		Profiles:     []relay.PubProfile{pp}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// jar is the test browser's cookie jar (the relay keeps a link's person
// secret in a cookie scoped to the page).
var jar, _ = cookiejar.New(nil)

// browse sends a request like a browser: with the jar's cookies, and
// following the relay's 303 to the page's URL without the secret.
func browse(t *testing.T, method, u string, form url.Values) (int, string) {
	t.Helper()
	for range 5 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("User-Agent", "TestBrowser/1.0")
		for _, c := range jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		jar.SetCookies(req.URL, resp.Cookies())
		if resp.StatusCode != http.StatusSeeOther {
			return resp.StatusCode, string(b)
		}
		loc, err := req.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		method, u, form = http.MethodGet, loc.String(), nil
	}
	t.Fatalf("redirect loop at %s", u)
	return 0, ""
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	return browse(t, http.MethodGet, u, nil)
}

func post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	return browse(t, http.MethodPost, u, form)
}

var hiddenRE = regexp.MustCompile(`type="hidden" name="([a-z_0-9]+)" value="([^"]*)"`)

// formOf returns the hidden fields of the page's first profile form.
func formOf(page string) url.Values {
	f := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		if f.Get(m[1]) == "" {
			f.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
		}
	}
	return f
}

// fakeDesk records what the events apply.
type fakeDesk struct {
	mu      sync.Mutex
	hits    []resonanz.Hit
	unsubs  []string
	updates []resonanz.ProfileUpdate
	times   []time.Time
	surveys []listener.SurveySubmission
	erased  []int64
	signups []resonanz.Signup
	applied map[string]bool
	cursor  map[string]int64
	failed  map[string]*failedEvent
	// failUnsub makes every unsubscribe fail (a fault of the desk).
	failUnsub error
}

type failedEvent struct {
	f      resonanz.RelayFailure
	sealed []byte
}

func newFakeDesk() *fakeDesk {
	return &fakeDesk{applied: map[string]bool{}, cursor: map[string]int64{}, failed: map[string]*failedEvent{}}
}

func (d *fakeDesk) RecordHits(ctx context.Context, h []resonanz.Hit) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hits = append(d.hits, h...)
	return nil
}
func (d *fakeDesk) Unsubscribe(ctx context.Context, r, m int64, oneClick bool, c resonanz.WebClient) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failUnsub != nil {
		return d.failUnsub
	}
	d.unsubs = append(d.unsubs, c.UserAgent)
	d.times = append(d.times, resonanz.EventTime(ctx, time.Time{}))
	return nil
}
func (d *fakeDesk) Profile(ctx context.Context, r int64) (listener.ProfileView, error) {
	return listener.ProfileView{}, nil
}
func (d *fakeDesk) UpdateProfile(ctx context.Context, r int64, u listener.ProfileUpdate, c resonanz.WebClient) error {
	d.updates = append(d.updates, u)
	d.times = append(d.times, resonanz.EventTime(ctx, time.Time{}))
	return nil
}
func (d *fakeDesk) Export(ctx context.Context, r int64) (resonanz.PersonalDataExport, error) {
	return resonanz.PersonalDataExport{}, nil
}
func (d *fakeDesk) RequestErasure(ctx context.Context, r int64, c resonanz.WebClient) error {
	d.erased = append(d.erased, r)
	return nil
}
func (d *fakeDesk) SurveyForm(ctx context.Context, s, r int64) (listener.SurveyView, error) {
	return listener.SurveyView{}, nil
}
func (d *fakeDesk) SubmitSurvey(ctx context.Context, s, r int64, sub listener.SurveySubmission, c resonanz.WebClient) error {
	d.surveys = append(d.surveys, sub)
	return nil
}
func (d *fakeDesk) FormList(ctx context.Context, l int64) (listener.ListChoice, error) {
	return listener.ListChoice{}, nil
}
func (d *fakeDesk) Signup(ctx context.Context, s listener.Signup, c resonanz.WebClient) (listener.SignupResult, error) {
	d.signups = append(d.signups, s)
	return listener.SignupResult{}, nil
}
func (d *fakeDesk) Confirm(ctx context.Context, tok string, c resonanz.WebClient) (resonanz.OptInRequest, error) {
	return resonanz.OptInRequest{}, nil
}
func (d *fakeDesk) ProfileRecipient(ctx context.Context, e string) (listener.Addressee, error) {
	return listener.Addressee{}, nil
}
func (d *fakeDesk) Cursor(ctx context.Context, relayID string) (int64, error) {
	return d.cursor[relayID], nil
}
func (d *fakeDesk) Applied(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = d.applied[id]
	}
	return out, nil
}
func (d *fakeDesk) MarkApplied(ctx context.Context, relayID string, evs []relay.AppliedEvent) error {
	for _, e := range evs {
		d.applied[e.ID] = true
		delete(d.failed, e.ID)
		d.cursor[relayID] = max(d.cursor[relayID], e.Seq)
	}
	return nil
}
func (d *fakeDesk) Failed(ctx context.Context, f resonanz.RelayFailure, sealed []byte, quarantineAt int) (int, bool, error) {
	fe := d.failed[f.ID]
	if fe == nil {
		fe = &failedEvent{sealed: sealed}
		d.failed[f.ID] = fe
	}
	n := fe.f.Attempts + 1
	q := fe.f.Quarantined || n >= quarantineAt
	fe.f = f
	fe.f.Attempts, fe.f.Quarantined = n, q
	if q {
		d.cursor[f.RelayID] = max(d.cursor[f.RelayID], f.Seq)
	}
	return n, q, nil
}
func (d *fakeDesk) Failures(ctx context.Context) ([]resonanz.RelayFailure, error) {
	out := []resonanz.RelayFailure{}
	for _, fe := range d.failed {
		out = append(out, fe.f)
	}
	return out, nil
}
func (d *fakeDesk) Failure(ctx context.Context, id string) (resonanz.RelayFailure, []byte, error) {
	fe := d.failed[id]
	if fe == nil {
		return resonanz.RelayFailure{}, nil, resonanz.Errorf(resonanz.ENOTFOUND, "not found")
	}
	return fe.f, fe.sealed, nil
}

func (d *fakeDesk) desk(k relay.DeskKey) relay.Desk {
	return relay.Desk{Key: k, Journal: d, Hits: d, Subscriptions: d, Profiles: d, Surveys: d, Signups: d}
}

// TestSession runs a visitor session on the relay (profile with and
// without the link's secret, an edit, a tracking withdrawal, unsubscribe
// by page and one-click, a click and an open, a survey answer), collects it
// at a fake desk, collects again (nothing), and then reads every byte of
// the data directory for personal data in clear.
func TestSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.publish(listener.ProfileView{Email: email, FirstName: firstName, LastName: lastName, Language: "de",
		Lists:    []listener.ListChoice{{ListID: 1, Name: "Kunden", Subscribed: true}},
		Consents: map[string]bool{resonanz.PurposeTrackingOpens: true, resonanz.PurposeTrackingClicks: true}})

	// The link in the mail carries the person secret; the page itself
	// lives at the URL without it (the browser keeps it in a cookie).
	link := e.urls.Profile(5, 7)
	profile := strings.Split(link, "?")[0]
	// Without the person secret the relay cannot open the profile.
	if code, _ := get(t, profile); code != http.StatusNotFound {
		t.Fatalf("profile without the link's secret: %d, want 404", code)
	}
	// Another person's secret does not open it either.
	other := profile + "?k=" + relay.EncodeSecret(relay.PersonSecret(personKey, 8))
	if code, _ := get(t, other); code != http.StatusNotFound {
		t.Fatalf("profile with another person's secret: %d, want 404", code)
	}
	code, page := get(t, link)
	if code != 200 || !strings.Contains(page, firstName) || !strings.Contains(page, email) {
		t.Fatalf("profile page: %d\n%s", code, page)
	}

	// Edit the name and withdraw open tracking (clicks stay granted).
	f := formOf(page)
	f.Set("action", "save")
	f.Set("first_name", newName)
	f.Set("last_name", lastName)
	f.Set("gender", "")
	f.Set("language", "de")
	f.Set("list_1", "1")
	f.Set("c_clicks", "1")
	if code, page := post(t, profile, f); code != 200 || !strings.Contains(page, newName) {
		t.Fatalf("save profile: %d\n%s", code, page)
	}
	if _, page := get(t, profile); !strings.Contains(page, newName) {
		t.Fatal("the next visit does not show the change")
	}

	// Unsubscribe: the page, then the one-click POST.
	unsub := e.urls.Unsubscribe(5, 7)
	_, page = get(t, unsub)
	if code, _ := post(t, unsub, url.Values{"csrf": {formOf(page).Get("csrf")}}); code != 200 {
		t.Fatalf("unsubscribe page: %d", code)
	}
	if code, _ := post(t, unsub, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
		t.Fatalf("one-click: %d", code)
	}
	if _, page := get(t, profile); strings.Contains(page, `name="list_1" value="1" checked`) {
		t.Fatal("the profile still shows the list as subscribed after the unsubscribe")
	}

	// A click and an open.
	if code, _ := get(t, e.urls.Click(5, 7, 9)); code != http.StatusFound {
		t.Fatalf("click: %d", code)
	}
	get(t, e.urls.Open(5, 7))

	// A survey answer.
	survey := e.urls.Survey(5, 7, 3)
	_, page = get(t, survey)
	if code, page := post(t, strings.Split(survey, "?")[0], url.Values{"csrf": {formOf(page).Get("csrf")}, "q_insel": {answer}}); code != 200 {
		t.Fatalf("survey: %d\n%s", code, page)
	}
	time.Sleep(50 * time.Millisecond) // the hit batch

	d := newFakeDesk()
	res, err := relay.Collect(ctx, e.client, d.desk(e.deskKey))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.updates) != 1 || d.updates[0].FirstName != newName || len(d.updates[0].Consents) != 1 ||
		d.updates[0].Consents[0].Purpose != resonanz.PurposeTrackingOpens || d.updates[0].Consents[0].Granted {
		t.Fatalf("profile update applied: %+v", d.updates)
	}
	if len(d.unsubs) != 2 || d.unsubs[0] != "TestBrowser/1.0" {
		t.Fatalf("unsubscribes applied: %v", d.unsubs)
	}
	if len(d.hits) != 2 || len(d.surveys) != 1 || d.surveys[0].Answers[0].Text != answer {
		t.Fatalf("hits %v, surveys %v", d.hits, d.surveys)
	}
	for _, at := range d.times {
		if at.IsZero() || time.Since(at) > time.Minute {
			t.Fatalf("event applied without its time: %v", d.times)
		}
	}
	if res.Applied[relay.EventProfile] != 1 || res.Through == 0 {
		t.Fatalf("result %+v", res)
	}
	// A second collect changes nothing, and the relay has deleted what
	// was acknowledged.
	res2, err := relay.Collect(ctx, e.client, d.desk(e.deskKey))
	if err != nil || len(res2.Applied) != 0 || len(d.updates) != 1 {
		t.Fatalf("second collect: %+v %v", res2, err)
	}
	if st, err := e.client.Status(ctx); err != nil || len(st.Pending) != 0 {
		t.Fatalf("pending after ack: %+v %v", st, err)
	}

	// The erasure question's Cancel (a GET form: the page's URL without
	// any query) leads back to the profile.
	_, page = get(t, profile)
	if code, page := post(t, profile, url.Values{"csrf": {formOf(page).Get("csrf")}, "action": {"erase"}}); code != 200 || !strings.Contains(page, `<form method="get">`) {
		t.Fatalf("erasure question: %d\n%s", code, page)
	}
	if code, page := get(t, profile); code != 200 || !strings.Contains(page, newName) {
		t.Fatalf("Cancel on the erasure question: %d, want the profile page\n%s", code, page)
	}
	// Erasure from the profile page: gone from the relay at once.
	_, page = get(t, profile)
	if code, _ := post(t, profile, url.Values{"csrf": {formOf(page).Get("csrf")}, "action": {"erase-confirm"}}); code != 200 {
		t.Fatalf("erase: %d", code)
	}
	if code, _ := get(t, profile); code != http.StatusNotFound {
		t.Fatalf("profile after erasure: %d", code)
	}

	// Every byte of the data directory: no personal data in clear.
	e.srv.Handler() // the store stays open: read the live files (WAL too)
	assertNoPersonalData(t, e.dir, email, firstName, lastName, newName, answer, "Schmidt")
}

func assertNoPersonalData(t *testing.T, dir string, needles ...string) {
	t.Helper()
	files := 0
	filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		lower := bytes.ToLower(b)
		for _, n := range needles {
			for _, form := range [][]byte{[]byte(strings.ToLower(n)), utf16(strings.ToLower(n))} {
				if bytes.Contains(lower, form) {
					t.Errorf("%s contains %q in clear", filepath.Base(path), n)
				}
			}
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("read %d files: expected the database and its WAL", files)
	}
}

func utf16(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}

// TestSecretLeavesTheURL: a link's person secret is taken once, kept in an
// HttpOnly cookie for that page only, and the browser is sent to the
// page's URL without it.
func TestSecretLeavesTheURL(t *testing.T) {
	e := newEnv(t)
	e.publish(listener.ProfileView{Email: email, FirstName: firstName, Language: "de"})
	link := e.urls.Profile(5, 7)
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page := strings.Split(link, "?")[0]
	if resp.StatusCode != http.StatusSeeOther || e.http.URL+resp.Header.Get("Location") != page {
		t.Fatalf("first request: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	cs := resp.Cookies()
	path := strings.TrimPrefix(page, e.http.URL)
	if len(cs) != 1 || cs[0].Name != relay.SecretCookie || !cs[0].HttpOnly || cs[0].Path != path || cs[0].MaxAge <= 0 || cs[0].MaxAge > 3600 ||
		cs[0].SameSite != http.SameSiteLaxMode || cs[0].Value != strings.Split(link, "?k=")[1] {
		t.Fatalf("cookie %+v", cs)
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", resp.Header)
	}
	req, _ = http.NewRequest(http.MethodGet, page, nil)
	req.AddCookie(cs[0])
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), firstName) || strings.Contains(string(b), "k=") {
		t.Fatalf("page with the cookie: %d\n%s", resp.StatusCode, b)
	}
}

// TestSyncAuthentication: forged, tampered, stale and replayed sync
// requests are refused.
func TestSyncAuthentication(t *testing.T) {
	e := newEnv(t)
	u := e.http.URL + relay.SyncPath + "status"
	send := func(req *http.Request) int {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	signed := func(secret []byte, method, target string, body []byte, at time.Time) *http.Request {
		req, _ := http.NewRequest(method, target, bytes.NewReader(body))
		relay.Sign(req, secret, body, at)
		return req
	}
	now := time.Now()
	if code := send(signed(e.pairing.Secret, "GET", u, nil, now)); code != 200 {
		t.Fatalf("good request: %d", code)
	}
	unsigned, _ := http.NewRequest("GET", u, nil)
	wrong := bytes.Repeat([]byte{1}, 32)
	body := []byte(`{"through":999}`)
	tampered := signed(e.pairing.Secret, "POST", e.http.URL+relay.SyncPath+"ack", body, now)
	tampered.Body = io.NopCloser(bytes.NewReader([]byte(`{"through":9999}`)))
	tampered.ContentLength = 16
	otherPath := signed(e.pairing.Secret, "GET", u, nil, now)
	otherPath.URL, _ = url.Parse(e.http.URL + relay.SyncPath + "events?after=0")
	for name, req := range map[string]*http.Request{
		"unsigned":        unsigned,
		"wrong secret":    signed(wrong, "GET", u, nil, now),
		"tampered body":   tampered,
		"other path":      otherPath,
		"stale":           signed(e.pairing.Secret, "GET", u, nil, now.Add(-10*time.Minute)),
		"from the future": signed(e.pairing.Secret, "GET", u, nil, now.Add(10*time.Minute)),
	} {
		if code := send(req); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	// A replay: the same signed request twice.
	req := signed(e.pairing.Secret, "GET", u, nil, now)
	replay := req.Clone(context.Background())
	if code := send(req); code != 200 {
		t.Fatalf("first: %d", code)
	}
	if code := send(replay); code != http.StatusUnauthorized {
		t.Fatalf("replayed request: %d, want 401", code)
	}
	// A new pairing invalidates the old secret.
	if _, err := e.st.NewPairing(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := send(signed(e.pairing.Secret, "GET", u, nil, now)); code != http.StatusUnauthorized {
		t.Fatalf("old pairing after re-pairing: %d", code)
	}
}

// TestIdempotentByID: an event delivered again after the desk lost its
// cursor (an older backup) is skipped by id; an event sealed to another
// desk key is refused and nothing after it is acknowledged.
func TestIdempotentByID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.RecordHits(ctx, []resonanz.Hit{{Type: resonanz.ReactionOpened, MailingID: 5, RecipientID: 7, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	d := newFakeDesk()
	// The desk applied the event but crashed before its acknowledgement.
	page, err := e.client.Events(ctx, 0, 10)
	if err != nil || len(page.Events) != 1 {
		t.Fatal(err, page)
	}
	d.applied[page.Events[0].ID] = true
	d.hits = append(d.hits, resonanz.Hit{})
	res, err := relay.Collect(ctx, e.client, d.desk(e.deskKey))
	if err != nil || res.Skipped != 1 || len(d.hits) != 1 {
		t.Fatalf("redelivered event: %+v %v hits %d", res, err, len(d.hits))
	}
	// Sealed to another key: it can never be applied, so it is
	// quarantined at once (the desk keeps it sealed for a retry with the
	// right key) and the relay may delete it.
	if err := e.st.RecordHits(ctx, []resonanz.Hit{{Type: resonanz.ReactionOpened, MailingID: 5, RecipientID: 7, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	other, _ := relay.NewDeskKey()
	res, err = relay.Collect(ctx, e.client, d.desk(other))
	if err != nil || res.Quarantined != 1 {
		t.Fatalf("an event sealed to another key: %+v %v", res, err)
	}
	fs, _ := d.Failures(ctx)
	if len(fs) != 1 || !fs[0].Quarantined || fs[0].Key != "error.relay.event.unreadable" || fs[0].Attempts != 1 {
		t.Fatalf("quarantine %+v", fs)
	}
	if st, _ := e.client.Status(ctx); len(st.Pending) != 0 {
		t.Fatalf("pending %+v", st.Pending)
	}
	// With the right key the retry applies it.
	if err := relay.Retry(ctx, d.desk(e.deskKey), fs[0].ID); err != nil || len(d.hits) != 2 {
		t.Fatalf("retry: %v, hits %d", err, len(d.hits))
	}
	if fs, _ := d.Failures(ctx); len(fs) != 0 {
		t.Fatalf("quarantine after the retry: %+v", fs)
	}
}

// TestQuarantine: an event that keeps failing to apply stops the sync
// until it failed relay.MaxAttempts times; then it is quarantined with its
// reason, the events after it are applied and everything is acknowledged;
// a retry once the fault is gone applies it and empties the quarantine.
func TestQuarantine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hit := func() {
		if err := e.st.RecordHits(ctx, []resonanz.Hit{{Type: resonanz.ReactionOpened, MailingID: 5, RecipientID: 7, At: time.Now()}}); err != nil {
			t.Fatal(err)
		}
	}
	hit()
	if err := e.st.Unsubscribe(ctx, 7, 5, true, resonanz.WebClient{UserAgent: "Mail/1"}); err != nil {
		t.Fatal(err)
	}
	hit()
	d := newFakeDesk()
	d.failUnsub = resonanz.Errorf(resonanz.EINTERNAL, "disk I/O error")
	for attempt := 1; attempt < relay.MaxAttempts; attempt++ {
		res, err := relay.Collect(ctx, e.client, d.desk(e.deskKey))
		if err == nil || res.Failed != 1 || res.Quarantined != 0 || len(d.hits) != 1 {
			t.Fatalf("attempt %d: %+v %v, hits %d", attempt, res, err, len(d.hits))
		}
	}
	res, err := relay.Collect(ctx, e.client, d.desk(e.deskKey))
	if err != nil || res.Quarantined != 1 || len(d.hits) != 2 {
		t.Fatalf("last attempt: %+v %v, hits %d", res, err, len(d.hits))
	}
	if st, _ := e.client.Status(ctx); len(st.Pending) != 0 {
		t.Fatalf("pending after the quarantine: %+v", st.Pending)
	}
	fs, _ := d.Failures(ctx)
	if len(fs) != 1 || !fs[0].Quarantined || fs[0].Attempts != relay.MaxAttempts || fs[0].Kind != relay.EventUnsubscribe ||
		fs[0].Key != "error.relay.event.refused" || fs[0].Params["reason"] != "disk I/O error" {
		t.Fatalf("quarantine %+v", fs)
	}
	// A later sync does not try it again; a retry while the fault lasts
	// keeps it.
	if res, err := relay.Collect(ctx, e.client, d.desk(e.deskKey)); err != nil || res.Quarantined != 0 || res.Failed != 0 {
		t.Fatalf("sync after the quarantine: %+v %v", res, err)
	}
	if err := relay.Retry(ctx, d.desk(e.deskKey), fs[0].ID); err == nil {
		t.Fatal("retry while the fault lasts succeeded")
	}
	d.failUnsub = nil
	if err := relay.Retry(ctx, d.desk(e.deskKey), fs[0].ID); err != nil || len(d.unsubs) != 1 {
		t.Fatalf("retry: %v, unsubscribes %v", err, d.unsubs)
	}
	if fs, _ := d.Failures(ctx); len(fs) != 0 {
		t.Fatalf("quarantine after the retry: %+v", fs)
	}
}
