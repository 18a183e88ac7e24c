package listener

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// transparentGIF is a 1×1 transparent GIF (43 bytes).
var transparentGIF = []byte{
	'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
	'!', 0xf9, 4, 1, 0, 0, 0, 0, ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';',
}

// route is one path prefix: the token kind it accepts and its methods.
type route struct {
	kind  Kind
	allow string // for the Allow header
	page  bool   // page/form rate limit instead of tracking
}

var routes = [256]*route{
	'o': {kind: KindOpen, allow: "GET, HEAD"},
	'c': {kind: KindClick, allow: "GET, HEAD"},
	'i': {kind: KindImage, allow: "GET, HEAD"},
	'u': {kind: KindUnsubscribe, allow: "GET, HEAD, POST", page: true},
	'p': {kind: KindProfile, allow: "GET, HEAD, POST", page: true},
	's': {kind: KindSurvey, allow: "GET, HEAD, POST", page: true},
	'f': {kind: KindForm, allow: "GET, HEAD, POST", page: true},
	// The confirmation link carries the opt-in store's random token, not a
	// signed one: kind 0.
	'd': {allow: "GET, HEAD, POST", page: true},
}

// serveHTTP routes by hand instead of with http.ServeMux: the raw path must
// be exactly "/{letter}/{token}" (token alphabet only) or "/healthz", so
// dot segments, double or encoded slashes and the like never reach a
// handler, and nothing is redirected to a "cleaned" path.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Content-Type-Options"] = hvNosniff
	h["Referrer-Policy"] = hvNoRef // the token is in the URL; never leak it
	h["X-Frame-Options"] = hvDeny
	h["Content-Security-Policy"] = hvCSPNone // pages replace it
	if s.err != nil {
		http.Error(w, "The listener is not configured.", http.StatusServiceUnavailable)
		return
	}
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	if r.URL.Opaque != "" || !strings.HasPrefix(path, s.prefix) {
		s.notFound(w, r)
		return
	}
	path = path[len(s.prefix):]
	if path == "/healthz" {
		if !methodAllowed(w, r, "GET, HEAD") {
			return
		}
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
		return
	}
	if hash, ok := strings.CutPrefix(path, logoPath); ok {
		s.serveLogo(w, r, hash)
		return
	}
	if path == "/p/" || path == "/p" {
		if methodAllowed(w, r, "GET, HEAD, POST") && s.allowPage(w, r) {
			s.serveProfileLogin(w, r)
		}
		return
	}
	if len(path) < 4 || path[0] != '/' || path[2] != '/' || routes[path[1]] == nil || !tokenChars(path[3:]) {
		s.notFound(w, r)
		return
	}
	rt, tok := routes[path[1]], path[3:]
	if !methodAllowed(w, r, rt.allow) {
		return
	}
	switch {
	case !rt.page:
		// Tracking never fails for the limit: past it the pixel and the
		// redirect are served, only the hit is not recorded.
		if !s.trackLimit.allow(s.clientAddr(r), s.cfg.Now()) {
			r = r.WithContext(context.WithValue(r.Context(), unrecordedKey{}, true))
		}
	case rt.kind == KindUnsubscribe && s.signer != nil && s.validToken(tok, KindUnsubscribe):
		// A valid signed unsubscribe token is its own limit (one person,
		// idempotent): mailbox providers post RFC 8058 one-clicks for many
		// people from few addresses, and none of them may fail.
	case !s.pageLimit.allow(s.clientAddr(r), s.cfg.Now()):
		s.tooMany(w, r)
		return
	}
	switch rt.kind {
	case KindOpen:
		s.serveOpen(w, r, tok)
	case KindClick:
		s.serveClick(w, r, tok)
	case KindImage:
		s.serveImage(w, r, tok)
	case KindUnsubscribe:
		s.serveUnsubscribe(w, r, tok)
	case KindProfile:
		s.serveProfile(w, r, tok)
	case KindSurvey:
		s.serveSurvey(w, r, tok)
	case KindForm:
		s.serveForm(w, r, tok)
	case 0:
		s.serveConfirm(w, r, tok)
	}
}

// allowPage applies the page rate limit, answering 429 itself.
func (s *Server) allowPage(w http.ResponseWriter, r *http.Request) bool {
	if s.pageLimit.allow(s.clientAddr(r), s.cfg.Now()) {
		return true
	}
	s.tooMany(w, r)
	return false
}

// tooMany answers 429 with a page in the visitor's language.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Cache-Control", "no-store")
	s.message(w, s.lang(r, ""), http.StatusTooManyRequests, "busy_title", "busy_text")
}

// unrecordedKey marks a request over the tracking limit: it is served but
// its hit is not recorded.
type unrecordedKey struct{}

// validToken reports whether tok is a valid, unexpired token of kind k.
func (s *Server) validToken(tok string, k Kind) bool {
	_, err := s.signer.VerifyKind(tok, k, s.cfg.Now())
	return err == nil
}

// tokenChars reports whether s is a plausible token: base64url characters
// only, bounded length.
func tokenChars(s string) bool {
	if len(s) == 0 || len(s) > MaxTokenLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func methodAllowed(w http.ResponseWriter, r *http.Request, allow string) bool {
	m := r.Method
	if m == http.MethodGet || m == http.MethodHead || (m == http.MethodPost && strings.Contains(allow, "POST")) {
		return true
	}
	w.Header().Set("Allow", allow)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
	return false
}

// record stores the hit of a tracking request before it is answered (see
// batcher for the overload policy) and reports false only when the hit
// could not be queued in time. Test tokens, HEAD requests (link checkers
// probe with HEAD; nobody looked at anything) and requests marked
// unrecorded record nothing. A click or image whose hit found no room is
// written synchronously here: the person must reach the link, and the hit
// must not be lost.
func (s *Server) record(r *http.Request, c Claims, t resonanz.ReactionType) bool {
	if c.Test || r.Method != http.MethodGet || r.Context().Value(unrecordedKey{}) != nil {
		return true
	}
	client := s.webClient(r)
	hit := resonanz.Hit{
		Type: t, MailingID: c.MailingID, RecipientID: c.RecipientID, LinkID: c.LinkID,
		At: s.cfg.Now().UTC(), UserAgent: client.UserAgent, IP: client.IP,
	}
	if t == resonanz.ReactionOpened || t == resonanz.ReactionImageLoad {
		hit.MachineOpen, _ = MachineOpen(client.UserAgent)
	}
	if s.hits.add(r.Context(), hit) != hitNoRoom {
		return true
	}
	if t == resonanz.ReactionOpened {
		s.hits.refused.Add(1)
		return false
	}
	s.hits.recordNow(hit)
	return true
}

// Header values of the hot paths, assigned without re-canonicalizing keys
// (net/http never modifies them).
var (
	hvNoCache = []string{"no-store, no-cache, must-revalidate, max-age=0, private"}
	hvPragma  = []string{"no-cache"}
	hvExpires = []string{"0"}
	hvGIF     = []string{"image/gif"}
	hvGIFLen  = []string{"43"}
	hvNosniff = []string{"nosniff"}
	hvNoRef   = []string{"no-referrer"}
	hvDeny    = []string{"DENY"}
	hvCSPNone = []string{cspNone}
)

func noCache(h http.Header) {
	h["Cache-Control"] = hvNoCache
	h["Pragma"] = hvPragma
	h["Expires"] = hvExpires
}

func (s *Server) serveOpen(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := s.signer.VerifyKind(tok, KindOpen, s.cfg.Now())
	if err != nil {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	if !s.record(r, c, resonanz.ReactionOpened) {
		// Overloaded: refuse rather than answer a hit that is not stored;
		// clients that retry come back when there is room.
		h.Set("Retry-After", "1")
		h.Set("Cache-Control", "no-store")
		http.Error(w, "Busy. Please try again in a moment.", http.StatusServiceUnavailable)
		return
	}
	noCache(h)
	h["Content-Type"] = hvGIF
	h["Content-Length"] = hvGIFLen
	if r.Method == http.MethodHead {
		return
	}
	w.Write(transparentGIF)
}

func (s *Server) serveClick(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := s.signer.VerifyKind(tok, KindClick, s.cfg.Now())
	if err != nil || s.deps.Links == nil {
		s.notFound(w, r)
		return
	}
	target, _, err := s.deps.Links.LinkTarget(r.Context(), c.MailingID, c.LinkID)
	if !s.resolved(r, "link", target, err) {
		s.notFound(w, r)
		return
	}
	s.record(r, c, resonanz.ReactionClicked)
	s.redirect(w, target)
}

func (s *Server) serveImage(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := s.signer.VerifyKind(tok, KindImage, s.cfg.Now())
	if err != nil || s.deps.Images == nil {
		s.notFound(w, r)
		return
	}
	target, err := s.deps.Images.ImageURL(r.Context(), c.MailingID, c.LinkID)
	if !s.resolved(r, "image", target, err) {
		s.notFound(w, r)
		return
	}
	s.record(r, c, resonanz.ReactionImageLoad)
	s.redirect(w, target)
}

// resolved checks a looked-up destination: it must exist and be an absolute
// http(s) URL (or mailto: for links); anything else is treated as unknown.
func (s *Server) resolved(r *http.Request, what, target string, err error) bool {
	if err != nil {
		if resonanz.ErrorCode(err) != resonanz.ENOTFOUND && r.Context().Err() != context.Canceled {
			s.cfg.Log.Error("listener: resolving "+what, "err", err)
		}
		return false
	}
	u, err := url.Parse(target)
	if err != nil || strings.ContainsAny(target, "\r\n\x00") {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return what == "link"
	}
	return false
}

func (s *Server) redirect(w http.ResponseWriter, target string) {
	h := w.Header()
	noCache(h)
	h.Set("Location", target)
	w.WriteHeader(http.StatusFound)
}
