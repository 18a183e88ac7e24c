package listener

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Kind says what a token may be used for; each path accepts exactly one kind.
type Kind uint8

// Token kinds. The numbers are part of the token format: never renumber.
const (
	KindOpen        Kind = 1 // /o/{token}: open pixel
	KindClick       Kind = 2 // /c/{token}: click redirect
	KindImage       Kind = 3 // /i/{token}: tracked image
	KindUnsubscribe Kind = 4 // /u/{token}: unsubscribe (RFC 8058)
	KindProfile     Kind = 5 // /p/{token}: profile page (expires)
	KindSurvey      Kind = 6 // /s/{token}: survey page
	KindForm        Kind = 7 // /f/{token}: public signup form of a list (Claims.ListID)
)

// known reports whether k is a kind this version signs and accepts.
func (k Kind) known() bool {
	return k >= KindOpen && k <= KindSurvey || k == KindForm
}

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindOpen:
		return "open"
	case KindClick:
		return "click"
	case KindImage:
		return "image"
	case KindUnsubscribe:
		return "unsubscribe"
	case KindProfile:
		return "profile"
	case KindSurvey:
		return "survey"
	case KindForm:
		return "form"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// path returns the URL path prefix that accepts the kind.
func (k Kind) path() string {
	switch k {
	case KindOpen:
		return "/o/"
	case KindClick:
		return "/c/"
	case KindImage:
		return "/i/"
	case KindUnsubscribe:
		return "/u/"
	case KindProfile:
		return "/p/"
	case KindSurvey:
		return "/s/"
	case KindForm:
		return "/f/"
	}
	return ""
}

// Claims is what a token says. IDs are the internal integer keys; they never
// appear in clear text because the token is signed, not encrypted, but they
// are meaningless without the database and cannot be altered.
type Claims struct {
	Kind        Kind
	MailingID   int64 // 0 for profile links sent outside a mailing
	RecipientID int64 // 0 only for form tokens
	LinkID      int64 // clicks and images; 0 otherwise
	// SurveyID is the survey of a survey token (it takes the link id's
	// place in the format); 0 otherwise.
	SurveyID int64
	// ListID is the list of a signup form (KindForm only). On the wire it
	// takes the recipient's place: a form is for anyone, not a person.
	ListID int64
	// Test marks tokens of previews and test sends: their hits are not
	// counted and their unsubscribe and profile forms change nothing.
	Test bool
	// IssuedAt is set (second precision) on profile tokens only; they expire
	// after Signer.ProfileTTL. Tracking and unsubscribe tokens never expire:
	// they live in mails people keep for years.
	IssuedAt time.Time
}

// Token format constants.
const (
	tokenVersion = 1
	macSize      = 16 // 128-bit truncated HMAC-SHA256
	flagTest     = 1 << 0
	// maxPayload: version, kind, flags and four uvarints of at most 10 bytes.
	maxPayload = 3 + 4*binary.MaxVarintLen64
	// MaxTokenLength bounds the textual form; longer path segments are
	// rejected before any decoding.
	MaxTokenLength = (maxPayload + macSize + 2) / 3 * 4
	// MinSecretLength is the minimum per-installation secret size in bytes.
	MinSecretLength = 32
	// DefaultProfileTTL is how long a profile link stays valid.
	DefaultProfileTTL = 30 * 24 * time.Hour
	// clockSkew tolerates profile tokens issued slightly in the future
	// (signer and listener on different machines).
	clockSkew = 5 * time.Minute
)

// Token verification errors. They are for logs and tests; recipients only
// ever see a neutral page.
var (
	ErrMalformed = errors.New("listener: malformed token")
	ErrSignature = errors.New("listener: bad token signature")
	ErrExpired   = errors.New("listener: token expired")
	ErrWrongKind = errors.New("listener: token kind does not match the path")
)

// b64 is strict: a non-zero padding bit in the last character would
// otherwise let two different strings decode to the same (valid) token.
var b64 = base64.RawURLEncoding.Strict()

// Signer signs and verifies listener tokens and CSRF tokens with keys derived
// from the per-installation secret. It is safe for concurrent use.
type Signer struct {
	// ProfileTTL is how long profile tokens stay valid (DefaultProfileTTL
	// when zero).
	ProfileTTL time.Duration

	tokenMACs sync.Pool // hash.Hash keyed with the token key
	csrfKey   []byte
}

// NewSigner derives the signing keys from secret, which must have at least
// MinSecretLength bytes of entropy (e.g. 32 random bytes stored in the
// installation's settings).
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("listener: secret must have at least %d bytes, got %d", MinSecretLength, len(secret))
	}
	tokenKey := derive(secret, "resonanz/listener/token/v1")
	s := &Signer{csrfKey: derive(secret, "resonanz/listener/csrf/v1")}
	s.tokenMACs.New = func() any { return hmac.New(sha256.New, tokenKey) }
	return s, nil
}

// derive separates keys by purpose so that a token MAC can never double as a
// CSRF MAC.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func (s *Signer) mac(dst, payload []byte) []byte {
	h := s.tokenMACs.Get().(hash.Hash)
	h.Reset()
	h.Write(payload)
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	s.tokenMACs.Put(h)
	return append(dst, out[:macSize]...)
}

func (s *Signer) ttl() time.Duration {
	if s.ProfileTTL > 0 {
		return s.ProfileTTL
	}
	return DefaultProfileTTL
}

// Sign returns the URL-safe token for c. Profile tokens need IssuedAt (use
// time.Now()); other kinds must leave it zero.
func (s *Signer) Sign(c Claims) (string, error) {
	if !c.Kind.known() {
		return "", fmt.Errorf("listener: sign: unknown kind %d", c.Kind)
	}
	if c.Kind == KindForm {
		if c.ListID <= 0 || c.MailingID != 0 || c.RecipientID != 0 || c.LinkID != 0 || c.SurveyID != 0 || !c.IssuedAt.IsZero() {
			return "", fmt.Errorf("listener: sign: a form token carries exactly a list id (got list %d)", c.ListID)
		}
		c.RecipientID = c.ListID // its slot on the wire
	} else if c.ListID != 0 {
		return "", fmt.Errorf("listener: sign: only form tokens carry a list id")
	}
	if c.MailingID < 0 || c.RecipientID <= 0 || c.LinkID < 0 || c.SurveyID < 0 {
		return "", fmt.Errorf("listener: sign: invalid ids (mailing %d, recipient %d, link %d)", c.MailingID, c.RecipientID, c.LinkID)
	}
	if (c.Kind == KindClick || c.Kind == KindImage) != (c.LinkID != 0) {
		return "", fmt.Errorf("listener: sign: %s token needs link id exactly for clicks and images", c.Kind)
	}
	if (c.Kind == KindSurvey) != (c.SurveyID != 0) {
		return "", fmt.Errorf("listener: sign: a survey id is required for survey tokens and only for them")
	}
	if (c.Kind == KindProfile) == c.IssuedAt.IsZero() || (c.Kind == KindProfile && c.IssuedAt.Unix() <= 0) {
		return "", fmt.Errorf("listener: sign: issued-at is required for profile tokens and only for them")
	}
	buf := make([]byte, 0, maxPayload+macSize)
	var flags byte
	if c.Test {
		flags |= flagTest
	}
	buf = append(buf, tokenVersion, byte(c.Kind), flags)
	buf = binary.AppendUvarint(buf, uint64(c.MailingID))
	buf = binary.AppendUvarint(buf, uint64(c.RecipientID))
	third := c.LinkID
	if c.Kind == KindSurvey {
		third = c.SurveyID
	}
	buf = binary.AppendUvarint(buf, uint64(third))
	if c.Kind == KindProfile {
		buf = binary.AppendUvarint(buf, uint64(c.IssuedAt.Unix()))
	}
	buf = s.mac(buf, buf)
	return b64.EncodeToString(buf), nil
}

// Verify checks a token's signature and format and returns its claims. It
// fails on anything but an unaltered token made by Sign with the same
// secret, and on expired profile tokens. The comparison is constant-time.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	// The decoder skips CR and LF; checking the alphabet first keeps one
	// token, one spelling.
	if len(token) < 4 || !tokenChars(token) {
		return Claims{}, ErrMalformed
	}
	var raw [maxPayload + macSize + 3]byte
	n, err := b64.Decode(raw[:], []byte(token))
	if err != nil || n < 3+3+macSize || n > maxPayload+macSize {
		return Claims{}, ErrMalformed
	}
	payload, got := raw[:n-macSize], raw[n-macSize:n]
	var want [macSize]byte
	s.mac(want[:0], payload)
	if subtle.ConstantTimeCompare(got, want[:]) != 1 {
		return Claims{}, ErrSignature
	}
	// The signature is good, so the payload is ours; still parse strictly
	// so a format bug can never turn into accepting junk.
	c, ok := parsePayload(payload)
	if !ok {
		return Claims{}, ErrMalformed
	}
	if c.Kind == KindProfile {
		if now.Sub(c.IssuedAt) > s.ttl() || c.IssuedAt.Sub(now) > clockSkew {
			return c, ErrExpired
		}
	}
	return c, nil
}

// VerifyKind is Verify plus a check that the token is of the given kind.
func (s *Signer) VerifyKind(token string, kind Kind, now time.Time) (Claims, error) {
	c, err := s.Verify(token, now)
	if err != nil {
		return c, err
	}
	if c.Kind != kind {
		return Claims{}, ErrWrongKind
	}
	return c, nil
}

func parsePayload(p []byte) (Claims, bool) {
	if len(p) < 3 || p[0] != tokenVersion || p[2]&^flagTest != 0 {
		return Claims{}, false
	}
	c := Claims{Kind: Kind(p[1]), Test: p[2]&flagTest != 0}
	if !c.Kind.known() {
		return Claims{}, false
	}
	p = p[3:]
	next := func() (int64, bool) {
		v, n := binary.Uvarint(p)
		// Canonical encodings only: one value, one spelling.
		if n <= 0 || v > 1<<62 || n != len(binary.AppendUvarint(nil, v)) {
			return 0, false
		}
		p = p[n:]
		return int64(v), true
	}
	var ok bool
	if c.MailingID, ok = next(); !ok {
		return Claims{}, false
	}
	if c.RecipientID, ok = next(); !ok || c.RecipientID == 0 {
		return Claims{}, false
	}
	if c.LinkID, ok = next(); !ok {
		return Claims{}, false
	}
	if c.Kind == KindSurvey {
		if c.LinkID == 0 {
			return Claims{}, false
		}
		c.SurveyID, c.LinkID = c.LinkID, 0
	}
	if c.Kind == KindProfile {
		iat, ok := next()
		if !ok || iat == 0 {
			return Claims{}, false
		}
		c.IssuedAt = time.Unix(iat, 0).UTC()
	}
	if c.Kind == KindForm {
		if c.MailingID != 0 || c.LinkID != 0 {
			return Claims{}, false
		}
		c.ListID, c.RecipientID = c.RecipientID, 0
	}
	return c, len(p) == 0
}

// CSRF tokens bind a form post to the page token it was rendered for, with a
// time stamp so that a leaked form expires. No server session is needed.
const csrfTTL = 12 * time.Hour

func (s *Signer) csrf(pageToken string, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 36)
	return ts + "." + s.csrfMAC(pageToken, ts)
}

func (s *Signer) csrfMAC(pageToken, ts string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(ts))
	m.Write([]byte{0})
	m.Write([]byte(pageToken))
	return b64.EncodeToString(m.Sum(nil)[:macSize])
}

func (s *Signer) checkCSRF(pageToken, value string, now time.Time) bool {
	ts, mac, ok := strings.Cut(value, ".")
	if !ok || len(ts) > 12 || len(mac) != 22 {
		return false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false
	}
	if age := now.Sub(time.Unix(sec, 0)); age > csrfTTL || age < -clockSkew {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(mac), []byte(s.csrfMAC(pageToken, ts))) == 1
}

// URLs builds the recipient-facing URLs for the renderer and the sender
// (List-Unsubscribe header). The zero value is not usable; use NewURLs.
type URLs struct {
	base   string // without trailing slash
	signer *Signer
	test   bool
	now    func() time.Time
	// personKey, when set, gives the ?k= of profile and survey links (a
	// relay opens the person's sealed profile with it).
	personKey func(recipientID int64) string
}

// WithPersonKey returns a builder whose profile and survey URLs carry
// key(recipient) as the query parameter k: the person secret with which a
// relay opens the profile it holds sealed. The listener ignores it.
func (u URLs) WithPersonKey(key func(recipientID int64) string) URLs { u.personKey = key; return u }

// NewURLs returns a URL builder for the listener reachable at publicURL
// (validated like Config.PublicURL).
func NewURLs(publicURL string, s *Signer) (URLs, error) {
	base, err := normalizePublicURL(publicURL)
	if err != nil {
		return URLs{}, err
	}
	if s == nil {
		return URLs{}, errors.New("listener: URLs need a signer")
	}
	return URLs{base: base, signer: s, now: time.Now}, nil
}

// Preview returns a builder whose tokens carry the test flag: use it for
// previews and test sends, whose hits must not be counted.
func (u URLs) Preview() URLs { u.test = true; return u }

func (u URLs) build(c Claims) string {
	c.Test = u.test
	tok, err := u.signer.Sign(c)
	if err != nil {
		// Only invalid ids get here: a caller bug, not a runtime condition.
		panic(err)
	}
	if u.personKey != nil && (c.Kind == KindProfile || c.Kind == KindSurvey) && !c.Test {
		return u.base + c.Kind.path() + tok + "?k=" + u.personKey(c.RecipientID)
	}
	return u.base + c.Kind.path() + tok
}

// Open returns the open-pixel URL of recipient r in mailing m. Like all URL
// methods it panics on ids ≤ 0 (a caller bug).
func (u URLs) Open(m, r int64) string {
	return u.build(Claims{Kind: KindOpen, MailingID: m, RecipientID: r})
}

// Click returns the tracked URL of link in mailing m for recipient r.
func (u URLs) Click(m, r, link int64) string {
	return u.build(Claims{Kind: KindClick, MailingID: m, RecipientID: r, LinkID: link})
}

// Image returns the tracked URL of image (a link id of kind image) in mailing m.
func (u URLs) Image(m, r, image int64) string {
	return u.build(Claims{Kind: KindImage, MailingID: m, RecipientID: r, LinkID: image})
}

// Unsubscribe returns the unsubscribe URL for the List-Unsubscribe header
// and the footer link (one-click POST and the confirmation page).
func (u URLs) Unsubscribe(m, r int64) string {
	return u.build(Claims{Kind: KindUnsubscribe, MailingID: m, RecipientID: r})
}

// Profile returns a profile-page URL issued now; it expires after the
// signer's ProfileTTL. m may be 0.
func (u URLs) Profile(m, r int64) string {
	return u.build(Claims{Kind: KindProfile, MailingID: m, RecipientID: r, IssuedAt: u.now()})
}

// Form returns the URL of the public signup form of a list. It does not
// expire: it is published on websites.
func (u URLs) Form(listID int64) string {
	return u.build(Claims{Kind: KindForm, ListID: listID})
}

// Confirm returns the double opt-in confirmation URL for a token of the
// opt-in store (random, not signed: the store keeps its hash).
func (u URLs) Confirm(token string) string { return u.base + "/d/" + token }

// ProfileLogin returns the page where people ask for a profile link by mail.
func (u URLs) ProfileLogin() string { return u.base + "/p/" }

// Survey returns the survey-page URL of survey surveyID for recipient r,
// linked from mailing m (0: outside a mailing). Survey tokens do not
// expire; a closed survey shows a closed page.
func (u URLs) Survey(m, r, surveyID int64) string {
	return u.build(Claims{Kind: KindSurvey, MailingID: m, RecipientID: r, SurveyID: surveyID})
}

// normalizePublicURL checks that s is an absolute http(s) URL without
// query, fragment or user info, and returns it without a trailing slash.
func normalizePublicURL(s string) (string, error) { return resonanz.NormalizePublicURL(s) }
