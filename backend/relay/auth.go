package relay

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Sync requests are authenticated with the secret shared at pairing:
// HMAC-SHA256 over the method, the path with its query, the time stamp, a
// random nonce and the SHA-256 of the body. A request older or newer than
// MaxSkew, or whose nonce was seen before, is refused.

// Header names of the request authentication.
const (
	HeaderTimestamp = "X-Resonanz-Timestamp"
	HeaderNonce     = "X-Resonanz-Nonce"
	HeaderSignature = "X-Resonanz-Signature"
)

// MaxSkew is the largest clock difference between desk and relay accepted.
const MaxSkew = 5 * time.Minute

// Authentication errors (the relay answers 401 for all of them).
var (
	ErrUnsigned  = errors.New("relay: request not signed")
	ErrForged    = errors.New("relay: bad request signature")
	ErrStale     = errors.New("relay: request time stamp too old or in the future")
	ErrReplayed  = errors.New("relay: request nonce seen before")
	ErrNotPaired = errors.New("relay: not paired")
)

func requestMAC(secret []byte, method, pathQuery, ts, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	sum := sha256.Sum256(body)
	for _, part := range []string{"resonanz-relay-v1", method, pathQuery, ts, nonce, hex.EncodeToString(sum[:])} {
		m.Write([]byte(part))
		m.Write([]byte{'\n'})
	}
	return m.Sum(nil)
}

// Sign adds the authentication headers to req for body (which must be the
// request's body).
func Sign(req *http.Request, secret, body []byte, now time.Time) {
	var n [16]byte
	rand.Read(n[:])
	ts, nonce := strconv.FormatInt(now.Unix(), 10), b64.EncodeToString(n[:])
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, b64.EncodeToString(requestMAC(secret, req.Method, req.URL.RequestURI(), ts, nonce, body)))
}

// verify checks req's signature over body; seen records a nonce and
// reports whether it was new (it must be atomic and durable).
func verify(req *http.Request, secret, body []byte, now time.Time, seen func(nonce string, at time.Time) (bool, error)) error {
	ts, nonce, sig := req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderNonce), req.Header.Get(HeaderSignature)
	if ts == "" || nonce == "" || sig == "" {
		return ErrUnsigned
	}
	if len(nonce) < 16 || len(nonce) > 64 || len(ts) > 20 {
		return ErrForged
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, requestMAC(secret, req.Method, req.URL.RequestURI(), ts, nonce, body)) {
		return ErrForged
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrForged
	}
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	fresh, err := seen(nonce, at)
	if err != nil {
		return err
	}
	if !fresh {
		return ErrReplayed
	}
	return nil
}

// equalBytes compares without leaking timing.
func equalBytes(a, b []byte) bool { return hmac.Equal(a, b) }
