package listener_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
)

func mustSigner(tb testing.TB) *listener.Signer {
	tb.Helper()
	s, err := listener.NewSigner(testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sampleClaims() []listener.Claims {
	return []listener.Claims{
		{Kind: listener.KindOpen, MailingID: 1, RecipientID: 42},
		{Kind: listener.KindOpen, MailingID: 1 << 40, RecipientID: 1<<62 - 1, Test: true},
		{Kind: listener.KindClick, MailingID: 1, RecipientID: 42, LinkID: 7},
		{Kind: listener.KindImage, MailingID: 9, RecipientID: 42, LinkID: 300},
		{Kind: listener.KindUnsubscribe, MailingID: 1, RecipientID: 42},
		{Kind: listener.KindProfile, RecipientID: 42, IssuedAt: now.Add(-time.Hour)},
		{Kind: listener.KindSurvey, MailingID: 3, RecipientID: 42, SurveyID: 5},
		{Kind: listener.KindSurvey, RecipientID: 42, SurveyID: 1 << 50, Test: true},
	}
}

func TestSigner(t *testing.T) {
	s := mustSigner(t)
	t.Run("OK", func(t *testing.T) {
		for _, c := range sampleClaims() {
			tok, err := s.Sign(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(tok) > listener.MaxTokenLength || strings.ContainsAny(tok, "+/=") {
				t.Errorf("token %q not compact/URL-safe", tok)
			}
			got, err := s.VerifyKind(tok, c.Kind, now)
			if err != nil || got != c {
				t.Errorf("Verify(%v) = %+v, %v", c, got, err)
			}
		}
	})
	t.Run("ErrMutated", func(t *testing.T) {
		tok, _ := s.Sign(listener.Claims{Kind: listener.KindClick, MailingID: 1, RecipientID: 42, LinkID: 7})
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for i := range len(tok) {
			for _, c := range alphabet {
				m := tok[:i] + string(c) + tok[i+1:]
				if m == tok {
					continue
				}
				if _, err := s.Verify(m, now); err == nil {
					t.Fatalf("mutated token %q accepted", m)
				}
			}
			if _, err := s.Verify(tok[:i], now); err == nil {
				t.Fatalf("truncated token accepted")
			}
		}
		if _, err := s.Verify(tok+"A", now); err == nil {
			t.Fatal("extended token accepted")
		}
	})
	t.Run("ErrOtherSecret", func(t *testing.T) {
		other, _ := listener.NewSigner([]byte(strings.Repeat("x", 32)))
		tok, _ := other.Sign(sampleClaims()[0])
		if _, err := s.Verify(tok, now); !errors.Is(err, listener.ErrSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrWrongKind", func(t *testing.T) {
		tok, _ := s.Sign(sampleClaims()[0])
		if _, err := s.VerifyKind(tok, listener.KindProfile, now); !errors.Is(err, listener.ErrWrongKind) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		tok, _ := s.Sign(listener.Claims{Kind: listener.KindProfile, RecipientID: 42, IssuedAt: now})
		if _, err := s.Verify(tok, now.Add(listener.DefaultProfileTTL+time.Second)); !errors.Is(err, listener.ErrExpired) {
			t.Fatalf("old: err = %v", err)
		}
		if _, err := s.Verify(tok, now.Add(-time.Hour)); !errors.Is(err, listener.ErrExpired) {
			t.Fatalf("future: err = %v", err)
		}
		// Tracking tokens never expire.
		open, _ := s.Sign(sampleClaims()[0])
		if _, err := s.Verify(open, now.Add(20*365*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrSign", func(t *testing.T) {
		for _, c := range []listener.Claims{
			{Kind: 0, RecipientID: 1},
			{Kind: listener.KindOpen, RecipientID: 0},
			{Kind: listener.KindOpen, RecipientID: 1, MailingID: -1},
			{Kind: listener.KindClick, RecipientID: 1},
			{Kind: listener.KindOpen, RecipientID: 1, LinkID: 3},
			{Kind: listener.KindProfile, RecipientID: 1},
			{Kind: listener.KindOpen, RecipientID: 1, IssuedAt: now},
			{Kind: listener.KindSurvey, RecipientID: 1},
			{Kind: listener.KindSurvey, RecipientID: 1, SurveyID: 2, LinkID: 3},
			{Kind: listener.KindOpen, RecipientID: 1, SurveyID: 2},
			{Kind: listener.KindSurvey + 1, RecipientID: 1},
		} {
			if _, err := s.Sign(c); err == nil {
				t.Errorf("Sign(%+v) succeeded", c)
			}
		}
		if _, err := listener.NewSigner(make([]byte, 31)); err == nil {
			t.Error("short secret accepted")
		}
	})
}

func TestNewURLs(t *testing.T) {
	s := mustSigner(t)
	u, err := listener.NewURLs("https://news.example.org/r/", s)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ url, prefix string }{
		{u.Open(1, 2), "https://news.example.org/r/o/"},
		{u.Click(1, 2, 3), "https://news.example.org/r/c/"},
		{u.Image(1, 2, 3), "https://news.example.org/r/i/"},
		{u.Unsubscribe(1, 2), "https://news.example.org/r/u/"},
		{u.Profile(0, 2), "https://news.example.org/r/p/"},
		{u.Survey(1, 2, 3), "https://news.example.org/r/s/"},
	} {
		if !strings.HasPrefix(x.url, x.prefix) {
			t.Errorf("%s lacks prefix %s", x.url, x.prefix)
		}
	}
	c, err := s.Verify(strings.TrimPrefix(u.Preview().Open(1, 2), "https://news.example.org/r/o/"), now)
	if err != nil || !c.Test {
		t.Errorf("preview token: %+v, %v", c, err)
	}
	for _, bad := range []string{"", "news.example.org", "ftp://x.org", "https://", "https://x.org/?a=1", "https://u:p@x.org", "https://x.org/#f", "https://x.org/a/../b", "https://x.org//a", "javascript:alert(1)"} {
		if _, err := listener.NewURLs(bad, s); err == nil {
			t.Errorf("NewURLs(%q) accepted", bad)
		}
	}
}

// FuzzVerify: Verify never panics, and whatever it accepts is exactly what
// Sign produces for the claims it returns (so no mutation of a valid token
// is ever accepted).
func FuzzVerify(f *testing.F) {
	s := mustSigner(f)
	for _, c := range sampleClaims() {
		tok, _ := s.Sign(c)
		f.Add(tok)
		f.Add(tok[:len(tok)-1])
		f.Add(tok + "A")
	}
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok, now)
		if err != nil {
			return
		}
		again, err := s.Sign(c)
		if err != nil || again != tok {
			t.Fatalf("accepted %q (claims %+v) but Sign gives %q, %v", tok, c, again, err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	s := mustSigner(b)
	tok, _ := s.Sign(listener.Claims{Kind: listener.KindClick, MailingID: 1234, RecipientID: 567890, LinkID: 12})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMachineOpen(t *testing.T) {
	for _, tc := range []struct {
		ua      string
		machine bool
		source  string
	}{
		{"Mozilla/5.0", true, "apple_mpp"},
		{"", true, "no_user_agent"},
		{"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", false, ""}, // fetched when the person opens the mail
		{"YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", false, ""},
		{"Mozilla/5.0 (compatible; Mimecast)", true, "mimecast"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)", false, ""},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", false, ""},
		{"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)", false, ""},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0", true, "headless"},
		{"python-requests/2.31", true, "script"},
	} {
		m, src := listener.MachineOpen(tc.ua)
		if m != tc.machine || src != tc.source {
			t.Errorf("MachineOpen(%q) = %v, %q; want %v, %q", tc.ua, m, src, tc.machine, tc.source)
		}
	}
}

// TestURLsWithPersonKey: profile and survey links carry the relay's person
// secret as ?k=; tracking, unsubscribe and preview links do not, and the
// token still verifies.
func TestURLsWithPersonKey(t *testing.T) {
	s, _ := listener.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	u, _ := listener.NewURLs("https://news.example.de", s)
	u = u.WithPersonKey(func(r int64) string { return fmt.Sprintf("key-%d", r) })
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{u.Profile(1, 7), true}, {u.Survey(1, 7, 3), true}, {u.Open(1, 7), false},
		{u.Unsubscribe(1, 7), false}, {u.Preview().Profile(1, 7), false},
	} {
		if got := strings.HasSuffix(tc.url, "?k=key-7"); got != tc.want {
			t.Errorf("%s: key %v, want %v", tc.url, got, tc.want)
		}
	}
}
