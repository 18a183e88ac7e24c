package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// SyncPath is where the sync API lives under the public URL's path.
const SyncPath = "/.sync/v1/"

// maxSyncBody bounds a sync request body (a publication part).
const maxSyncBody = 64 << 20

// Config configures a relay server.
type Config struct {
	// PublicURL is where recipients and the desk reach the relay.
	PublicURL string
	// TrustedProxies and the rate limits are the listener's.
	TrustedProxies []netip.Prefix
	TrackRate      float64
	Log            *slog.Logger
	// Secrets keeps what must not be in the data directory: the mail
	// settings the desk publishes and the address key. Without it the
	// relay sends no mail and has no profile login.
	Secrets resonanz.SecretStore
	// Mailer connects to a mail server (backend/smtp); nil: no mail.
	Mailer func(ctx context.Context, m MailSettings) (Mailer, error)
}

// Server serves the listener's pages over the store and the desk's sync API.
type Server struct {
	cfg    Config
	st     *Store
	prefix string

	mu     sync.Mutex
	pages  *listener.Server
	secret []byte // the listener secret pages was built with
	closed bool
	old    []*listener.Server // replaced ones, shut down at the end
}

// NewServer returns the relay server over st.
func NewServer(st *Store, cfg Config) (*Server, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, resonanz.E(resonanz.EINVALID, "error.relay.relayPublicUrl", "relay: --public-url must be an absolute http(s) URL, got \"{publicURL}\"", "publicURL", cfg.PublicURL)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	st.secrets, st.mailer = cfg.Secrets, cfg.Mailer
	s := &Server{cfg: cfg, st: st, prefix: strings.TrimRight(u.Path, "/")}
	if _, err := s.listener(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// listener returns the page server for the current listener secret (nil
// before the desk's first sync).
func (s *Server) listener(ctx context.Context) (*listener.Server, error) {
	secret, err := s.st.ListenerSecret(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret == nil || s.closed {
		return nil, nil
	}
	if s.pages != nil && equalBytes(secret, s.secret) {
		return s.pages, nil
	}
	cfg := listener.Config{PublicURL: s.cfg.PublicURL, Secret: secret, TrustedProxies: s.cfg.TrustedProxies,
		TrackRate: s.cfg.TrackRate, Log: s.cfg.Log}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if s.pages != nil {
		s.old = append(s.old, s.pages)
	}
	deps := listener.Deps{Hits: s.st, Links: s.st, Images: s.st, Subscriptions: s.st,
		Profiles: s.st, Surveys: s.st, Signups: s.st, Brands: s.st}
	if s.cfg.Mailer != nil {
		deps.Mailer = noticeMailer{st: s.st, dial: s.cfg.Mailer}
	}
	s.pages = listener.New(cfg, deps)
	s.secret = secret
	return s.pages, nil
}

// Handler serves everything: the sync API and the pages.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, s.prefix+SyncPath) {
		s.serveSync(w, r, strings.TrimPrefix(path, s.prefix+SyncPath))
		return
	}
	pages, err := s.listener(r.Context())
	if err != nil {
		s.cfg.Log.Error("relay: pages", "err", err)
	}
	if pages == nil {
		if path == s.prefix+"/healthz" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("ok (not paired yet)\n"))
			return
		}
		w.Header().Set("Retry-After", "60")
		http.Error(w, "This relay is not connected to a newsletter desk yet.", http.StatusServiceUnavailable)
		return
	}
	// Profile and survey links carry the person secret (?k=): without it
	// the relay cannot open the person's profile. It is taken once and
	// swapped for a cookie (see swapSecret); the pages then live at URLs
	// without it.
	if personPage(path[len(s.prefix):]) {
		if r.URL.Query().Has("k") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.swapSecret(w, r)
			return
		}
		k := r.URL.Query().Get("k")
		if c, err := r.Cookie(SecretCookie); err == nil && k == "" {
			k = c.Value
		}
		if secret, err := DecodeSecret(k); err == nil {
			r = r.WithContext(WithPersonSecret(r.Context(), secret))
		}
	}
	if tracking(path[len(s.prefix):]) {
		// The listener queues hits for a group commit; the relay answers
		// only once the hit is committed (the answer is still in the
		// response buffer until this handler returns), so a SIGKILL loses
		// no answered hit.
		pages.Handler().ServeHTTP(w, r)
		s.waitCommitted(r.Context(), pages, pages.Stats().Enqueued)
		return
	}
	pages.Handler().ServeHTTP(w, r)
}

// SecretCookie holds the person secret of a profile or survey link after
// the first request, scoped to that page's path.
const SecretCookie = "rk"

// secretCookieAge is how long the cookie lasts: a visit, not a login
// (the link in the mail opens the page again).
const secretCookieAge = time.Hour

// personPage reports whether path is a profile or survey page.
func personPage(path string) bool {
	return len(path) > 3 && path[0] == '/' && path[2] == '/' && (path[1] == 'p' || path[1] == 's')
}

// swapSecret answers a profile or survey link's first request: it keeps
// the person secret of ?k= in an HttpOnly cookie for this page's path only
// and redirects to the page's URL without it. So the secret is in one
// request line (the one the mail's link makes; the reverse-proxy set-up
// in the README keeps it out of the access log) and never in the
// address bar, the history, a Referer, a bookmark or a form's target;
// every form of the page posts to the URL without it. No JavaScript is
// needed.
func (s *Server) swapSecret(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k := q.Get("k")
	q.Del("k")
	target := r.URL.EscapedPath()
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	if _, err := DecodeSecret(k); err == nil {
		http.SetCookie(w, &http.Cookie{Name: SecretCookie, Value: k, Path: r.URL.EscapedPath(), MaxAge: int(secretCookieAge / time.Second),
			HttpOnly: true, Secure: strings.HasPrefix(s.cfg.PublicURL, "https:"), SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// tracking reports whether path is a pixel, click or image path.
func tracking(path string) bool {
	return len(path) > 3 && path[0] == '/' && path[2] == '/' && (path[1] == 'o' || path[1] == 'c' || path[1] == 'i')
}

// waitCommitted waits until the listener has written every hit it had
// enqueued up to n (hits are written in order), or 10 s.
func (s *Server) waitCommitted(ctx context.Context, pages *listener.Server, n uint64) {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		st := pages.Stats()
		if st.Recorded+st.Failed >= n {
			return
		}
		select {
		case <-s.st.committed():
		case <-time.After(2 * time.Millisecond):
		case <-deadline.C:
			s.cfg.Log.Warn("relay: answered a tracking request before its hit was committed")
			return
		case <-ctx.Done():
			return
		}
	}
}

// EventsPage is the answer to a pull.
type EventsPage struct {
	RelayID string        `json:"relayId"`
	Events  []StoredEvent `json:"events"`
}

// Status is the relay's state as the desk sees it.
type Status struct {
	RelayID string         `json:"relayId"`
	Paired  bool           `json:"paired"`
	Pending map[string]int `json:"pending"`
}

func (s *Server) serveSync(w http.ResponseWriter, r *http.Request, op string) {
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSyncBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	secret, err := s.st.meta(ctx, metaSyncSecret)
	if err == nil && secret == nil {
		err = ErrNotPaired
	}
	if err == nil {
		err = verify(r, secret, body, s.st.Now(), s.st.seenNonce)
	}
	if err != nil {
		s.cfg.Log.Warn("relay: sync request refused", "op", op, "remote", r.RemoteAddr, "err", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	relayID, err := s.st.RelayID(ctx)
	if err != nil {
		s.fail(w, err)
		return
	}
	switch {
	case op == "keys" && r.Method == http.MethodPost:
		var k Keys
		if err := json.Unmarshal(body, &k); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := s.st.SetKeys(ctx, k); err != nil {
			s.fail(w, err)
			return
		}
		if _, err := s.listener(ctx); err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, Status{RelayID: relayID, Paired: true})
	case op == "publish" && r.Method == http.MethodPost:
		var p Publication
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if p.Secrets != nil && s.st.secrets == nil {
			// Published all the same; the desk mails at its next sync.
			s.cfg.Log.Warn("relay: no secret store (--secrets): the relay sends no mail and has no profile login")
		} else if p.Secrets != nil {
			if err := s.st.SetSecrets(ctx, *p.Secrets); err != nil {
				s.fail(w, err)
				return
			}
			p.Secrets = nil
		}
		if err := s.st.Publish(ctx, p); err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, Status{RelayID: relayID, Paired: true})
	case op == "events" && r.Method == http.MethodGet:
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 5000 {
			limit = 1000
		}
		evs, err := s.st.Events(ctx, after, limit)
		if err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, EventsPage{RelayID: relayID, Events: evs})
	case op == "ack" && r.Method == http.MethodPost:
		var a struct {
			Through int64 `json:"through"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := s.st.Ack(ctx, a.Through); err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, Status{RelayID: relayID, Paired: true})
	case op == "status" && r.Method == http.MethodGet:
		counts, err := s.st.Counts(ctx)
		if err != nil {
			s.fail(w, err)
			return
		}
		pub, _, _ := s.st.keys(ctx)
		writeJSON(w, Status{RelayID: relayID, Paired: pub != nil, Pending: counts})
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if resonanz.ErrorCode(err) == resonanz.EINVALID {
		code = http.StatusBadRequest
	}
	s.cfg.Log.Error("relay: sync", "err", err)
	http.Error(w, resonanz.ErrorMessage(err), code)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Serve serves on ln until ctx ends, then shuts down gracefully: running
// requests end and the queued hits are written.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 90 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.shutdown(context.Background())
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("relay: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	return errors.Join(err, s.shutdown(sctx))
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	all := append(s.old, s.pages)
	s.mu.Unlock()
	var errs []error
	for _, p := range all {
		if p != nil {
			errs = append(errs, p.Shutdown(ctx))
		}
	}
	return errors.Join(errs...)
}
