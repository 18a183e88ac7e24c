package listener_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// countHits is a HitRecorder that only counts (the store is not measured).
type countHits struct{ n atomic.Int64 }

func (c *countHits) RecordHits(_ context.Context, h []resonanz.Hit) error {
	c.n.Add(int64(len(h)))
	return nil
}

// serve runs h on a loopback port with the same timeouts the listener uses.
func serve(tb testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	tb.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// BenchmarkOpenPixel measures open-pixel hits over loopback (client and
// server share the machine) and, in the same run, a bare net/http handler
// that writes the same GIF, reporting hits/s, p99 and the ratio listener/bare.
// Three interleaved rounds of max(b.N, 20000) requests, 32 connections.
// Rate limiting is off: a real audience comes from many addresses.
func BenchmarkOpenPixel(b *testing.B) {
	const conc = 32
	n := max(b.N, 20000)
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	bare := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(gif)
	}))
	hits := &countHits{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv := listener.New(listener.Config{PublicURL: base, Secret: testSecret, TrackRate: -1}, listener.Deps{Hits: hits})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx, ln) }()
	urls, _ := listener.NewURLs(base, srv.Signer())
	pixel := urls.Open(123456, 7890123)

	b.ResetTimer()
	// Alternate rounds and keep each side's best: the machine is shared, and
	// interleaving exposes both to the same background noise.
	var rate, bareRate float64
	var p99, bareP99 time.Duration
	for range 3 {
		r, p, err := listener.LoadTest(ctx, bare+"/o/x", n, conc)
		if err != nil {
			b.Fatal(err)
		}
		if r > bareRate {
			bareRate, bareP99 = r, p
		}
		if r, p, err = listener.LoadTest(ctx, pixel, n, conc); err != nil {
			b.Fatal(err)
		}
		if r > rate {
			rate, p99 = r, p
		}
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if got := hits.n.Load(); got != 3*int64(n) {
		b.Fatalf("recorded %d hits, want %d", got, n)
	}
	b.ReportMetric(rate, "hits/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(bareRate, "bare-hits/s")
	b.ReportMetric(float64(bareP99.Microseconds())/1000, "bare-p99-ms")
	b.ReportMetric(rate/bareRate, "ratio")
	b.ReportMetric(0, "ns/op")
}

// TestDependencies enforces the dependency rule: the listener imports only
// the standard library, golang.org/x and the domain package.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/resonanz/resonanz/backend/listener").Output()
	if err != nil {
		t.Skip("go list unavailable:", err)
	}
	for _, p := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(p, "/")
		switch {
		case !strings.Contains(first, "."), strings.HasPrefix(p, "golang.org/x/"),
			p == "github.com/resonanz/resonanz/backend/resonanz", p == "github.com/resonanz/resonanz/backend/listener":
		default:
			t.Errorf("listener depends on %s", p)
		}
	}
}

// appendCount is a HitAppender that only counts.
type appendCount struct{ countHits }

func (a *appendCount) AppendHit(h resonanz.Hit) error {
	a.n.Add(1)
	return nil
}

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkOpenHandler is the listener's own work for one open pixel (no
// network, no store): route, token check, hit, answer. Its allocations are
// what the garbage collector pays per hit.
func BenchmarkOpenHandler(b *testing.B) {
	hits := &appendCount{}
	srv := listener.New(listener.Config{PublicURL: "http://listener.test", Secret: testSecret, TrackRate: -1}, listener.Deps{Hits: hits})
	urls, _ := listener.NewURLs("http://listener.test", srv.Signer())
	req, err := http.NewRequest(http.MethodGet, urls.Open(123456, 7890123), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.RemoteAddr = "192.0.2.7:40000"
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0")
	h := srv.Handler()
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if hits.n.Load() == 0 {
		b.Fatal("no hit appended")
	}
}
