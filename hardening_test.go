//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/nettest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// The listener's and the browser bridge's own protections are tested at
// their packages (backend/listener TestSecurityHeaders, TestRateLimit,
// TestUnsubscribe/ErrTooLarge and CSRF, TestServeAndShutdown, TestSlowloris;
// backend/desktop TestBridge_Auth). These tests run them as the program.

// TestDefaultAddrsAreLoopback: serve and listen bind to loopback unless an
// address is given.
func TestDefaultAddrsAreLoopback(t *testing.T) {
	for _, addr := range []string{defaultServeAddr, defaultListenAddr} {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("default address %q is not loopback", addr)
		}
	}
}

// TestListen_SIGTERMFlushesHits runs `resonanz listen` as a process, sends it
// tracking hits, stops it with SIGTERM and counts what it stored: every hit,
// personal or anonymous, is in the store (graceful shutdown writes the
// group-commit queue).
func TestListen_SIGTERMFlushesHits(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	a, err := NewApp(ctx, data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ben, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "ben@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.consentSvc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: anna.ID, Purpose: resonanz.PurposeTrackingOpens, Granted: true,
		At: time.Now().Add(-time.Hour), Source: resonanz.SourceForm, Wording: "Ja, Öffnungen auswerten"}); err != nil {
		t.Fatal(err)
	}

	c := startChild(t, "--data", data, "--json", "listen", "--addr", "127.0.0.1:0", "--track-rate", "-1")
	waitUntil(t, c, "the ready line", func() bool { return strings.Contains(c.stdout.String(), "\n") })
	var info struct{ Addr, PublicURL string }
	if err := json.Unmarshal([]byte(c.stdout.String()), &info); err != nil || !strings.HasPrefix(info.Addr, "127.0.0.1:") {
		t.Fatalf("ready line %q: %v", c.stdout.String(), err)
	}
	// The same per-installation secret signs the URLs.
	srv, err := a.newListener(info.Addr, info.PublicURL, 0, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	urls, err := listener.NewURLs(info.PublicURL, srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	const personal, anonymous = 200, 100
	for i := range personal + anonymous {
		who := anna.ID
		if i >= personal {
			who = ben.ID
		}
		resp, err := http.Get(urls.Open(m.ID, who))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("hit %d: %d", i, resp.StatusCode)
		}
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t); code != 0 {
		t.Fatalf("listen exited %d after SIGTERM: %s", code, c.stderr.String())
	}
	checkIntegrity(t, data)
	db := peekStore(t, data)
	if n := count(t, db, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ? AND mailing_id = ?`, anna.ID, m.ID); n != personal {
		t.Errorf("%d personal opens stored, want %d", n, personal)
	}
	if n := count(t, db, `SELECT COALESCE(SUM(n), 0) FROM reaction_anon WHERE mailing_id = ?`, m.ID); n != anonymous {
		t.Errorf("%d anonymous opens counted, want %d", n, anonymous)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, ben.ID); n != 0 {
		t.Errorf("%d personal rows for the person without consent", n)
	}
}

// TestRun_ServeHardening runs `resonanz serve` and checks, over TCP, what a
// hostile client meets: security headers on every answer (refusals too), 413
// for an oversized API body, 403 for a foreign Host, and the cut-off of a
// client that trickles its headers.
func TestRun_ServeHardening(t *testing.T) {
	old := serveReadHeaderTimeout
	serveReadHeaderTimeout = 200 * time.Millisecond
	defer func() { serveReadHeaderTimeout = old }()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--data", filepath.Join(t.TempDir(), "data"), "--json", "serve", "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	var info ServeInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string, header map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+info.Addr+path, strings.NewReader(body))
		for k, v := range header {
			if k == "Host" {
				req.Host = v
			}
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	token := map[string]string{"X-Resonanz-Token": info.Token}
	for _, tt := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
	}{
		{"PageWithoutToken", "GET", "/", "", nil, 401},
		{"APIWithoutToken", "POST", "/api/System/Info", "[]", nil, 401},
		{"APIWithCookieOnly", "POST", "/api/System/Info", "[]", map[string]string{"Cookie": "resonanz_token=" + info.Token}, 401},
		{"APIWithAssetCookie", "POST", "/api/System/Info", "[]", map[string]string{"Cookie": "resonanz_assets=" + info.Token}, 401},
		{"ForeignHost", "POST", "/api/System/Info", "[]", map[string]string{"X-Resonanz-Token": info.Token, "Host": "attacker.example:8484"}, 403},
		// Just beyond the 4 MiB limit: the server can drain the rest and
		// answer on a healthy connection.
		{"OversizedBody", "POST", "/api/Settings/SaveSender", `[{"fromName":"` + strings.Repeat("x", 4<<20) + `"}]`, token, 413},
		{"OK", "POST", "/api/System/Info", "[]", token, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(tt.method, tt.path, tt.body, tt.header)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
				h.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("security headers missing: %v", h)
			}
		})
	}
	t.Run("Slowloris", func(t *testing.T) {
		nettest.Slowloris(t, info.Addr, "GET /?token="+info.Token+" HTTP/1.1")
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}
