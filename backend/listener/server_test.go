package listener_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/nettest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

func body(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func tokenOf(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

func TestOpen(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t, nil)
		resp := do(t, "GET", e.urls.Open(1, 42), "", "User-Agent", "Mozilla/5.0")
		b := body(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" || len(b) != 43 || !strings.HasPrefix(b, "GIF89a") {
			t.Fatalf("status %d type %q len %d", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || !strings.Contains(cc, "no-cache") {
			t.Errorf("Cache-Control %q", cc)
		}
		// Replays are repeated reactions; HEAD is not a reaction.
		do(t, "GET", e.urls.Open(1, 42), "", "User-Agent", "Thunderbird").Body.Close()
		do(t, "HEAD", e.urls.Open(1, 42), "").Body.Close()
		hits := e.flush(t)
		if len(hits) != 2 {
			t.Fatalf("hits = %+v", hits)
		}
		h := hits[0]
		if h.Type != resonanz.ReactionOpened || h.MailingID != 1 || h.RecipientID != 42 || h.IP != "127.0.0.1" || !h.MachineOpen || h.At.IsZero() {
			t.Errorf("hit = %+v", h)
		}
		if hits[1].MachineOpen {
			t.Errorf("Thunderbird flagged as machine")
		}
	})
	t.Run("ErrForged", func(t *testing.T) {
		e := newEnv(t, nil)
		good := e.urls.Open(1, 42)
		tok := tokenOf(good)
		other, _ := listener.NewSigner([]byte(strings.Repeat("k", 32)))
		foreign, _ := other.Sign(listener.Claims{Kind: listener.KindOpen, MailingID: 1, RecipientID: 42})
		flip := []byte(tok)
		flip[5] ^= 1
		for _, bad := range []string{tok[:len(tok)-2], string(flip), tok + "AA", foreign, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", strings.Repeat("A", 200)} {
			resp := do(t, "GET", e.ts.URL+"/o/"+bad, "")
			if resp.StatusCode != 404 || !strings.Contains(body(t, resp), "<html") {
				t.Errorf("%s: status %d", bad, resp.StatusCode)
			}
		}
		if hits := e.flush(t); len(hits) != 0 {
			t.Fatalf("forged tokens recorded: %+v", hits)
		}
	})
	t.Run("ErrPreview", func(t *testing.T) {
		e := newEnv(t, nil)
		p := e.urls.Preview()
		for _, u := range []string{p.Open(1, 42), p.Click(1, 42, 7), p.Image(1, 42, 9)} {
			resp := do(t, "GET", u, "")
			if resp.StatusCode != 200 && resp.StatusCode != 302 {
				t.Errorf("%s: %d", u, resp.StatusCode)
			}
			resp.Body.Close()
		}
		if hits := e.flush(t); len(hits) != 0 {
			t.Fatalf("preview recorded: %+v", hits)
		}
	})
}

func TestWrongKind(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ path, url string }{
		{"/c/", e.urls.Open(1, 42)},
		{"/o/", e.urls.Click(1, 42, 7)},
		{"/i/", e.urls.Click(1, 42, 9)},
		{"/p/", e.urls.Unsubscribe(1, 42)},
		{"/u/", e.urls.Profile(1, 42)},
		{"/c/", e.urls.Image(1, 42, 7)},
	} {
		resp := do(t, "GET", e.ts.URL+tc.path+tokenOf(tc.url), "")
		if resp.StatusCode != 404 || resp.Header.Get("Location") != "" {
			t.Errorf("%s with %s: %d", tc.path, tc.url, resp.StatusCode)
		}
		resp.Body.Close()
	}
	if hits := e.flush(t); len(hits) != 0 || e.subs.calls != 0 {
		t.Fatalf("recorded %+v, unsub calls %d", hits, e.subs.calls)
	}
}

func TestClick(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t, nil)
		resp := do(t, "GET", e.urls.Click(1, 42, 7)+"?url=https://evil.example/", "", "Referer", "https://mail.example/")
		resp.Body.Close()
		if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://example.org/article?id=7" {
			t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Error("no Referrer-Policy")
		}
		hits := e.flush(t)
		if len(hits) != 1 || hits[0].Type != resonanz.ReactionClicked || hits[0].LinkID != 7 {
			t.Fatalf("hits %+v", hits)
		}
	})
	t.Run("ErrNoOpenRedirect", func(t *testing.T) {
		e := newEnv(t, nil)
		for _, u := range []string{
			e.urls.Click(1, 42, 99), // unknown link
			e.urls.Click(2, 42, 7),  // link of another mailing
			e.urls.Click(1, 42, 8),  // javascript: destination
			e.ts.URL + "/c/https://evil.example",
			e.ts.URL + "/c/" + url.PathEscape("//evil.example"),
		} {
			resp := do(t, "GET", u, "")
			resp.Body.Close()
			if resp.StatusCode != 404 || resp.Header.Get("Location") != "" {
				t.Errorf("%s: %d %q", u, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if hits := e.flush(t); len(hits) != 0 {
			t.Fatalf("hits %+v", hits)
		}
	})
}

func TestImage(t *testing.T) {
	e := newEnv(t, nil)
	resp := do(t, "GET", e.urls.Image(1, 42, 9), "", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0")
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://cdn.example.org/banner.png" {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	hits := e.flush(t)
	if len(hits) != 1 || hits[0].Type != resonanz.ReactionImageLoad || hits[0].LinkID != 9 || !hits[0].MachineOpen {
		t.Fatalf("hits %+v", hits)
	}
}

func TestMethods(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ method, url, allow string }{
		{"POST", e.urls.Open(1, 42), "GET, HEAD"},
		{"PUT", e.urls.Click(1, 42, 7), "GET, HEAD"},
		{"DELETE", e.urls.Unsubscribe(1, 42), "GET, HEAD, POST"},
		{"OPTIONS", e.urls.Profile(0, 42), "GET, HEAD, POST"},
		{"POST", e.ts.URL + "/healthz", "GET, HEAD"},
	} {
		resp := do(t, tc.method, tc.url, "")
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q", tc.method, tc.url, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if resp := do(t, "GET", e.ts.URL+"/healthz", ""); resp.StatusCode != 200 || body(t, resp) != "ok\n" {
		t.Error("healthz")
	}
}

func TestPathTricks(t *testing.T) {
	e := newEnv(t, nil)
	addr := e.ts.Listener.Addr().String()
	prof := tokenOf(e.urls.Profile(0, 42))
	open := tokenOf(e.urls.Open(1, 42))
	for _, target := range []string{
		"/c/../p/" + prof,
		"/o/" + open + "/../../p/" + prof,
		"/c/%2E%2E/p/" + prof,
		"//p/" + prof,
		"/p//" + prof,
		"/p/" + prof + "/",
		"/p/" + prof + "%2F",
		"/p%2F" + prof,
		"/P/" + prof,
		"/./p/" + prof,
		"/x/" + prof,
		"/",
		"/healthz/",
		"http://evil.example/c/../p/" + prof,
	} {
		resp := raw(t, addr, "GET", target)
		if resp.StatusCode != 404 {
			t.Errorf("%s: status %d", target, resp.StatusCode)
		}
		if b := body(t, resp); strings.Contains(b, "anna@example.org") {
			t.Errorf("%s reached the profile", target)
		}
	}
	// Absolute-form request lines are legal HTTP/1.1 and route by path.
	if resp := raw(t, addr, "GET", "http://x/o/"+open); resp.StatusCode != 200 {
		t.Errorf("absolute form: %d", resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	resp := do(t, "GET", e.urls.Unsubscribe(1, 42), "")
	b := body(t, resp)
	h := resp.Header
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}
	csp := h.Get("Content-Security-Policy")
	css := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(b)
	if css == nil {
		t.Fatal("no style")
	}
	sum := sha256.Sum256([]byte(css[1]))
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(b, "<script") {
		t.Error("inline script or unsafe-inline")
	}
}

func csrfFrom(t testing.TB, page string) string {
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in %s", page)
	}
	return m[1]
}

func TestUnsubscribe(t *testing.T) {
	t.Run("OneClick", func(t *testing.T) {
		e := newEnv(t, nil)
		u := e.urls.Unsubscribe(5, 42)
		for range 2 { // idempotent
			resp := do(t, "POST", u, "List-Unsubscribe=One-Click", "User-Agent", "Gmail")
			if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "unsubscribed") && !strings.Contains(b, "abgemeldet") {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
		}
		if e.subs.calls != 2 || len(e.subs.withdrawals) != 1 {
			t.Fatalf("calls %d withdrawals %+v", e.subs.calls, e.subs.withdrawals)
		}
		w := e.subs.withdrawals[0]
		if w.RecipientID != 42 || w.ListID != 5 || w.IP != "127.0.0.1" || w.UserAgent != "Gmail" {
			t.Errorf("withdrawal %+v", w)
		}
	})
	t.Run("OneClickMultipart", func(t *testing.T) {
		e := newEnv(t, nil)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("List-Unsubscribe", "One-Click")
		mw.Close()
		resp := do(t, "POST", e.urls.Unsubscribe(5, 42), "", "Content-Type", mw.FormDataContentType())
		resp.Body.Close()
		req, _ := http.NewRequest("POST", e.urls.Unsubscribe(5, 43), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 || !e.subs.unsubscribed[43] {
			t.Fatalf("%v %v %v", err, resp.StatusCode, e.subs.unsubscribed)
		}
	})
	t.Run("ConfirmPage", func(t *testing.T) {
		e := newEnv(t, nil)
		u := e.urls.Unsubscribe(5, 42)
		resp := do(t, "GET", u, "", "Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
		page := body(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(page, `<form method="post">`) || !strings.Contains(page, "Abmelden") || e.subs.calls != 0 {
			t.Fatalf("GET unsubscribed or wrong page: %d %s", resp.StatusCode, page)
		}
		resp = do(t, "POST", u, "csrf="+url.QueryEscape(csrfFrom(t, page)))
		resp.Body.Close()
		if resp.StatusCode != 200 || !e.subs.unsubscribed[42] {
			t.Fatalf("confirm: %d", resp.StatusCode)
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		e := newEnv(t, nil)
		other := body(t, do(t, "GET", e.urls.Unsubscribe(5, 43), ""))
		for _, form := range []string{"", "csrf=", "csrf=" + url.QueryEscape(csrfFrom(t, other)), "List-Unsubscribe=Yes", "csrf=1.AAAAAAAAAAAAAAAAAAAAAA"} {
			resp := do(t, "POST", e.urls.Unsubscribe(5, 42), form)
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Errorf("%q: %d", form, resp.StatusCode)
			}
		}
		if e.subs.calls != 0 {
			t.Fatal("unsubscribed without CSRF token")
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		e := newEnv(t, nil)
		resp := do(t, "POST", e.urls.Unsubscribe(5, 42), "List-Unsubscribe=One-Click&x="+strings.Repeat("a", 100<<10))
		resp.Body.Close()
		if resp.StatusCode != 413 || e.subs.calls != 0 {
			t.Fatalf("status %d calls %d", resp.StatusCode, e.subs.calls)
		}
	})
	t.Run("Preview", func(t *testing.T) {
		e := newEnv(t, nil)
		resp := do(t, "POST", e.urls.Preview().Unsubscribe(5, 42), "List-Unsubscribe=One-Click")
		resp.Body.Close()
		if resp.StatusCode != 200 || e.subs.calls != 0 {
			t.Fatalf("preview unsubscribed: %d %d", resp.StatusCode, e.subs.calls)
		}
	})
}

func TestProfile(t *testing.T) {
	e := newEnv(t, nil)
	u := e.urls.Profile(1, 42)
	resp := do(t, "GET", u, "", "Accept-Language", "en-GB,en;q=0.9")
	page := body(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "Your profile") || !strings.Contains(page, "anna@example.org") {
		t.Fatalf("%d %s", resp.StatusCode, page)
	}
	// Nothing pre-ticked: only the list the person is on is checked.
	if n := strings.Count(page, " checked"); n != 1 {
		t.Errorf("%d boxes checked, want 1", n)
	}
	if strings.Contains(page, "<script") {
		t.Error("script on the page")
	}
	hashOf := func(field string) string {
		m := regexp.MustCompile(`name="` + field + `_w" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s", field)
		}
		return m[1]
	}
	csrf := csrfFrom(t, page)
	form := url.Values{
		"csrf": {csrf}, "action": {"save"}, "first_name": {"<b>Anna</b>"}, "last_name": {"Muster"}, "gender": {"f"},
		"title": {"Dr."}, "language": {"en"},
		"list_3_w": {hashOf("list_3")}, "list_4_w": {hashOf("list_4")}, "list_4": {"1"}, // leave 3, join 4
		"c_opens_w": {hashOf("c_opens")}, "c_opens": {"1"},
		"c_clicks_w": {hashOf("c_clicks")}, "c_profiling_w": {hashOf("c_profiling")},
	}
	resp = do(t, "POST", u, form.Encode(), "User-Agent", "Firefox")
	page = body(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "saved") {
		t.Fatalf("save: %d %s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "&lt;b&gt;Anna&lt;/b&gt;") || strings.Contains(page, "<b>Anna") {
		t.Error("name not escaped")
	}
	if len(e.profiles.updates) != 1 {
		t.Fatalf("updates %+v", e.profiles.updates)
	}
	up := e.profiles.updates[0]
	if up.FirstName != "<b>Anna</b>" || up.Gender != resonanz.GenderFemale || up.Title != "Dr." {
		t.Errorf("update %+v", up)
	}
	if len(up.Consents) != 1 || up.Consents[0].Purpose != resonanz.PurposeTrackingOpens || !up.Consents[0].Granted ||
		!strings.HasPrefix(up.Consents[0].Wording, "I agree that the sender records when I open") {
		t.Errorf("consents %+v", up.Consents)
	}
	if len(up.Lists) != 2 || up.Lists[0] != (listener.ListChange{ListID: 3, Wording: `I want to receive the newsletter "Weekly" by e-mail. I can unsubscribe at any time.`}) || !up.Lists[1].Subscribe {
		t.Errorf("lists %+v", up.Lists)
	}
	if c := e.profiles.clients[0]; c.IP != "127.0.0.1" || c.UserAgent != "Firefox" {
		t.Errorf("client %+v", c)
	}

	t.Run("ErrStaleWording", func(t *testing.T) {
		f := url.Values{"csrf": {csrf}, "action": {"save"}, "c_clicks_w": {"0000000000000000"}, "c_clicks": {"1"}}
		resp := do(t, "POST", u, f.Encode())
		resp.Body.Close()
		if resp.StatusCode != 422 || len(e.profiles.updates) != 1 {
			t.Fatalf("%d, updates %d", resp.StatusCode, len(e.profiles.updates))
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		f := url.Values{"csrf": {listener.CSRFFor(e.srv, tokenOf(e.urls.Profile(1, 43)))}, "action": {"erase-confirm"}}
		resp := do(t, "POST", u, f.Encode())
		resp.Body.Close()
		if resp.StatusCode != 403 || len(e.profiles.erasure) != 0 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("Export", func(t *testing.T) {
		resp := do(t, "POST", u, url.Values{"csrf": {csrf}, "action": {"export"}}.Encode())
		var x resonanz.PersonalDataExport
		if err := json.NewDecoder(resp.Body).Decode(&x); err != nil || x.Recipient.Email != "anna@example.org" {
			t.Fatalf("%v %+v", err, x)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Error("not a download")
		}
	})
	t.Run("Erase", func(t *testing.T) {
		resp := do(t, "POST", u, url.Values{"csrf": {csrf}, "action": {"erase"}}.Encode())
		confirm := body(t, resp)
		if len(e.profiles.erasure) != 0 || !strings.Contains(confirm, "erase-confirm") {
			t.Fatal("erased without confirmation")
		}
		resp = do(t, "POST", u, url.Values{"csrf": {csrfFrom(t, confirm)}, "action": {"erase-confirm"}}.Encode())
		resp.Body.Close()
		if resp.StatusCode != 200 || len(e.profiles.erasure) != 1 {
			t.Fatalf("%d %v", resp.StatusCode, e.profiles.erasure)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		e2 := newEnv(t, func(c *listener.Config) { c.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) } })
		resp := do(t, "GET", e2.urls.Profile(1, 42), "")
		resp.Body.Close()
		if resp.StatusCode != 410 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("ErrUnknownRecipient", func(t *testing.T) {
		resp := do(t, "GET", e.urls.Profile(1, 999), "")
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("Preview", func(t *testing.T) {
		// A test mail's (or an export's) profile link names a real
		// recipient: it shows sample data and refuses every action.
		pu := e.urls.Preview().Profile(1, 42)
		page := body(t, do(t, "GET", pu, "", "Accept-Language", "de"))
		for _, real := range []string{"anna@example.org", "Anna", `value="Muster"`, "Weekly", "Events"} {
			if strings.Contains(page, real) {
				t.Errorf("the preview page shows the recipient's %q", real)
			}
		}
		if !strings.Contains(page, "Erika") || !strings.Contains(page, "Vorschau") {
			t.Errorf("no sample data or preview note: %s", page)
		}
		csrf := csrfFrom(t, page)
		e.profiles.mu.Lock()
		updates, erasures, exports := len(e.profiles.updates), len(e.profiles.erasure), e.profiles.exports
		e.profiles.mu.Unlock()
		for _, action := range []string{"save", "export", "erase-confirm"} {
			resp := do(t, "POST", pu, url.Values{"csrf": {csrf}, "action": {action}, "first_name": {"X"}}.Encode(), "Accept-Language", "en")
			got := body(t, resp)
			if resp.StatusCode != http.StatusForbidden || strings.Contains(got, "anna@example.org") || !strings.Contains(got, "preview") {
				t.Errorf("%s with a test token: %d %s", action, resp.StatusCode, got)
			}
		}
		e.profiles.mu.Lock()
		defer e.profiles.mu.Unlock()
		if len(e.profiles.updates) != updates || len(e.profiles.erasure) != erasures || e.profiles.exports != exports {
			t.Errorf("a test token changed or read data: %d updates, %d erasures, %d exports", len(e.profiles.updates), len(e.profiles.erasure), e.profiles.exports)
		}
	})
	t.Run("German", func(t *testing.T) {
		e.profiles.mu.Lock()
		v := e.profiles.views[42]
		v.Language = "de"
		e.profiles.views[42] = v
		e.profiles.mu.Unlock()
		page := body(t, do(t, "GET", u, "", "Accept-Language", "en"))
		if !strings.Contains(page, "Ihr Profil") || !strings.Contains(page, `lang="de"`) {
			t.Fatal("recipient language ignored")
		}
	})
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *listener.Config) { c.PageRate, c.PageBurst = 0.001, 3; c.TrackRate, c.TrackBurst = 0.001, 5 })
	codes := []int{}
	var last string
	for range 5 {
		resp := do(t, "GET", e.urls.Profile(1, 42), "", "Accept-Language", "de")
		last = body(t, resp)
		codes = append(codes, resp.StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Fatalf("codes %v", codes)
	}
	if !strings.Contains(last, "Zu viele Anfragen") {
		t.Errorf("429 page not in the visitor's language: %s", last)
	}
	// A valid unsubscribe token is its own limit.
	resp := do(t, "GET", e.urls.Unsubscribe(1, 42), "")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("unsubscribe page over the page limit: %d", resp.StatusCode)
	}
	// Tracking has its own bucket.
	resp = do(t, "GET", e.urls.Open(1, 42), "")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("open: %d", resp.StatusCode)
	}
}

func TestRateLimitMemory(t *testing.T) {
	srv := listener.New(listener.Config{
		PublicURL: "https://x.example", Secret: testSecret, MaxClients: 1024, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}, listener.Deps{Hits: &fakeHits{}})
	defer srv.Shutdown(context.Background())
	h := srv.Handler()
	for i := range 20000 {
		req, _ := http.NewRequest("GET", "/o/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		h.ServeHTTP(discard{}, req)
	}
	if track, _ := listener.LimiterSizes(srv); track > 1024 || track == 0 {
		t.Fatalf("limiter holds %d clients", track)
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func TestTrustedProxy(t *testing.T) {
	e := newEnv(t, func(c *listener.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	do(t, "GET", e.urls.Open(1, 42), "", "X-Forwarded-For", "203.0.113.9, 127.0.0.1").Body.Close()
	e2 := newEnv(t, nil)
	do(t, "GET", e2.urls.Open(1, 42), "", "X-Forwarded-For", "203.0.113.9").Body.Close()
	if h := e.flush(t); len(h) != 1 || h[0].IP != "203.0.113.9" {
		t.Errorf("trusted: %+v", h)
	}
	if h := e2.flush(t); len(h) != 1 || h[0].IP != "127.0.0.1" {
		t.Errorf("untrusted: %+v", h)
	}
}

// TestGroupCommit: concurrent hits share transactions, and every request
// is answered only once its hit is stored.
func TestGroupCommit(t *testing.T) {
	e := newEnv(t, nil)
	e.hits.delay = 5 * time.Millisecond // commits take time, so hits gather
	const n = 300
	var wg sync.WaitGroup
	var answered atomic.Int64
	for i := range n {
		wg.Go(func() {
			resp := do(t, "GET", e.urls.Open(1, int64(i%7+1)), "")
			resp.Body.Close()
			if resp.StatusCode == 200 {
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	if got := len(e.hits.all()); got != n || answered.Load() != n {
		t.Fatalf("%d hits stored when %d of %d requests were answered", got, answered.Load(), n)
	}
	if e.hits.calls >= n/2 {
		t.Errorf("%d hits in %d batches: no group commit", n, e.hits.calls)
	}
	if s := e.srv.Stats(); s.Enqueued != n || s.Recorded != n || s.Dropped != 0 || s.Queued != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestOverload overloads a slow HitRecorder behind a tiny queue: no
// answered hit may be missing, at any moment. Open pixels that find no room
// are refused (503, Retry-After), clicks are never refused: they are written
// synchronously and redirected. Shutdown afterwards is quick.
func TestOverload(t *testing.T) {
	e := newEnv(t, func(c *listener.Config) {
		c.QueueSize, c.BatchSize, c.EnqueueWait = 8, 4, time.Millisecond
	})
	e.hits.delay = 2 * time.Millisecond
	const workers, each = 32, 25
	var opens, clicks, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				u := e.urls.Open(1, int64(w*each+i+1))
				if i%4 == 0 {
					u = e.urls.Click(1, int64(w*each+i+1), 7)
				}
				resp := do(t, "GET", u, "")
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200:
					opens.Add(1)
				case resp.StatusCode == 302:
					clicks.Add(1)
				case resp.StatusCode == 503 && i%4 != 0 && resp.Header.Get("Retry-After") != "":
					refused.Add(1)
				default:
					t.Errorf("status %d for %s", resp.StatusCode, u)
				}
			}
		})
	}
	wg.Wait()
	answered := opens.Load() + clicks.Load()
	if got := int64(len(e.hits.all())); got < answered {
		t.Fatalf("%d hits stored, %d answered: %d answered hits are missing", got, answered, answered-got)
	}
	if clicks.Load() != workers*((each+3)/4) {
		t.Errorf("%d clicks redirected, want all %d", clicks.Load(), workers*((each+3)/4))
	}
	start := time.Now()
	hits := e.flush(t)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if int64(len(hits)) != answered {
		t.Errorf("%d hits stored, %d answered (%d refused)", len(hits), answered, refused.Load())
	}
	s := e.srv.Stats()
	if s.Dropped != 0 || s.Failed != 0 || int64(s.Refused) != refused.Load() || s.Recorded != uint64(len(hits)) {
		t.Errorf("stats %+v", s)
	}
	t.Logf("answered %d (%d directly), refused %d", answered, s.Direct, refused.Load())
}

func TestServeAndShutdown(t *testing.T) {
	hits := &fakeHits{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := listener.New(listener.Config{PublicURL: "http://" + ln.Addr().String(), Secret: testSecret}, listener.Deps{Hits: hits})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx, ln) }()
	urls, _ := listener.NewURLs("http://"+ln.Addr().String(), srv.Signer())
	for range 10 {
		resp := do(t, "GET", urls.Open(1, 42), "")
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := len(hits.all()); got != 10 {
		t.Fatalf("%d hits after ctx cancel, want 10", got)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []listener.Config{
		{Secret: testSecret},
		{PublicURL: "ftp://x.org", Secret: testSecret},
		{PublicURL: "https://x.org", Secret: []byte("short")},
		{PublicURL: "https://x.org?a", Secret: testSecret},
		{PublicURL: "https://x.org", Secret: testSecret, DefaultLanguage: "fr"},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
		srv := listener.New(c, listener.Deps{Hits: &fakeHits{}})
		rec := &recorder{}
		srv.Handler().ServeHTTP(rec, &http.Request{Method: "GET", URL: &url.URL{Path: "/healthz"}, Header: http.Header{}})
		if rec.code != 503 {
			t.Errorf("misconfigured server answered %d", rec.code)
		}
		if err := srv.ListenAndServe(context.Background()); err == nil {
			t.Error("misconfigured server served")
		}
	}
	if err := listener.New(listener.Config{PublicURL: "https://x.org", Secret: testSecret}, listener.Deps{}).Err(); err == nil {
		t.Error("missing HitRecorder accepted")
	}
}

type recorder struct {
	h    http.Header
	code int
}

func (r *recorder) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func TestPublicURLPrefix(t *testing.T) {
	hits := &fakeHits{}
	srv := listener.New(listener.Config{PublicURL: "https://news.example.org/r", Secret: testSecret, TrackRate: -1}, listener.Deps{Hits: hits})
	urls, _ := listener.NewURLs("https://news.example.org/r", srv.Signer())
	path := strings.TrimPrefix(urls.Open(1, 42), "https://news.example.org")
	for _, tc := range []struct {
		path string
		code int
	}{{path, 200}, {strings.TrimPrefix(path, "/r"), 404}} {
		rec := &recorder{code: 200}
		srv.Handler().ServeHTTP(rec, &http.Request{Method: "GET", URL: &url.URL{Path: tc.path}, Header: http.Header{}, RemoteAddr: "192.0.2.1:5"})
		if rec.code != tc.code {
			t.Errorf("%s: %d", tc.path, rec.code)
		}
	}
	srv.Shutdown(context.Background())
	if len(hits.all()) != 1 {
		t.Fatal("hit not recorded")
	}
}

// TestSlowloris: a client that trickles its headers is cut off after
// ReadHeaderTimeout although it keeps sending, and the listener goes on
// serving others.
func TestSlowloris(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := listener.New(listener.Config{PublicURL: "http://" + ln.Addr().String(), Secret: testSecret, ReadHeaderTimeout: 200 * time.Millisecond},
		listener.Deps{Hits: &fakeHits{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	if got := nettest.Slowloris(t, ln.Addr().String(), "GET /healthz HTTP/1.1"); strings.Contains(got, "200 OK") {
		t.Errorf("the slow request was served: %q", got)
	}
	resp := do(t, "GET", "http://"+ln.Addr().String()+"/healthz", "")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the slow client: %d", resp.StatusCode)
	}
}

// appendHits is a HitAppender (as the desk's hit log): each hit is appended
// alone; while failing is set, AppendHit fails (a full disk) and only
// RecordHits works.
type appendHits struct {
	fakeHits
	appended atomic.Int64
	failing  atomic.Bool
}

func (a *appendHits) AppendHit(h resonanz.Hit) error {
	if a.failing.Load() {
		return errors.New("disk full")
	}
	a.appended.Add(1)
	return a.RecordHits(context.Background(), []resonanz.Hit{h})
}

// TestAppendHits: with a HitAppender each request appends its own hit
// before it is answered (no queue, no batches); when the append fails, the
// open pixel is refused with 503 and Retry-After and the click is written
// with RecordHits and redirected.
func TestAppendHits(t *testing.T) {
	hits := &appendHits{}
	ts := httptest.NewUnstartedServer(nil)
	cfg := listener.Config{PublicURL: "http://" + ts.Listener.Addr().String(), Secret: testSecret, TrackRate: -1, PageRate: -1}
	srv := listener.New(cfg, listener.Deps{Hits: hits, Links: fakeLinks{{1, 7}: "https://example.org/a"}})
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer ts.Close()
	urls, err := listener.NewURLs(cfg.PublicURL, srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		resp := do(t, "GET", urls.Open(1, int64(i+1)), "")
		resp.Body.Close()
		// Answered: so appended already.
		if resp.StatusCode != 200 || hits.appended.Load() != int64(i+1) {
			t.Fatalf("hit %d: status %d with %d appended", i, resp.StatusCode, hits.appended.Load())
		}
	}
	hits.failing.Store(true)
	resp := do(t, "GET", urls.Open(1, 99), "")
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("open whose append failed: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp = do(t, "GET", urls.Click(1, 99, 7), "")
	resp.Body.Close()
	if resp.StatusCode != 302 {
		t.Errorf("click whose append failed: %d", resp.StatusCode)
	}
	if got := hits.all(); len(got) != 21 || got[20].Type != resonanz.ReactionClicked {
		t.Errorf("%d hits stored, want the 20 opens and the click", len(got))
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := srv.Stats(); s.Enqueued != 20 || s.Recorded != 21 || s.Refused != 1 || s.Direct != 1 || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// backlogHits is a HitAppender with a bounded backlog (as the desk's hit
// log): AppendHitWithin appends while full is not set.
type backlogHits struct {
	appendHits
	full atomic.Bool
}

func (b *backlogHits) AppendHitWithin(ctx context.Context, wait time.Duration, h resonanz.Hit) (bool, error) {
	if b.full.Load() {
		time.Sleep(wait) // no merge makes room
	}
	if b.full.Load() {
		return false, nil
	}
	return true, b.AppendHit(h)
}

func (b *backlogHits) Backlog() int {
	if b.full.Load() {
		return 1000
	}
	return 0
}

// TestBacklogFull: when the hit log's backlog is at its bound, an open
// pixel waits EnqueueWait for room and is then refused (503, Retry-After,
// not appended); a click is appended all the same and redirected; an
// unsubscribe is never refused for load. Answered hits are all stored.
func TestBacklogFull(t *testing.T) {
	hits := &backlogHits{}
	subs := &fakeSubs{unsubscribed: map[int64]bool{}}
	ts := httptest.NewUnstartedServer(nil)
	cfg := listener.Config{PublicURL: "http://" + ts.Listener.Addr().String(), Secret: testSecret, TrackRate: -1, PageRate: -1,
		EnqueueWait: 20 * time.Millisecond}
	srv := listener.New(cfg, listener.Deps{Hits: hits, Links: fakeLinks{{1, 7}: "https://example.org/a"}, Subscriptions: subs})
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer ts.Close()
	urls, err := listener.NewURLs(cfg.PublicURL, srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) *http.Response {
		resp := do(t, "GET", u, "")
		resp.Body.Close()
		return resp
	}
	if resp := get(urls.Open(1, 1)); resp.StatusCode != 200 {
		t.Fatalf("open with room: %d", resp.StatusCode)
	}
	hits.full.Store(true)
	start := time.Now()
	if resp := get(urls.Open(1, 2)); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("open at the bound: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("the open was refused after %v, before waiting for room", d)
	}
	if resp := get(urls.Click(1, 3, 7)); resp.StatusCode != 302 {
		t.Errorf("click at the bound: %d", resp.StatusCode)
	}
	resp := do(t, "POST", urls.Unsubscribe(1, 4), "List-Unsubscribe=One-Click")
	resp.Body.Close()
	if resp.StatusCode != 200 || len(subs.withdrawals) != 1 {
		t.Errorf("unsubscribe at the bound: %d, %d withdrawals", resp.StatusCode, len(subs.withdrawals))
	}
	if s := srv.Stats(); s.Queued != 1000 {
		t.Errorf("stats show a backlog of %d, want the log's 1000", s.Queued)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := hits.all()
	if len(got) != 2 || got[0].RecipientID != 1 || got[1].Type != resonanz.ReactionClicked {
		t.Errorf("stored %+v, want the first open and the click", got)
	}
	if s := srv.Stats(); s.Refused != 1 || s.Direct != 1 || s.Dropped != 0 || s.Recorded != 2 {
		t.Errorf("stats %+v", s)
	}
}
