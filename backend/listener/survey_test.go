package listener_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
)

func TestSurvey(t *testing.T) {
	e := newEnv(t, nil)
	u := e.urls.Survey(1, 42, 5)
	page := body(t, do(t, "GET", u, "", "Accept-Language", "de"))
	for _, want := range []string{"Wie reisen Sie?", `name="q_q1" value="c1"`, `type="checkbox" name="q_q2" value="c3"`, `<textarea name="q_q3"`,
		`name="q_q4" value="5"`, `name="profile_ok"`, "Zwei Minuten &lt;b&gt;bitte&lt;/b&gt;."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, " checked") || strings.Contains(page, "<script") {
		t.Error("something pre-ticked, or a script on the page")
	}
	hash := regexp.MustCompile(`name="profile_ok_w" value="([^"]+)"`).FindStringSubmatch(page)[1]
	csrf := csrfFrom(t, page)

	t.Run("OK/Submit", func(t *testing.T) {
		form := url.Values{"csrf": {csrf}, "q_q1": {"c2"}, "q_q2": {"c3", "c4"}, "q_q3": {`<script>alert("x")</script>`}, "q_q4": {"4"},
			"profile_ok": {"1"}, "profile_ok_w": {hash}, "extra": {"ignored"}}
		resp := do(t, "POST", u, form.Encode(), "User-Agent", "Firefox")
		got := body(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(got, "Vielen Dank") {
			t.Fatalf("%d %s", resp.StatusCode, got)
		}
		sub, ok := e.surveys.get(5, 42)
		if !ok || len(sub.Answers) != 4 || sub.Answers[0].Choices[0] != "c2" || len(sub.Answers[1].Choices) != 2 ||
			sub.Answers[2].Text != `<script>alert("x")</script>` || sub.Answers[3].Rating != 4 {
			t.Fatalf("stored %+v", sub)
		}
		if !sub.UpdateProfile || !strings.HasPrefix(sub.Wording, "Meine Antworten dürfen mein Profil") {
			t.Errorf("permission %v %q", sub.UpdateProfile, sub.Wording)
		}
		if c := e.surveys.clients[0]; c.IP != "127.0.0.1" || c.UserAgent != "Firefox" {
			t.Errorf("client %+v", c)
		}
	})
	t.Run("OK/ReplayUpdates", func(t *testing.T) {
		again := body(t, do(t, "GET", u, "", "Accept-Language", "en"))
		if !strings.Contains(again, "answered this survey before") {
			t.Error("no notice about the earlier answers")
		}
		form := url.Values{"csrf": {csrf}, "q_q1": {"c1"}}
		for range 2 {
			resp := do(t, "POST", u, form.Encode())
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("resubmit: %d", resp.StatusCode)
			}
		}
		sub, _ := e.surveys.get(5, 42)
		if len(sub.Answers) != 1 || sub.Answers[0].Choices[0] != "c1" || sub.UpdateProfile {
			t.Errorf("latest answers not kept: %+v", sub)
		}
	})
	t.Run("ErrInvalid/EscapedBack", func(t *testing.T) {
		before := e.surveys.calls
		for _, tc := range []struct {
			name string
			form url.Values
			bad  string // the question marked
		}{
			{"required missing", url.Values{"q_q3": {"nur Text"}}, "q_q1"},
			{"unknown choice", url.Values{"q_q1": {"c9"}}, "q_q1"},
			{"choice of another question", url.Values{"q_q1": {"c3"}}, "q_q1"},
			{"two radios", url.Values{"q_q1": {"c1", "c2"}}, "q_q1"},
			{"rating 0", url.Values{"q_q1": {"c1"}, "q_q4": {"0"}}, "q_q4"},
			{"rating 6", url.Values{"q_q1": {"c1"}, "q_q4": {"6"}}, "q_q4"},
			{"rating word", url.Values{"q_q1": {"c1"}, "q_q4": {"five"}}, "q_q4"},
			{"two texts", url.Values{"q_q1": {"c1"}, "q_q3": {"a", "b"}}, "q_q3"},
			{"long text", url.Values{"q_q1": {"c1"}, "q_q3": {strings.Repeat("x", 2001)}}, "q_q3"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.form.Set("csrf", csrf)
				tc.form.Add("q_q3", "")
				if tc.name != "two texts" && tc.name != "long text" {
					tc.form.Set("q_q3", `"><img src=x onerror=alert(1)>`)
				}
				resp := do(t, "POST", u, tc.form.Encode(), "Accept-Language", "en")
				got := body(t, resp)
				if resp.StatusCode != 422 {
					t.Fatalf("%d", resp.StatusCode)
				}
				if !regexp.MustCompile(`<fieldset class="invalid"><legend>[^<]*(<span[^>]*>[^<]*</span>)?</legend>\s*<p class="error"[^>]*>[^<]+</p>\s*(<div class="rating">.*?)?[^\n]*name="` + tc.bad + `"`).MatchString(got) {
					t.Errorf("question %s not marked:\n%s", tc.bad, got)
				}
				if strings.Contains(got, "<img src=x") {
					t.Error("text answer rendered back unescaped")
				}
			})
		}
		if e.surveys.calls != before {
			t.Errorf("invalid answers reached the store")
		}
	})
	t.Run("OK/XSSRenderedBackEscaped", func(t *testing.T) {
		form := url.Values{"csrf": {csrf}, "q_q3": {`</textarea><script>alert(1)</script>`}}
		got := body(t, do(t, "POST", u, form.Encode()))
		if strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;/textarea&gt;&lt;script&gt;") {
			t.Errorf("not escaped: %s", got)
		}
	})
	t.Run("ErrStaleWording", func(t *testing.T) {
		form := url.Values{"csrf": {csrf}, "q_q1": {"c1"}, "profile_ok": {"1"}, "profile_ok_w": {"0000000000000000"}}
		resp := do(t, "POST", u, form.Encode())
		resp.Body.Close()
		if resp.StatusCode != 422 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		before := e.surveys.calls
		for _, c := range []string{"", "x.y", listener.CSRFFor(e.srv, tokenOf(e.urls.Survey(1, 43, 5))), listener.CSRFFor(e.srv, tokenOf(e.urls.Profile(1, 42)))} {
			resp := do(t, "POST", u, url.Values{"csrf": {c}, "q_q1": {"c1"}}.Encode())
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Errorf("csrf %q: %d", c, resp.StatusCode)
			}
		}
		if e.surveys.calls != before {
			t.Error("stored without a valid CSRF token")
		}
	})
	t.Run("ErrTokens", func(t *testing.T) {
		tok := tokenOf(u)
		flipped := []byte(tok)
		flipped[5] ^= 1
		for name, target := range map[string]string{
			"forged":         e.ts.URL + "/s/" + "AQYAAioFAAAAAAAAAAAAAAAAAAAAAA",
			"altered":        e.ts.URL + "/s/" + string(flipped),
			"wrong kind":     e.ts.URL + "/s/" + tokenOf(e.urls.Profile(1, 42)),
			"on other path":  e.ts.URL + "/p/" + tok,
			"unknown survey": e.urls.Survey(1, 42, 77),
			"erased person":  e.urls.Survey(1, 999, 5),
		} {
			for _, m := range []string{"GET", "POST"} {
				resp := do(t, m, target, url.Values{"csrf": {csrf}, "q_q1": {"c1"}}.Encode())
				got := body(t, resp)
				if resp.StatusCode != 404 || strings.Contains(got, "Wie reisen") {
					t.Errorf("%s %s: %d", name, m, resp.StatusCode)
				}
			}
		}
	})
	t.Run("ErrMethods", func(t *testing.T) {
		for _, m := range []string{"PUT", "DELETE", "PATCH", "OPTIONS"} {
			resp := do(t, m, u, "")
			resp.Body.Close()
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" {
				t.Errorf("%s: %d %q", m, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	})
	t.Run("ErrOversize", func(t *testing.T) {
		before := e.surveys.calls
		form := url.Values{"csrf": {csrf}, "q_q1": {"c1"}, "q_q3": {strings.Repeat("ä", 130<<10)}}
		resp := do(t, "POST", u, form.Encode())
		resp.Body.Close()
		if resp.StatusCode != 413 || e.surveys.calls != before {
			t.Errorf("%d", resp.StatusCode)
		}
	})
	t.Run("OK/Closed", func(t *testing.T) {
		cu := e.urls.Survey(1, 42, 6)
		got := body(t, do(t, "GET", cu, "", "Accept-Language", "en"))
		if !strings.Contains(got, "This survey is closed") || strings.Contains(got, "<form") {
			t.Errorf("closed page: %s", got)
		}
		resp := do(t, "POST", cu, url.Values{"csrf": {listener.CSRFFor(e.srv, tokenOf(cu))}, "q_q1": {"c1"}}.Encode())
		resp.Body.Close()
		if resp.StatusCode != 410 {
			t.Errorf("post to closed: %d", resp.StatusCode)
		}
	})
	t.Run("OK/PreviewStoresNothing", func(t *testing.T) {
		pu := e.urls.Preview().Survey(1, 43, 5)
		p := body(t, do(t, "GET", pu, "", "Accept-Language", "en"))
		if !strings.Contains(p, "preview or test mail") {
			t.Error("no preview note")
		}
		resp := do(t, "POST", pu, url.Values{"csrf": {csrfFrom(t, p)}, "q_q1": {"c1"}}.Encode())
		resp.Body.Close()
		if _, stored := e.surveys.get(5, 43); resp.StatusCode != 200 || stored {
			t.Errorf("test token stored answers: %d %v", resp.StatusCode, stored)
		}
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		resp := do(t, "GET", u, "")
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") || resp.Header.Get("X-Frame-Options") != "DENY" ||
			resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", resp.Header)
		}
	})
}

func TestSurveyNoDependency(t *testing.T) {
	e := newEnv(t, nil)
	srv := listener.New(listener.Config{PublicURL: e.ts.URL, Secret: testSecret}, listener.Deps{Hits: e.hits})
	defer srv.Shutdown(t.Context())
	urls, _ := listener.NewURLs(e.ts.URL, srv.Signer())
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", urls.Survey(1, 42, 5), nil))
	if rec.Code != 404 {
		t.Errorf("no Surveys dependency: %d", rec.Code)
	}
}

func TestSurveyRateLimit(t *testing.T) {
	e := newEnv(t, func(c *listener.Config) { c.PageRate, c.PageBurst = 0.001, 2 })
	codes := []int{}
	for range 4 {
		resp := do(t, "GET", e.urls.Survey(1, 42, 5), "")
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 || codes[3] != 429 {
		t.Errorf("codes %v, want the page limit to apply", codes)
	}
}
