package listener_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/nettest"
)

// via rewrites a listener URL to go through the proxy.
func via(front, u string) string {
	return front + u[strings.Index(u[len("http://"):], "/")+len("http://"):]
}

// TestReverseProxy: behind a trusted reverse proxy every visitor is its
// own client — for the rate limits and the evidence — and neither one-click
// unsubscribes nor tracking redirects fail when a limit is reached.
func TestReverseProxy(t *testing.T) {
	e := newEnv(t, func(c *listener.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.PageRate, c.PageBurst = 0.001, 20 // the defaults' burst, no refill during the test
		c.TrackRate, c.TrackBurst = 0.001, 5
	})
	front := nettest.ReverseProxy(t, e.ts.URL)

	t.Run("ManyVisitors", func(t *testing.T) {
		// 60 people open their profile page within a second: each is a
		// client of its own, none gets 429.
		for i := range 60 {
			peer := fmt.Sprintf("198.51.100.%d:40000", i+1)
			resp := do(t, "GET", via(front, e.urls.Profile(1, 42)), "", "X-Test-Peer", peer)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("visitor %d: %d", i, resp.StatusCode)
			}
		}
	})
	t.Run("ErrSpoofedHeader", func(t *testing.T) {
		// A client that writes its own X-Forwarded-For is still limited by
		// its real address: the proxy appends it after the fake hops.
		codes := map[int]int{}
		for i := range 25 {
			resp := do(t, "GET", via(front, e.urls.Profile(1, 42)), "",
				"X-Test-Peer", "203.0.113.66:5000", "X-Forwarded-For", fmt.Sprintf("10.9.9.%d", i), "Forwarded", "for=10.8.8.8")
			resp.Body.Close()
			codes[resp.StatusCode]++
		}
		if codes[200] != 20 || codes[429] != 5 {
			t.Fatalf("spoofer's answers %v, want 20×200 and 5×429", codes)
		}
	})
	t.Run("OneClickNeverLimited", func(t *testing.T) {
		// A mailbox provider posts RFC 8058 unsubscribes for many people
		// from one address, far beyond the page limit.
		for i := range 40 {
			resp := do(t, "POST", via(front, e.urls.Unsubscribe(5, int64(1000+i))), "List-Unsubscribe=One-Click",
				"X-Test-Peer", "192.0.2.25:25000", "User-Agent", "MailProvider")
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("one-click %d: %d", i, resp.StatusCode)
			}
		}
		// Repeating one is idempotent.
		resp := do(t, "POST", via(front, e.urls.Unsubscribe(5, 1000)), "List-Unsubscribe=One-Click", "X-Test-Peer", "192.0.2.25:25000")
		resp.Body.Close()
		e.subs.mu.Lock()
		defer e.subs.mu.Unlock()
		if resp.StatusCode != 200 || len(e.subs.withdrawals) != 40 {
			t.Fatalf("status %d, %d withdrawals", resp.StatusCode, len(e.subs.withdrawals))
		}
		if w := e.subs.withdrawals[0]; w.IP != "192.0.2.25" || w.UserAgent != "MailProvider" {
			t.Errorf("evidence %+v: want the provider's address", w)
		}
	})
	t.Run("ErrForgedOneClickLimited", func(t *testing.T) {
		// Only a valid token skips the limit: forged ones are limited.
		codes := map[int]int{}
		for range 25 {
			resp := do(t, "POST", via(front, "http://x/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "List-Unsubscribe=One-Click",
				"X-Test-Peer", "192.0.2.99:25000")
			resp.Body.Close()
			codes[resp.StatusCode]++
		}
		if codes[404] != 20 || codes[429] != 5 {
			t.Fatalf("forged one-clicks answered %v", codes)
		}
	})
	t.Run("ClicksRedirectWithoutRecording", func(t *testing.T) {
		// An image proxy or a company gateway clicks for many people: past
		// the tracking limit the redirect still works, only unrecorded.
		for i := range 12 {
			resp := do(t, "GET", via(front, e.urls.Click(1, 42, 7)), "", "X-Test-Peer", "[2001:db8:1:2::77]:443")
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.org/article?id=7" {
				t.Fatalf("click %d: %d %q", i, resp.StatusCode, resp.Header.Get("Location"))
			}
			resp = do(t, "GET", via(front, e.urls.Open(1, 42)), "", "X-Test-Peer", "[2001:db8:1:2::78]:443")
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" {
				t.Fatalf("open %d: %d", i, resp.StatusCode)
			}
		}
	})
	hits := e.flush(t)
	// Both addresses share one /64: 5 tokens for 24 hits.
	if len(hits) != 5 {
		t.Fatalf("%d hits recorded, want the 5 within the limit", len(hits))
	}
	for _, h := range hits {
		if !strings.HasPrefix(h.IP, "2001:db8:1:2::7") {
			t.Errorf("hit from %q, want the client's IPv6 address", h.IP)
		}
	}
}

// TestClientAddress: the client is the right-most hop that is not a
// trusted proxy, and only a trusted peer's headers are believed.
func TestClientAddress(t *testing.T) {
	srv := listener.New(listener.Config{PublicURL: "https://x.example", Secret: testSecret,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}},
		listener.Deps{Hits: &fakeHits{}})
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	for _, tc := range []struct {
		name, peer string
		hdr        []string
		want       string
	}{
		{"NoProxy", "203.0.113.9:1", nil, "203.0.113.9"},
		{"ErrUntrustedPeer", "203.0.113.9:1", []string{"X-Forwarded-For", "198.51.100.1"}, "203.0.113.9"},
		{"ErrUntrustedPeerForwarded", "203.0.113.9:1", []string{"Forwarded", "for=198.51.100.1"}, "203.0.113.9"},
		{"XFF", "10.0.0.1:1", []string{"X-Forwarded-For", "198.51.100.1"}, "198.51.100.1"},
		{"XFFRightmostUntrusted", "10.0.0.1:1", []string{"X-Forwarded-For", "1.2.3.4, 198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"XFFMapped", "[::ffff:10.0.0.1]:1", []string{"X-Forwarded-For", "::ffff:198.51.100.1"}, "198.51.100.1"},
		{"XFFWithPort", "10.0.0.1:1", []string{"X-Forwarded-For", "198.51.100.1:4711"}, "198.51.100.1"},
		{"XFFGarbageStops", "10.0.0.1:1", []string{"X-Forwarded-For", "198.51.100.1, garbage, 10.0.0.3"}, "10.0.0.3"},
		{"XFFAllTrusted", "10.0.0.1:1", []string{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"XFFEmpty", "10.0.0.1:1", []string{"X-Forwarded-For", ""}, "10.0.0.1"},
		{"Forwarded", "10.0.0.1:1", []string{"Forwarded", "for=198.51.100.1;proto=https"}, "198.51.100.1"},
		{"ForwardedIPv6", "[fd00::1]:1", []string{"Forwarded", `for="[2001:db8::1]:4711";proto=https, for=fd00::2`}, "2001:db8::1"},
		{"ForwardedQuotedComma", "10.0.0.1:1", []string{"Forwarded", `for=1.2.3.4;by="a,b", For="198.51.100.7"`}, "198.51.100.7"},
		{"ForwardedUnknownStops", "10.0.0.1:1", []string{"Forwarded", "for=198.51.100.1, for=unknown"}, "10.0.0.1"},
		{"ForwardedObfuscatedStops", "10.0.0.1:1", []string{"Forwarded", "for=_hidden"}, "10.0.0.1"},
		{"XFFWinsOverForwarded", "10.0.0.1:1", []string{"X-Forwarded-For", "198.51.100.1", "Forwarded", "for=1.2.3.4"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/healthz", nil)
			r.RemoteAddr = tc.peer
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				r.Header.Add(tc.hdr[i], tc.hdr[i+1])
			}
			if got := listener.ClientAddr(srv, r); got.String() != tc.want {
				t.Errorf("client %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := listener.ParseTrustedProxies([]string{" 10.0.0.0/8", "127.0.0.1", "", "2001:db8::/32", "10.1.2.3/16"})
	if err != nil || fmt.Sprint(got) != "[10.0.0.0/8 127.0.0.1/32 2001:db8::/32 10.1.0.0/16]" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "fe80::1%eth0"} {
		if _, err := listener.ParseTrustedProxies([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzClientAddress: whatever the headers say, the client is the peer or
// an address in them, never invalid.
func FuzzClientAddress(f *testing.F) {
	f.Add("1.2.3.4, 10.0.0.2", `for="[2001:db8::1]:4711";proto=https, for=10.0.0.3`)
	f.Add("", `for=unknown;by="a,\"b"`)
	srv := listener.New(listener.Config{PublicURL: "https://x.example", Secret: testSecret,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, listener.Deps{Hits: &fakeHits{}})
	f.Cleanup(func() { srv.Shutdown(f.Context()) })
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := httptest.NewRequest("GET", "/healthz", nil)
		r.RemoteAddr = "10.0.0.1:1"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		r.Header.Set("Forwarded", fwd)
		if a := listener.ClientAddr(srv, r); !a.IsValid() || a.Zone() != "" {
			t.Fatalf("client %v", a)
		}
	})
}
