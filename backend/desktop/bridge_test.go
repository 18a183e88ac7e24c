package desktop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// fakeSettings records calls so tests can prove a refused request touched nothing.
type fakeSettings struct {
	stored resonanz.SenderIdentity
	calls  int
	fail   error
}

func (f *fakeSettings) Sender(context.Context) (resonanz.SenderIdentity, error) {
	f.calls++
	return f.stored, f.fail
}

func (f *fakeSettings) SetSender(_ context.Context, s resonanz.SenderIdentity) (resonanz.SenderIdentity, error) {
	f.calls++
	if f.fail != nil {
		return resonanz.SenderIdentity{}, f.fail
	}
	s = s.Normalize()
	if err := s.Validate(); err != nil {
		return resonanz.SenderIdentity{}, err
	}
	f.stored = s
	return s, nil
}

func (f *fakeSettings) Value(context.Context, string, any) (bool, error) { return false, nil }

func (f *fakeSettings) SetValue(context.Context, string, any) error { return nil }

// panicky is a binding whose method panics.
type panicky struct{}

func (panicky) Boom() (int, error) { panic("boom") }

const token = "test-token-0123456789abcdef"

func newBridge(t *testing.T, logs *bytes.Buffer) (*desktop.Bridge, *fakeSettings) {
	t.Helper()
	svc := &fakeSettings{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	b, err := desktop.NewBridge(desktop.BridgeConfig{
		Bindings: []any{desktop.NewSettings(context.Background(), svc, nil), desktop.NewSystem(context.Background(), desktop.SystemInfo{Version: "1.2.3", Mode: "browser"}, nil, nil), &panicky{}},
		Assets: fstest.MapFS{
			"index.html":    {Data: []byte("<!doctype html><title>Resonanz</title>")},
			"assets/app.js": {Data: []byte("console.log(1)")},
		},
		Token:  token,
		Errors: desktop.ErrorFormatter{Log: log},
		Log:    log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, svc
}

func do(h http.Handler, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "127.0.0.1:8484"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func auth() map[string]string {
	return map[string]string{desktop.TokenHeader: token, "Content-Type": "application/json"}
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) desktop.UserError {
	t.Helper()
	var body struct{ Error desktop.UserError }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	return body.Error
}

func TestBridge_Auth(t *testing.T) {
	b, svc := newBridge(t, &bytes.Buffer{})

	t.Run("ErrNoToken", func(t *testing.T) {
		for _, tt := range []struct{ method, path, body string }{
			{"GET", "/", ""},
			{"GET", "/assets/app.js", ""},
			{"GET", "/?token=wrong", ""},
			{"POST", "/api/Settings/SaveSender", `[{"fromAddress":"x@example.org"}]`},
			{"POST", "/api/Settings/GetSender", `[]`},
			{"GET", "/api/Settings/GetSender", ``},
		} {
			w := do(b, tt.method, tt.path, tt.body, nil)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s: status %d, want 401", tt.method, tt.path, w.Code)
			}
		}
		w := do(b, "POST", "/api/Settings/GetSender", "[]", map[string]string{desktop.TokenHeader: token + "x"})
		if w.Code != http.StatusUnauthorized {
			t.Errorf("wrong token: status %d", w.Code)
		}
		if svc.calls != 0 {
			t.Errorf("refused requests reached the service %d times", svc.calls)
		}
	})

	t.Run("OK/QueryTokenSetsCookieForAssets", func(t *testing.T) {
		w := do(b, "GET", "/?token="+token, "", nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<title>Resonanz") {
			t.Fatalf("status %d body %q", w.Code, w.Body.String())
		}
		cookies := w.Result().Cookies()
		if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
			t.Fatalf("cookies %+v", cookies)
		}
		if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy %q", got)
		}
		w = do(b, "GET", "/assets/app.js", "", map[string]string{"Cookie": cookies[0].Name + "=" + cookies[0].Value})
		if w.Code != http.StatusOK || w.Body.String() != "console.log(1)" {
			t.Errorf("asset with cookie: %d %q", w.Code, w.Body.String())
		}
	})

	t.Run("ErrCookieAloneDoesNotCallAPI", func(t *testing.T) {
		w := do(b, "POST", "/api/Settings/GetSender", "[]", map[string]string{"Cookie": "resonanz_token=" + token})
		if w.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", w.Code)
		}
	})

	t.Run("ErrForeignHost", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/?token="+token, nil)
		r.Host = "attacker.example:8484" // DNS rebinding
		w := httptest.NewRecorder()
		b.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("status %d, want 403", w.Code)
		}
	})
}

func TestBridge_Call(t *testing.T) {
	var logs bytes.Buffer
	b, svc := newBridge(t, &logs)

	t.Run("OK/RoundTrip", func(t *testing.T) {
		w := do(b, "POST", "/api/Settings/SaveSender", `[{"fromName":" Anna ","fromAddress":"anna@example.org","replyTo":""}]`, auth())
		if w.Code != http.StatusOK {
			t.Fatalf("status %d body %s", w.Code, w.Body)
		}
		var got resonanz.SenderIdentity
		json.Unmarshal(w.Body.Bytes(), &got)
		if got.FromName != "Anna" || svc.stored.FromAddress != "anna@example.org" {
			t.Errorf("got %+v stored %+v", got, svc.stored)
		}
		w = do(b, "POST", "/api/Settings/GetSender", ``, auth()) // empty body = no arguments
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"fromAddress":"anna@example.org"`) {
			t.Errorf("GetSender: %d %s", w.Code, w.Body)
		}
		w = do(b, "POST", "/api/System/Info", `[]`, auth())
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"version":"1.2.3"`) {
			t.Errorf("Info: %d %s", w.Code, w.Body)
		}
	})

	t.Run("ErrInvalidField", func(t *testing.T) {
		w := do(b, "POST", "/api/Settings/SaveSender", `[{"fromAddress":"not-an-address"}]`, auth())
		e := decodeError(t, w)
		if w.Code != http.StatusBadRequest || e.Code != "invalid" || e.Field != "fromAddress" || e.Key != "error.sender.fromAddress.invalid" {
			t.Errorf("status %d error %+v", w.Code, e)
		}
	})

	t.Run("ErrInternalIsGenericAndLogged", func(t *testing.T) {
		svc.fail = errors.New("sqlite3: disk I/O error at /secret/path")
		defer func() { svc.fail = nil }()
		w := do(b, "POST", "/api/Settings/GetSender", `[]`, auth())
		e := decodeError(t, w)
		if w.Code != http.StatusInternalServerError || e.Code != "internal" || strings.Contains(e.Message, "sqlite3") {
			t.Errorf("status %d error %+v", w.Code, e)
		}
		if !strings.Contains(logs.String(), "disk I/O error") {
			t.Errorf("internal error not logged: %q", logs.String())
		}
	})

	t.Run("ErrPanic", func(t *testing.T) {
		w := do(b, "POST", "/api/panicky/Boom", `[]`, auth())
		if w.Code != http.StatusInternalServerError || decodeError(t, w).Code != "internal" {
			t.Errorf("status %d body %s", w.Code, w.Body)
		}
	})

	t.Run("ErrBadRequests", func(t *testing.T) {
		for _, tt := range []struct {
			name, method, path, body string
			status                   int
		}{
			{"unknown method", "POST", "/api/Settings/DropDatabase", `[]`, 404},
			{"unknown service", "POST", "/api/Nope/GetSender", `[]`, 404},
			{"GET on API", "GET", "/api/Settings/GetSender", ``, 405},
			{"not an array", "POST", "/api/Settings/SaveSender", `{"fromAddress":"a@example.org"}`, 400},
			{"too few args", "POST", "/api/Settings/SaveSender", `[]`, 400},
			{"too many args", "POST", "/api/Settings/GetSender", `[1]`, 400},
			{"wrong type", "POST", "/api/Settings/SaveSender", `[42]`, 400},
			{"too large", "POST", "/api/Settings/SaveSender", `[{"fromName":"` + strings.Repeat("x", 5<<20) + `"}]`, 413},
			{"path trick", "POST", "/api/Settings/../System/Info", `[]`, 404},
		} {
			w := do(b, tt.method, tt.path, tt.body, auth())
			if w.Code != tt.status {
				t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
			}
		}
	})
}

type badBinding struct{}

func (badBinding) NoError() int { return 1 }

func TestNewBridge_RejectsBadSignature(t *testing.T) {
	_, err := desktop.NewBridge(desktop.BridgeConfig{Bindings: []any{&badBinding{}}, Token: token})
	if err == nil || !strings.Contains(err.Error(), "badBinding.NoError") {
		t.Fatalf("err %v", err)
	}
}

func TestNewToken(t *testing.T) {
	a, b := desktop.NewToken(), desktop.NewToken()
	if a == b || len(a) < 43 {
		t.Errorf("tokens %q %q", a, b)
	}
	if strings.ContainsAny(a, "+/=") {
		t.Errorf("token %q is not URL-safe", a)
	}
}

// TestBridge_AssetCookieIsNotTheToken: cookies are not bound to a port, so
// every other web server on 127.0.0.1 the browser visits receives the asset
// cookie. It must only load the page and its assets: the API, the event
// stream and the downloads refuse it, and it is not the access token.
func TestBridge_AssetCookieIsNotTheToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret data")) })
	b, err := desktop.NewBridge(desktop.BridgeConfig{
		Bindings: []any{desktop.NewSettings(context.Background(), &fakeSettings{}, nil)},
		Assets:   fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>Resonanz</title>")}, "assets/app.js": {Data: []byte("x")}},
		Token:    token, Events: ok, Downloads: ok,
	})
	if err != nil {
		t.Fatal(err)
	}
	cookies := do(b, "GET", "/?token="+token, "", nil).Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %+v", cookies)
	}
	c := cookies[0]
	if c.Value == token || strings.Contains(c.Value, token) || strings.Contains(token, c.Value) {
		t.Fatalf("the asset cookie carries the access token")
	}
	jar := map[string]string{"Cookie": c.Name + "=" + c.Value}
	if w := do(b, "GET", "/assets/app.js", "", jar); w.Code != 200 {
		t.Fatalf("assets with the cookie: %d", w.Code)
	}
	for _, tt := range []struct {
		name, method, path string
		hdr                map[string]string
	}{
		{"ErrAPIWithCookie", "POST", "/api/Settings/GetSender", jar},
		{"ErrAPIWithCookieValueAsHeader", "POST", "/api/Settings/GetSender", map[string]string{desktop.TokenHeader: c.Value}},
		{"ErrEventsWithCookie", "GET", "/api/events", jar},
		{"ErrDownloadWithCookie", "GET", "/api/download/backup/x.db", jar},
		{"ErrDownloadWithCookieValueInQuery", "GET", "/api/download/backup/x.db?token=" + c.Value, nil},
		{"ErrPageWithCookieValueInQuery", "GET", "/?token=" + c.Value, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if w := do(b, tt.method, tt.path, "[]", tt.hdr); w.Code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", w.Code)
			}
		})
	}
	for _, tt := range []struct{ name, path string }{
		{"OK/EventsWithTokenInQuery", "/api/events?token=" + token},
		{"OK/DownloadWithTokenInQuery", "/api/download/backup/x.db?token=" + token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if w := do(b, "GET", tt.path, "", nil); w.Code != 200 || w.Body.String() != "secret data" {
				t.Errorf("status %d %q", w.Code, w.Body.String())
			}
		})
	}
}

// TestBridge_CSPShowsExternalImagesNoScripts pins the policy the mail
// preview inherits: https images load, scripts only from the app itself.
func TestBridge_CSPShowsExternalImagesNoScripts(t *testing.T) {
	b, _ := newBridge(t, &bytes.Buffer{})
	csp := do(b, "GET", "/?token="+token, "", nil).Header().Get("Content-Security-Policy")
	for _, want := range []string{"img-src 'self' data: blob: https:;", "script-src 'self';", "default-src 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' https:") {
		t.Errorf("CSP %q allows foreign scripts", csp)
	}
}
