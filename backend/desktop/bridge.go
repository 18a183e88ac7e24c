package desktop

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TokenHeader carries the per-launch token on every bridge API call.
const TokenHeader = "X-Resonanz-Token"

// assetCookie carries the asset secret for the page and its assets, which
// the browser loads without custom headers. It is not the access token:
// cookies are not bound to a port, so every other web server on 127.0.0.1
// that the browser visits receives it. The API, the event stream and the
// downloads refuse it; they need the token in the header (or, for the
// EventSource and download links, which cannot send headers, in the query).
const assetCookie = "resonanz_assets"

// assetSecret derives the asset cookie's value from the access token: a
// one-way function, so the cookie does not reveal the token.
func assetSecret(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("resonanz browser-mode asset cookie v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// NewToken returns a random URL-safe token with 256 bits of entropy.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// BridgeConfig configures NewBridge.
type BridgeConfig struct {
	// Bindings are the same structs bound to the Wails window. Every exported
	// method returning (T, error) or error becomes POST /api/{Type}/{Method}.
	Bindings []any
	// Assets is the built frontend (index.html at its root).
	Assets fs.FS
	// Token is the per-launch secret; requests without it get 401.
	Token string
	// AllowedHosts are the Host header values accepted (besides loopback
	// names); this blunts DNS rebinding. Empty means loopback only; "*"
	// accepts any host (for a deliberate non-loopback bind).
	AllowedHosts []string
	// MaxBody bounds an API request body; 0 means 4 MiB.
	MaxBody int64
	// Events streams events to the browser (GET /api/events), Uploads takes
	// files (POST /api/upload); both optional.
	Events  http.Handler
	Uploads http.Handler
	// Downloads serves files for the browser to save (GET /api/download/...),
	// e.g. a backup copy; optional.
	Downloads http.Handler
	Errors    ErrorFormatter
	Log       *slog.Logger
}

// Bridge serves the frontend and the bound façades over HTTP: browser mode is
// the desktop app with a browser as its window, not a second API.
type Bridge struct {
	cfg        BridgeConfig
	assetValue string // the asset cookie's value (assetSecret)
	methods    map[string]boundMethod
	assets     http.Handler
	index      []byte
}

type boundMethod struct {
	recv reflect.Value
	fn   reflect.Method
}

var errorType = reflect.TypeFor[error]()

// NewBridge builds the handler. It fails when a binding has an exported method
// the bridge cannot call, so a façade that breaks the (T, error) convention is
// caught at start-up, not at the first click.
func NewBridge(cfg BridgeConfig) (*Bridge, error) {
	if len(cfg.Token) < 16 {
		return nil, errors.New("bridge: token too short")
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 4 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{cfg: cfg, methods: map[string]boundMethod{}, assetValue: assetSecret(cfg.Token)}
	for _, binding := range cfg.Bindings {
		v := reflect.ValueOf(binding)
		t := v.Type()
		if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("bridge: binding %T is not a pointer to a struct", binding)
		}
		service := t.Elem().Name()
		for i := range t.NumMethod() {
			m := t.Method(i)
			if err := checkSignature(m.Type); err != nil {
				return nil, fmt.Errorf("bridge: %s.%s: %w", service, m.Name, err)
			}
			b.methods[service+"/"+m.Name] = boundMethod{recv: v, fn: m}
		}
	}
	if cfg.Assets != nil {
		b.assets = http.FileServerFS(cfg.Assets)
		b.index, _ = fs.ReadFile(cfg.Assets, "index.html")
	}
	return b, nil
}

func checkSignature(t reflect.Type) error {
	switch {
	case t.NumOut() == 1 && t.Out(0) == errorType:
	case t.NumOut() == 2 && t.Out(1) == errorType:
	default:
		return errors.New("bound methods must return (T, error) or error")
	}
	for i := 1; i < t.NumIn(); i++ { // 0 is the receiver
		switch t.In(i).Kind() {
		case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Interface:
			return fmt.Errorf("parameter %d (%s) cannot come from JSON", i, t.In(i))
		}
	}
	return nil
}

// previewCSP is the browser mode's Content-Security-Policy.
const previewCSP = "default-src 'self'; script-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// ServeHTTP implements http.Handler.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the first URL; never leak it
	// img-src allows https: images: the mail preview (an iframe with srcdoc,
	// which inherits this policy) shows a mailing's external images as the
	// recipient will see them. Scripts stay limited to the app's own.
	h.Set("Content-Security-Policy", previewCSP)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")

	if !b.hostAllowed(r.Host) {
		http.Error(w, "Forbidden: unexpected Host header.", http.StatusForbidden)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		b.serveAPI(w, r)
		return
	}
	b.serveAssets(w, r)
}

func (b *Bridge) hostAllowed(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	if name == "localhost" {
		return true
	}
	if ip := net.ParseIP(name); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, a := range b.cfg.AllowedHosts {
		if a == "*" || strings.EqualFold(a, host) || strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

func (b *Bridge) validToken(s string) bool {
	return s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(b.cfg.Token)) == 1
}

func (b *Bridge) serveAssets(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	if q := r.URL.Query().Get("token"); q != "" && b.validToken(q) {
		http.SetCookie(w, &http.Cookie{
			Name: assetCookie, Value: b.assetValue, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		})
	} else if c, err := r.Cookie(assetCookie); err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(b.assetValue)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="resonanz"`)
		http.Error(w, "Unauthorized: open the address that `resonanz serve` printed (it contains the access token).", http.StatusUnauthorized)
		return
	}
	if b.assets == nil || b.index == nil {
		http.Error(w, "The user interface was not built into this binary. Run `make build`.", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path == "/" || r.URL.Path == "/index.html" {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b.index)
		return
	}
	b.assets.ServeHTTP(w, r)
}

func (b *Bridge) serveAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// EventSource cannot send headers, and downloads are read-only GETs
	// started by a link: both take the token from the query too (never the
	// asset cookie, which other local servers receive). The page sends no
	// Referer, so the query does not leak.
	if r.URL.Path == "/api/events" && r.Method == http.MethodGet && b.cfg.Events != nil {
		if b.validToken(r.URL.Query().Get("token")) || b.validToken(r.Header.Get(TokenHeader)) {
			b.cfg.Events.ServeHTTP(w, r)
			return
		}
	}
	if strings.HasPrefix(r.URL.Path, "/api/download/") && r.Method == http.MethodGet && b.cfg.Downloads != nil {
		if b.validToken(r.URL.Query().Get("token")) || b.validToken(r.Header.Get(TokenHeader)) {
			b.cfg.Downloads.ServeHTTP(w, r)
			return
		}
	}
	if !b.validToken(r.Header.Get(TokenHeader)) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="resonanz"`)
		writeJSON(w, http.StatusUnauthorized, map[string]UserError{"error": {
			Code: "unauthorized", Message: "The access token is missing or wrong. Open the address that `resonanz serve` printed.",
			Key: "error.unauthorized",
		}})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		b.writeError(w, http.StatusMethodNotAllowed, resonanz.E(resonanz.EINVALID, "error.request.postCall", "Use POST to call {path}.", "path", r.URL.Path))
		return
	}
	if r.URL.Path == "/api/upload" && b.cfg.Uploads != nil {
		b.cfg.Uploads.ServeHTTP(w, r)
		return
	}
	m, ok := b.methods[strings.TrimPrefix(r.URL.Path, "/api/")]
	if !ok {
		b.writeError(w, http.StatusNotFound, resonanz.E(resonanz.ENOTFOUND, "error.request.method", "There is no method {method}.", "method", strings.TrimPrefix(r.URL.Path, "/api/")))
		return
	}
	args, err := decodeArgs(http.MaxBytesReader(w, r.Body, b.cfg.MaxBody), m.fn.Type)
	if err != nil {
		status := 0
		if errors.As(err, new(tooLargeError)) {
			status = http.StatusRequestEntityTooLarge
		}
		b.writeError(w, status, err)
		return
	}
	result, err := call(m, args)
	if err != nil {
		b.writeError(w, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, result)
}

// tooLargeError is a request body beyond BridgeConfig.MaxBody: the bridge
// answers 413 with the wrapped user message.
type tooLargeError struct{ err error }

func (e tooLargeError) Error() string { return e.err.Error() }
func (e tooLargeError) Unwrap() error { return e.err }

func decodeArgs(body io.Reader, t reflect.Type) ([]reflect.Value, error) {
	var raw []json.RawMessage
	dec := json.NewDecoder(body)
	if err := dec.Decode(&raw); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, tooLargeError{resonanz.E(resonanz.EINVALID, "error.request.requestTooLarge", "The request is too large (limit {limit} bytes).", "limit", tooBig.Limit)}
		}
		if errors.Is(err, io.EOF) {
			raw = nil // an empty body calls a method without parameters
		} else {
			return nil, &resonanz.Error{Code: resonanz.EINVALID, Key: "error.request.invalid", Message: "The request could not be read (the body must be a JSON array of arguments)."}
		}
	}
	want := t.NumIn() - 1
	if len(raw) != want {
		return nil, resonanz.E(resonanz.EINVALID, "error.request.arguments", "Expected {want} argument(s), got {count}.", "want", want, "count", len(raw))
	}
	args := make([]reflect.Value, want)
	for i, msg := range raw {
		p := reflect.New(t.In(i + 1))
		if err := json.Unmarshal(msg, p.Interface()); err != nil {
			// The decoder's message names Go types; users get a plain sentence.
			return nil, &resonanz.Error{Code: resonanz.EINVALID, Key: "error.request.invalid",
				Message: fmt.Sprintf("The request could not be read (argument %d has the wrong form).", i+1)}
		}
		args[i] = p.Elem()
	}
	return args, nil
}

// call invokes a bound method and turns a panic into an internal error, as
// Wails does for the desktop window.
func call(m boundMethod, args []reflect.Value) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in %s: %v", m.fn.Name, p)
		}
	}()
	out := m.fn.Func.Call(append([]reflect.Value{m.recv}, args...))
	if e, _ := out[len(out)-1].Interface().(error); e != nil {
		return nil, e
	}
	if len(out) == 2 {
		return out[0].Interface(), nil
	}
	return nil, nil
}

func (b *Bridge) writeError(w http.ResponseWriter, status int, err error) {
	ue := b.cfg.Errors.Format(err)
	if status == 0 {
		status = HTTPStatus(ue.Code)
	}
	writeJSON(w, status, map[string]UserError{"error": ue})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"The result could not be encoded."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}
