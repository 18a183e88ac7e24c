package listener_test

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// fakeSignups keeps signups, confirmations and known addresses in memory.
type fakeSignups struct {
	mu        sync.Mutex
	signups   []listener.Signup
	clients   []resonanz.WebClient
	confirmed map[string]bool // token → confirmed
	known     map[string]int64
	confirms  int
}

func (f *fakeSignups) FormList(ctx context.Context, id int64) (listener.ListChoice, error) {
	if id != 3 {
		return listener.ListChoice{}, resonanz.Errorf(resonanz.ENOTFOUND, "no such list")
	}
	return listener.ListChoice{ListID: 3, Name: "Reisen <Weekly>", Description: "Neue Reisen jede Woche"}, nil
}

func (f *fakeSignups) Signup(ctx context.Context, s listener.Signup, c resonanz.WebClient) (listener.SignupResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signups, f.clients = append(f.signups, s), append(f.clients, c)
	if s.Email == "confirmed@example.org" {
		return listener.SignupResult{}, resonanz.Errorf(resonanz.ECONFLICT, "already subscribed")
	}
	return listener.SignupResult{Token: "tok-" + strings.ReplaceAll(strings.Split(s.Email, "@")[0], ".", "_"),
		Addressee: listener.Addressee{RecipientID: 9, Email: s.Email, Name: s.FirstName}}, nil
}

func (f *fakeSignups) Confirm(ctx context.Context, tok string, c resonanz.WebClient) (resonanz.OptInRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.confirms++
	switch tok {
	case "tok-old":
		return resonanz.OptInRequest{}, resonanz.Errorf(resonanz.EFORBIDDEN, "expired")
	case "tok-anna":
		f.confirmed[tok] = true
		return resonanz.OptInRequest{ListName: "Reisen <Weekly>", ConfirmedIP: c.IP}, nil
	}
	return resonanz.OptInRequest{}, resonanz.Errorf(resonanz.ENOTFOUND, "unknown")
}

func (f *fakeSignups) ProfileRecipient(ctx context.Context, email string) (listener.Addressee, error) {
	if id, ok := f.known[strings.ToLower(email)]; ok {
		return listener.Addressee{RecipientID: id, Email: email, Language: "en"}, nil
	}
	return listener.Addressee{}, resonanz.Errorf(resonanz.ENOTFOUND, "unknown")
}

type fakeMailer struct {
	mu      sync.Mutex
	notices []listener.Notice
}

func (f *fakeMailer) SendNotice(ctx context.Context, n listener.Notice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notices = append(f.notices, n)
	return nil
}

type signupEnv struct {
	srv    *listener.Server
	ts     *httptest.Server
	urls   listener.URLs
	signup *fakeSignups
	mail   *fakeMailer
	client *http.Client // with a cookie jar, like a browser
}

func newSignupEnv(t *testing.T, mod func(*listener.Config)) *signupEnv {
	t.Helper()
	e := &signupEnv{signup: &fakeSignups{confirmed: map[string]bool{}, known: map[string]int64{"anna@example.org": 42}}, mail: &fakeMailer{}}
	e.ts = httptest.NewUnstartedServer(nil)
	cfg := listener.Config{PublicURL: "http://" + e.ts.Listener.Addr().String(), Secret: testSecret, TrackRate: -1, PageRate: -1}
	if mod != nil {
		mod(&cfg)
	}
	e.srv = listener.New(cfg, listener.Deps{Hits: &fakeHits{}, Profiles: &fakeProfiles{views: map[int64]listener.ProfileView{}},
		Signups: e.signup, Mailer: e.mail})
	e.ts.Config.Handler = e.srv.Handler()
	e.ts.Start()
	t.Cleanup(func() { e.ts.Close(); e.srv.Shutdown(context.Background()) })
	e.urls, _ = listener.NewURLs(cfg.PublicURL, e.srv.Signer())
	jar, _ := cookiejar.New(nil)
	e.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *signupEnv) get(t *testing.T, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body(t, resp)
}

func (e *signupEnv) post(t *testing.T, u string, v url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body(t, resp)
}

// notices waits for the background mails by shutting the server down.
func (e *signupEnv) notices(t *testing.T) []listener.Notice {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	e.mail.mu.Lock()
	defer e.mail.mu.Unlock()
	return append([]listener.Notice(nil), e.mail.notices...)
}

// formValues reads the form's hidden fields and sets the given ones.
func formValues(t *testing.T, page string, set map[string]string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	for k, x := range set {
		v.Set(k, x)
	}
	return v
}

func TestSignupForm(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newSignupEnv(t, nil)
		u := e.urls.Form(3)
		resp, page := e.get(t, u, "Accept-Language", "en-GB,en;q=0.9")
		if resp.StatusCode != 200 || strings.Contains(page, "checked") || !strings.Contains(page, "Reisen &lt;Weekly&gt;") ||
			!strings.Contains(page, `name="c_opens"`) || !strings.Contains(page, "Subscribe") {
			t.Fatalf("form: %d %s", resp.StatusCode, page)
		}
		if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
			t.Errorf("CSRF cookie %q", c)
		}
		resp, done := e.post(t, u, formValues(t, page, map[string]string{"email": " Anna@Example.org ", "first_name": "Anna",
			"newsletter": "1", "c_clicks": "1"}), "Accept-Language", "en", "User-Agent", "Firefox/140")
		if resp.StatusCode != 200 || !strings.Contains(done, "check your inbox") {
			t.Fatalf("post: %d %s", resp.StatusCode, done)
		}
		if len(e.signup.signups) != 1 {
			t.Fatalf("signups %+v", e.signup.signups)
		}
		s, c := e.signup.signups[0], e.signup.clients[0]
		if s.ListID != 3 || s.Email != "Anna@Example.org" || s.FirstName != "Anna" || s.Language != "en" ||
			s.Wording != listener.NewsletterWording("en", "Reisen <Weekly>") || len(s.Consents) != 1 ||
			s.Consents[0].Purpose != resonanz.PurposeTrackingClicks || !strings.Contains(s.Consents[0].Wording, "links I click") || !strings.Contains(s.Consents[0].Wording, "profile link in every newsletter") {
			t.Errorf("signup %+v", s)
		}
		if c.IP != "127.0.0.1" || c.UserAgent != "Firefox/140" {
			t.Errorf("client %+v", c)
		}
		// Same answer for an address that is already subscribed: no enumeration.
		_, page = e.get(t, u, "Accept-Language", "en")
		_, again := e.post(t, u, formValues(t, page, map[string]string{"email": "confirmed@example.org", "newsletter": "1"}), "Accept-Language", "en")
		if again != done {
			t.Errorf("known address answered differently:\n%s\n---\n%s", again, done)
		}
		ns := e.notices(t)
		if len(ns) != 1 {
			t.Fatalf("notices %+v", ns)
		}
		n := ns[0]
		if n.To != "Anna@Example.org" || n.ToName != "" || strings.Contains(n.Text, "Anna,") || n.Kind != listener.NoticeConfirmation || !strings.Contains(n.Subject, "confirm") ||
			!strings.Contains(n.Text, e.urls.Confirm("tok-Anna")) || !strings.Contains(n.HTML, "Reisen &lt;Weekly&gt;") {
			t.Errorf("notice %+v", n)
		}
		for _, bad := range []string{"/o/", "/c/", "<img"} {
			if strings.Contains(n.HTML, bad) || strings.Contains(n.Text, bad) {
				t.Errorf("confirmation mail carries %q", bad)
			}
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		e := newSignupEnv(t, nil)
		u := e.urls.Form(3)
		// From a snippet on the sender's website: no cookie, no field → the
		// full form comes back prefilled; nothing stored.
		resp, page := e.post(t, u, url.Values{"email": {"ben@example.org"}, "newsletter": {"1"}}, "Accept-Language", "de")
		if resp.StatusCode != 200 || !strings.Contains(page, `value="ben@example.org"`) || !strings.Contains(page, "prüfen Sie Ihre Angaben") {
			t.Fatalf("snippet post: %d %s", resp.StatusCode, page)
		}
		// A forged field: refused.
		resp, _ = e.post(t, u, formValues(t, page, map[string]string{"csrf": "1.AAAAAAAAAAAAAAAAAAAAAA", "email": "ben@example.org", "newsletter": "1"}))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged csrf: %d", resp.StatusCode)
		}
		// A valid field without the cookie (another site that fetched the form): refused.
		resp2 := do(t, "POST", u, formValues(t, page, map[string]string{"email": "ben@example.org", "newsletter": "1"}).Encode())
		if b := body(t, resp2); resp2.StatusCode != http.StatusForbidden {
			t.Errorf("field without cookie: %d %s", resp2.StatusCode, b)
		}
		if len(e.signup.signups) != 0 || len(e.notices(t)) != 0 {
			t.Errorf("stored or mailed without CSRF: %+v", e.signup.signups)
		}
	})
	t.Run("ErrInput", func(t *testing.T) {
		e := newSignupEnv(t, nil)
		u := e.urls.Form(3)
		_, page := e.get(t, u)
		for name, set := range map[string]map[string]string{
			"NoNewsletter": {"email": "ben@example.org", "c_opens": "1"},
			"BadEmail":     {"email": "ben@", "newsletter": "1"},
			"StaleWording": {"email": "ben@example.org", "newsletter": "1", "newsletter_w": "0000"},
			"ForgedExtra":  {"email": "ben@example.org", "newsletter": "1", "c_opens": "1", "c_opens_w": "ffff"},
		} {
			resp, b := e.post(t, u, formValues(t, page, set))
			if resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(b, `value="ben@`) {
				t.Errorf("%s: %d %s", name, resp.StatusCode, b)
			}
		}
		if len(e.signup.signups) != 0 {
			t.Errorf("stored: %+v", e.signup.signups)
		}
		big := formValues(t, page, map[string]string{"email": "ben@example.org", "newsletter": "1", "first_name": strings.Repeat("x", 20000)})
		if resp, _ := e.post(t, u, big); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("oversize body: %d", resp.StatusCode)
		}
		if resp := do(t, "PUT", u, ""); resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "POST") {
			t.Errorf("PUT: %d", resp.StatusCode)
		}
	})
	t.Run("ErrForgedToken", func(t *testing.T) {
		e := newSignupEnv(t, nil)
		u := e.urls.Form(3)
		tok := tokenOf(u)
		forged := tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BA"}[!strings.HasSuffix(tok, "AA")]
		for _, v := range []string{
			strings.TrimSuffix(u, tok) + forged,
			e.urls.Form(99), // a deleted list
			strings.Replace(e.urls.Unsubscribe(1, 42), "/u/", "/f/", 1), // another kind
			strings.Replace(u, "/f/", "/p/", 1),                         // a form token is no profile token
		} {
			resp, _ := e.get(t, v)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", v, resp.StatusCode)
			}
		}
	})
	t.Run("RateLimitPerAddress", func(t *testing.T) {
		e := newSignupEnv(t, nil)
		u := e.urls.Form(3)
		var first string
		for i := range 5 {
			_, page := e.get(t, u)
			_, b := e.post(t, u, formValues(t, page, map[string]string{"email": "carl@example.org", "newsletter": "1"}))
			if i == 0 {
				first = b
			} else if b != first {
				t.Errorf("post %d answered differently", i)
			}
		}
		if n := len(e.notices(t)); n != 3 {
			t.Errorf("%d mails to one address, want 3 (the burst)", n)
		}
	})
}

func TestConfirm(t *testing.T) {
	e := newSignupEnv(t, nil)
	u := e.urls.Confirm("tok-anna")
	resp, page := e.get(t, u, "Accept-Language", "de")
	if resp.StatusCode != 200 || !strings.Contains(page, "Ja, Abonnement bestätigen") || e.signup.confirms != 0 {
		t.Fatalf("GET confirmed or wrong page: %d %s", resp.StatusCode, page)
	}
	if resp, _ := e.post(t, u, url.Values{}); resp.StatusCode != http.StatusForbidden || e.signup.confirms != 0 {
		t.Errorf("POST without CSRF: %d", resp.StatusCode)
	}
	resp, done := e.post(t, u, url.Values{"csrf": {csrfFrom(t, page)}}, "Accept-Language", "de")
	if resp.StatusCode != 200 || !strings.Contains(done, "Reisen &lt;Weekly&gt;") || !e.signup.confirmed["tok-anna"] {
		t.Errorf("confirm: %d %s", resp.StatusCode, done)
	}
	for tok, want := range map[string]int{"tok-old": http.StatusGone, "tok-forged": http.StatusNotFound} {
		u := e.urls.Confirm(tok)
		_, page := e.get(t, u)
		if resp, b := e.post(t, u, url.Values{"csrf": {csrfFrom(t, page)}}); resp.StatusCode != want {
			t.Errorf("%s: %d %s", tok, resp.StatusCode, b)
		}
	}
	// The CSRF value of one link does not confirm another.
	if resp, _ := e.post(t, e.urls.Confirm("tok-other"), url.Values{"csrf": {csrfFrom(t, page)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("CSRF of another link: %d", resp.StatusCode)
	}
	if resp := do(t, "DELETE", u, ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
}

func TestProfileLogin(t *testing.T) {
	e := newSignupEnv(t, nil)
	u := e.urls.ProfileLogin()
	resp, page := e.get(t, u, "Accept-Language", "en")
	if resp.StatusCode != 200 || !strings.Contains(page, `name="email"`) {
		t.Fatalf("login page: %d %s", resp.StatusCode, page)
	}
	if resp, _ := e.post(t, u, url.Values{"email": {"anna@example.org"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d", resp.StatusCode)
	}
	_, known := e.post(t, u, formValues(t, page, map[string]string{"email": "ANNA@example.org"}), "Accept-Language", "en")
	_, unknown := e.post(t, u, formValues(t, page, map[string]string{"email": "nobody@example.org"}), "Accept-Language", "en")
	if known != unknown || !strings.Contains(known, "If this address is registered") {
		t.Errorf("answers differ or wrong:\n%s\n---\n%s", known, unknown)
	}
	ns := e.notices(t)
	if len(ns) != 1 || ns[0].Kind != listener.NoticeProfileLink || !strings.EqualFold(ns[0].To, "anna@example.org") {
		t.Fatalf("notices %+v", ns)
	}
	m := regexp.MustCompile(`/p/([A-Za-z0-9_-]+)`).FindStringSubmatch(ns[0].Text)
	if m == nil {
		t.Fatalf("no profile link in %s", ns[0].Text)
	}
	c, err := e.srv.Signer().VerifyKind(m[1], listener.KindProfile, time.Now())
	if err != nil || c.RecipientID != 42 {
		t.Errorf("profile link %+v %v", c, err)
	}
}

func TestFormToken(t *testing.T) {
	s, _ := listener.NewSigner(testSecret)
	tok, err := s.Sign(listener.Claims{Kind: listener.KindForm, ListID: 12})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok, time.Now())
	if err != nil || c.Kind != listener.KindForm || c.ListID != 12 || c.RecipientID != 0 {
		t.Errorf("%+v %v", c, err)
	}
	for _, bad := range []listener.Claims{
		{Kind: listener.KindForm},
		{Kind: listener.KindForm, ListID: 1, RecipientID: 2},
		{Kind: listener.KindOpen, MailingID: 1, RecipientID: 2, ListID: 3},
	} {
		if _, err := s.Sign(bad); err == nil {
			t.Errorf("signed %+v", bad)
		}
	}
}

// TestShutdownBeforeServe: a Shutdown that comes before Serve got going
// (a desk that starts and at once stops the listener) still ends Serve.
func TestShutdownBeforeServe(t *testing.T) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := listener.New(listener.Config{PublicURL: "http://" + ln.Addr().String(), Secret: testSecret}, listener.Deps{Hits: &fakeHits{}})
		done := make(chan error, 1)
		go func() { done <- srv.Serve(context.Background(), ln) }()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return after Shutdown")
		}
	}
}
