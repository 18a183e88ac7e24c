package listener_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

// fakeBrands holds one branding and logo.
type fakeBrands struct {
	mu   sync.Mutex
	b    resonanz.Branding
	logo resonanz.Logo
}

func (f *fakeBrands) Branding(context.Context) (resonanz.Branding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.b, nil
}

func (f *fakeBrands) Logo(context.Context) (resonanz.Logo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.logo.Data) == 0 {
		return resonanz.Logo{}, resonanz.Errorf(resonanz.ENOTFOUND, "no logo")
	}
	return f.logo, nil
}

// viewSubs is fakeSubs that can also name the lists and the address.
type viewSubs struct {
	*fakeSubs
	view listener.UnsubscribeView
}

func (v viewSubs) UnsubscribeView(context.Context, int64, int64) (listener.UnsubscribeView, error) {
	return v.view, nil
}

func testLogo(t testing.TB) resonanz.Logo {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	img.Set(1, 1, color.RGBA{200, 80, 0, 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	l, err := resonanz.NewLogo(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type brandEnv struct {
	ts     *httptest.Server
	urls   listener.URLs
	brands *fakeBrands
	subs   viewSubs
}

func newBrandEnv(t *testing.T, b resonanz.Branding, logo resonanz.Logo) *brandEnv {
	t.Helper()
	e := &brandEnv{brands: &fakeBrands{b: b, logo: logo}}
	e.subs = viewSubs{fakeSubs: &fakeSubs{unsubscribed: map[int64]bool{}},
		view: listener.UnsubscribeView{Email: "uwe.lang@gmx.de", Lists: []string{"Kunden", "Reisen <Weekly>"}}}
	e.ts = httptest.NewUnstartedServer(nil)
	cfg := listener.Config{PublicURL: "http://" + e.ts.Listener.Addr().String() + "/r", Secret: testSecret, TrackRate: -1, PageRate: -1}
	profiles := &fakeProfiles{views: map[int64]listener.ProfileView{
		42: {Email: "anna@example.org", FirstName: "Anna", LastName: "Muster", Language: "", Lists: []listener.ListChoice{
			{ListID: 3, Name: "Kunden", Subscribed: true}}},
	}}
	srv := listener.New(cfg, listener.Deps{Hits: &fakeHits{}, Subscriptions: e.subs, Profiles: profiles, Surveys: testSurveys(),
		Signups: &fakeSignups{confirmed: map[string]bool{}, known: map[string]int64{}}, Mailer: &fakeMailer{}, Brands: e.brands})
	if err := srv.Err(); err != nil {
		t.Fatal(err)
	}
	e.ts.Config.Handler = srv.Handler()
	e.ts.Start()
	t.Cleanup(func() { e.ts.Close(); srv.Shutdown(context.Background()) })
	e.urls, _ = listener.NewURLs(cfg.PublicURL, srv.Signer())
	return e
}

func get(t *testing.T, u, lang string) (*http.Response, string) {
	t.Helper()
	resp := do(t, "GET", u, "", "Accept-Language", lang)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// TestPages_Golden pins every page the listener serves, in German and
// English, without and with a branding (name, logo, colours).
func TestPages_Golden(t *testing.T) {
	sonnenschein := resonanz.Branding{Name: "Reisebüro Sonnenschein", Accent: "#b34700", Background: "#fffaf0"}
	for _, branded := range []bool{false, true} {
		for _, lang := range []string{"de", "en"} {
			name := "plain"
			var logo resonanz.Logo
			b := resonanz.Branding{}
			if branded {
				name, logo, b = "branded", testLogo(t), sonnenschein
				b.LogoHash, b.LogoType = logo.Hash(), logo.Type
			}
			t.Run(name+"_"+lang, func(t *testing.T) {
				e := newBrandEnv(t, b, logo)
				var all strings.Builder
				for _, p := range []struct{ name, url string }{
					{"profile", e.urls.Profile(1, 42)},
					{"unsubscribe", e.urls.Unsubscribe(1, 42)},
					{"unsubscribe preview", e.urls.Preview().Unsubscribe(1, 42)},
					{"survey", e.urls.Survey(1, 42, 5)},
					{"signup form", e.urls.Form(3)},
					{"confirmation", e.urls.Confirm("tok123")},
					{"profile login", e.urls.ProfileLogin()},
					{"not found", e.urls.Confirm("x")[:len(e.urls.Confirm("x"))-4] + "/zz/x"},
				} {
					resp, body := get(t, p.url, lang)
					csp := resp.Header.Get("Content-Security-Policy")
					if branded != strings.Contains(csp, "img-src 'self'") {
						t.Errorf("%s: CSP %q", p.name, csp)
					}
					if branded && !strings.Contains(body, "Reisebüro Sonnenschein") {
						t.Errorf("%s: no business name", p.name)
					}
					if strings.Contains(body, "Absender") || strings.Contains(body, "the sender") {
						if branded {
							t.Errorf("%s: says the sender although the name is known", p.name)
						}
					}
					body = csrfRE.ReplaceAllString(body, `name="csrf" value="CSRF"`)
					body = strings.ReplaceAll(body, e.ts.Listener.Addr().String(), "HOST")
					all.WriteString("=== " + p.name + " (" + resp.Status + ")\n" + body + "\n")
				}
				goldenfile.Assert(t, filepath.Join("testdata", "pages_"+name+"_"+lang+".golden.html"), []byte(all.String()))
			})
		}
	}
}

// TestPages_HostileBranding: a name, colours or a logo hash written into
// the settings by hand (past validation) cannot put markup, CSS or script
// into a page.
func TestPages_HostileBranding(t *testing.T) {
	for _, b := range []resonanz.Branding{
		{Name: `</p><script>alert(1)</script>`, Accent: `#000;}body{background:url(//evil)}`},
		{Name: "Evil\n<style>", Background: `red;x:expression(alert(1))`},
		{Name: `"><img src=x onerror=alert(1)>`, Accent: "#ffffff", Background: "#ffffff"}, // unreadable: default colours
		{Name: "X", LogoHash: `../../etc/passwd`},
		{Name: "X", LogoHash: `"><script>`},
	} {
		e := newBrandEnv(t, b, resonanz.Logo{})
		for _, u := range []string{e.urls.Profile(1, 42), e.urls.Unsubscribe(1, 42), e.urls.Form(3)} {
			resp, body := get(t, u, "de")
			if strings.Count(body, "<style") != 1 || strings.Count(body, "</style>") != 1 {
				t.Errorf("%q: more than the page's own style", b.Name)
			}
			for _, bad := range []string{"<script", "url(", "expression(", "<img src=x", "passwd", "Evil"} {
				if strings.Contains(body, bad) {
					t.Errorf("%q: the page contains %q", b.Name, bad)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP %q", csp)
			}
		}
	}
}

// TestLogo serves the stored image under its hash and nothing else.
func TestLogo(t *testing.T) {
	logo := testLogo(t)
	e := newBrandEnv(t, resonanz.Branding{Name: "Reisebüro Sonnenschein", LogoHash: logo.Hash(), LogoType: logo.Type}, logo)
	base := e.urls.ProfileLogin()[:len(e.urls.ProfileLogin())-len("/p/")]

	_, page := get(t, e.urls.Profile(1, 42), "de")
	if !strings.Contains(page, `<img src="/r/logo/`+logo.Hash()+`"`) {
		t.Fatalf("the page does not show the logo:\n%s", page)
	}
	t.Run("OK", func(t *testing.T) {
		resp, body := get(t, base+"/logo/"+logo.Hash(), "de")
		if resp.StatusCode != 200 || body != string(logo.Data) {
			t.Fatalf("%s, %d bytes", resp.Status, len(body))
		}
		h := resp.Header
		if h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("headers %v", h)
		}
		resp = do(t, "GET", base+"/logo/"+logo.Hash(), "", "If-None-Match", `"`+logo.Hash()+`"`)
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: %s", resp.Status)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		other := strings.Repeat("0", 64)
		for _, p := range []string{"/logo/" + other, "/logo/", "/logo/" + logo.Hash() + "x", "/logo/" + strings.ToUpper(logo.Hash()),
			"/logo/../p/", "/logo/%2e%2e/healthz", "/logo/" + logo.Hash() + "/x"} {
			resp, body := get(t, base+p, "de")
			if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "PNG") {
				t.Errorf("%s: %s", p, resp.Status)
			}
		}
		resp := do(t, "POST", base+"/logo/"+logo.Hash(), "a=b")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: %s", resp.Status)
		}
	})
	t.Run("ErrRemoved", func(t *testing.T) {
		e.brands.mu.Lock()
		e.brands.logo = resonanz.Logo{}
		e.brands.mu.Unlock()
		if resp, _ := get(t, base+"/logo/"+logo.Hash(), "de"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a removed logo: %s", resp.Status)
		}
	})
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"uwe.lang@gmx.de": "u***@gmx.de",
		"ä@example.org":   "ä***@example.org",
		"x":               "",
		"@example.org":    "",
	} {
		if got := listener.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
