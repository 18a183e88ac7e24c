// Package mailbox reads the sender's own IMAP mailbox: bounces (RFC 3464
// delivery status notifications and the plain-text reports of common mail
// servers), complaints (RFC 5965 ARF), unsubscribe mails to the mailto:
// address of List-Unsubscribe, auto-replies and real replies. Classify is
// pure (no IO); Syncer is the IMAP adapter that fetches new messages, hands
// them to Classify and passes the verdicts to a Store.
package mailbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// TokenKind says what a mail token is for.
type TokenKind byte

// Token kinds. The numbers are part of the token format: never renumber.
const (
	TokenBounce      TokenKind = 1 // the VERP envelope sender bounce+TOKEN@domain
	TokenUnsubscribe TokenKind = 2 // mailto:unsubscribe+TOKEN@domain
)

const (
	mailTokenVersion = 1
	mailMACSize      = 10 // 80 bits: the token must fit a 64-character local part
	// MinSecretLength is the least secret length NewTokens accepts.
	MinSecretLength = 32
	maxMailPayload  = 2 + 2*binary.MaxVarintLen64
)

// b32 spells tokens in lower case without padding: local parts are often
// lower-cased on the way back, and base32 survives that.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ErrToken is returned for a token that is not one of ours: altered,
// forged, or of another installation.
var ErrToken = errors.New("mailbox: invalid token")

// TokenClaims is what a mail token says.
type TokenClaims struct {
	Kind        TokenKind
	MailingID   int64
	RecipientID int64
}

// Tokens signs and verifies the tokens in the addresses that lead back to
// the desk (bounce and unsubscribe). The key is derived from the same
// per-installation secret as the listener's tokens, with its own label, so
// a mail token never verifies as a listener token or the other way round.
type Tokens struct {
	key []byte
}

// NewTokens derives the mail token key from the installation secret.
func NewTokens(secret []byte) (*Tokens, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("mailbox: secret must have at least %d bytes, got %d", MinSecretLength, len(secret))
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("resonanz/mailbox/token/v1"))
	return &Tokens{key: m.Sum(nil)}, nil
}

func (t *Tokens) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write(payload)
	return m.Sum(nil)[:mailMACSize]
}

// Sign returns the token for c (lower-case base32, at most 36 characters).
func (t *Tokens) Sign(c TokenClaims) (string, error) {
	if c.Kind != TokenBounce && c.Kind != TokenUnsubscribe {
		return "", fmt.Errorf("mailbox: sign: unknown token kind %d", c.Kind)
	}
	if c.MailingID <= 0 || c.RecipientID <= 0 {
		return "", fmt.Errorf("mailbox: sign: invalid ids (mailing %d, recipient %d)", c.MailingID, c.RecipientID)
	}
	buf := make([]byte, 0, maxMailPayload+mailMACSize)
	buf = append(buf, mailTokenVersion, byte(c.Kind))
	buf = binary.AppendUvarint(buf, uint64(c.MailingID))
	buf = binary.AppendUvarint(buf, uint64(c.RecipientID))
	buf = append(buf, t.mac(buf)...)
	return b32.EncodeToString(buf), nil
}

// Verify checks a token (any letter case) and returns its claims.
func (t *Tokens) Verify(token string) (TokenClaims, error) {
	if len(token) < 8 || len(token) > 64 {
		return TokenClaims{}, ErrToken
	}
	token = strings.ToLower(token)
	raw, err := b32.DecodeString(token)
	// The last character carries unused bits: one token, one spelling.
	if err != nil || b32.EncodeToString(raw) != token || len(raw) < 4+mailMACSize || len(raw) > maxMailPayload+mailMACSize {
		return TokenClaims{}, ErrToken
	}
	payload, got := raw[:len(raw)-mailMACSize], raw[len(raw)-mailMACSize:]
	if subtle.ConstantTimeCompare(got, t.mac(payload)) != 1 {
		return TokenClaims{}, ErrToken
	}
	if payload[0] != mailTokenVersion || (TokenKind(payload[1]) != TokenBounce && TokenKind(payload[1]) != TokenUnsubscribe) {
		return TokenClaims{}, ErrToken
	}
	c := TokenClaims{Kind: TokenKind(payload[1])}
	p := payload[2:]
	for _, dst := range []*int64{&c.MailingID, &c.RecipientID} {
		v, n := binary.Uvarint(p)
		if n <= 0 || v == 0 || v > 1<<62 || n != len(binary.AppendUvarint(nil, v)) {
			return TokenClaims{}, ErrToken
		}
		*dst, p = int64(v), p[n:]
	}
	if len(p) != 0 {
		return TokenClaims{}, ErrToken
	}
	return c, nil
}

// Addresses are the addresses that lead back to the mailbox. Bounce is the
// envelope sender (Return-Path) of every mail, Unsubscribe the mailto:
// address of List-Unsubscribe; both may be empty. With SubAddressing the
// token goes into the local part (bounce+TOKEN@domain); without it the
// Return-Path is the plain address and the unsubscribe token travels in the
// subject of the mailto: link.
type Addresses struct {
	Bounce        string
	Unsubscribe   string
	SubAddressing bool
	Tokens        *Tokens
}

// ReturnPath returns the envelope sender for recipient r of mailing m, ""
// when no bounce address is set.
func (a Addresses) ReturnPath(m, r int64) string {
	if a.Bounce == "" {
		return ""
	}
	if !a.SubAddressing || a.Tokens == nil || m <= 0 || r <= 0 {
		return a.Bounce
	}
	tok, err := a.Tokens.Sign(TokenClaims{Kind: TokenBounce, MailingID: m, RecipientID: r})
	if err != nil {
		return a.Bounce
	}
	return plusAddress(a.Bounce, tok)
}

// UnsubscribeMailto returns the mailto: URL for List-Unsubscribe (without
// angle brackets), "" when no unsubscribe address is set or no token can
// be made (a preview, an unsaved mailing).
func (a Addresses) UnsubscribeMailto(m, r int64) string {
	if a.Unsubscribe == "" || a.Tokens == nil || m <= 0 || r <= 0 {
		return ""
	}
	tok, err := a.Tokens.Sign(TokenClaims{Kind: TokenUnsubscribe, MailingID: m, RecipientID: r})
	if err != nil {
		return ""
	}
	if a.SubAddressing {
		return "mailto:" + plusAddress(a.Unsubscribe, tok) + "?subject=unsubscribe"
	}
	return "mailto:" + a.Unsubscribe + "?subject=unsubscribe%20" + tok
}

// plusAddress puts tag after a + in the local part of addr.
func plusAddress(addr, tag string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return addr
	}
	return addr[:at] + "+" + tag + addr[at:]
}
