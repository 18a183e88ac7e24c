package listener

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Brands gives the business's branding: name, colours and logo on every
// page and in the mails the listener sends. Optional (Deps.Brands); without
// it the pages say "the sender" and use the default colours.
type Brands interface {
	// Branding returns the stored branding (zero value without one).
	Branding(ctx context.Context) (resonanz.Branding, error)
	// Logo returns the stored logo (ENOTFOUND without one).
	Logo(ctx context.Context) (resonanz.Logo, error)
}

// UnsubscribeView is what the unsubscribe page names: the address (masked
// on the page) and the lists a mailing's unsubscribe link ends.
type UnsubscribeView struct {
	Email string
	Lists []string
}

// UnsubscribeViews is optionally implemented by Deps.Subscriptions so that
// the unsubscribe page can name the list(s) and the address.
type UnsubscribeViews interface {
	// UnsubscribeView returns the address of recipientID and the names of
	// the lists an unsubscribe from mailingID ends (every list for 0).
	// Email may be empty when it is not known (the relay).
	UnsubscribeView(ctx context.Context, recipientID, mailingID int64) (UnsubscribeView, error)
}

// Keys of the per-request brand values in texts (never catalogue keys).
const (
	tBrandName = "brand.name"
	tBrandLogo = "brand.logo" // the logo's URL path
	tBrandCSS  = "brand.css"  // "accent background onAccent"
)

// logoPath is where the listener serves the logo: <prefix>/logo/<sha256>.
const logoPath = "/logo/"

// brandTexts returns t with the branding of the request filled in: a copy
// when there is any, t itself when there is none.
func (s *Server) brandTexts(ctx context.Context, t texts) texts {
	if s.deps.Brands == nil {
		return t
	}
	b, err := s.deps.Brands.Branding(ctx)
	if err != nil {
		s.cfg.Log.Error("listener: reading the branding", "err", err)
		return t
	}
	b = b.Normalize()
	if b.Validate() != nil {
		// Stored before validation existed or written by hand: the
		// default colours, the name only if it is one line.
		b.Accent, b.Background = "", ""
		if b.Validate() != nil {
			b.Name = ""
		}
	}
	if b.Name == "" && b.LogoHash == "" && b.Accent == "" && b.Background == "" {
		return t
	}
	out := make(texts, len(t)+3)
	for k, v := range t {
		out[k] = v
	}
	out[tBrandName] = b.Name
	if b.LogoHash != "" && isHex(b.LogoHash) {
		out[tBrandLogo] = s.prefix + logoPath + b.LogoHash
	}
	out[tBrandCSS] = b.AccentOrDefault() + " " + b.BackgroundOrDefault() + " " + b.OnAccent()
	return out
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return len(s) == 64
}

// senderAs is the business's name brand (in the form of key_named) or, when
// brand is empty, the catalogue's "the sender" in t's language: key is
// "sender" (subject: "der Absender") or "sender_at" ("beim Absender").
func (t texts) senderAs(key, brand string) string {
	if brand != "" {
		return strings.ReplaceAll(t[key+"_named"], "{name}", brand)
	}
	return t[key]
}

// brandStyle is the CSS of one colour set and its CSP source.
type brandStyle struct {
	css string
	csp string
}

var brandStyles sync.Map // "accent bg on" → brandStyle

// style returns the page CSS and CSP for t's colours (validated #rrggbb
// values, so they cannot break out of the declaration), and whether the
// page shows a logo.
func (t texts) style() brandStyle {
	key := t[tBrandCSS]
	if key == "" {
		return brandStyle{css: pageCSS, csp: cspPage}
	}
	if v, ok := brandStyles.Load(key); ok {
		return v.(brandStyle)
	}
	c := strings.Fields(key)
	if len(c) != 3 || !resonanz.ValidColor(c[0]) || !resonanz.ValidColor(c[1]) || !resonanz.ValidColor(c[2]) {
		return brandStyle{css: pageCSS, csp: cspPage}
	}
	accent, bg, on := c[0], c[1], c[2]
	css := pageCSS + `body{background:` + bg + `}h1,h2,a{color:` + accent + `}` +
		`button:not(.danger){background:` + accent + `;color:` + on + `;border:1px solid ` + accent + `;border-radius:4px}` +
		`.note{border-left-color:` + accent + `}input{accent-color:` + accent + `}`
	h := sha256.Sum256([]byte(css))
	st := brandStyle{css: css, csp: "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) +
		"'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}
	brandStyles.Store(key, st)
	return st
}

// serveLogo serves the stored logo under its hash: any other path is not
// found, so the route can never serve anything but the image the desk
// stored (re-encoded PNG or JPEG), and the URL can be cached for good.
func (s *Server) serveLogo(w http.ResponseWriter, r *http.Request, hash string) {
	if !methodAllowed(w, r, "GET, HEAD") {
		return
	}
	if !s.trackLimit.allow(s.clientAddr(r), s.cfg.Now()) {
		s.tooMany(w, r)
		return
	}
	if s.deps.Brands == nil || !isHex(hash) {
		s.notFound(w, r)
		return
	}
	l, err := s.deps.Brands.Logo(r.Context())
	if err != nil || l.Hash() != hash || (l.Type != "image/png" && l.Type != "image/jpeg") {
		if err != nil && resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			s.cfg.Log.Error("listener: reading the logo", "err", err)
		}
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", l.Type)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+hash+`"`)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.Header.Get("If-None-Match") == `"`+hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(l.Data)
}

// MaskEmail shows enough of an address for a person to recognise it
// ("u***@gmx.de") without putting it on a page in full.
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return ""
	}
	_, n := utf8.DecodeRuneInString(email)
	return email[:n] + "***@" + email[at+1:]
}

// quoteList joins names as the language lists them: „A“, „B“ und „C“.
func (t texts) quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = t["quote_open"] + n + t["quote_close"]
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + t["and"] + " " + q[len(q)-1]
}

// noticeBrand is the branding of the listener's own mails.
func (s *Server) noticeBrand(ctx context.Context) NoticeBrand {
	if s.deps.Brands == nil {
		return NoticeBrand{}
	}
	b, err := s.deps.Brands.Branding(ctx)
	if err != nil {
		s.cfg.Log.Error("listener: reading the branding", "err", err)
		return NoticeBrand{}
	}
	return BrandNotice(b)
}
