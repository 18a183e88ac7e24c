package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRawClient: the load generator's client reads what servers answer —
// a sized body, a chunked one, an error page, a server that closes the
// connection — and keeps the connection where it may.
func TestRawClient(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "" || r.Method != http.MethodGet {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/gif":
			w.Header().Set("Content-Length", "6")
			w.Write([]byte("GIF89a"))
		case "/chunked":
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush() // no Content-Length: chunked
			w.Write([]byte("tail"))
		case "/busy":
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Busy.", http.StatusServiceUnavailable)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	rc := &rawClient{addr: strings.TrimPrefix(srv.URL, "http://"), deadline: time.Now().Add(10 * time.Second)}
	defer rc.close()
	for _, tc := range []struct {
		path  string
		code  int
		conns int32 // connections opened so far
	}{
		{"/gif", 200, 1}, {"/gif", 200, 1}, {"/chunked", 200, 1}, {"/busy", 503, 1}, {"/nope", 404, 1},
		{"/close", 200, 1}, {"/gif", 200, 2},
	} {
		code, err := rc.get(srv.URL + tc.path)
		if err != nil || code != tc.code {
			t.Fatalf("GET %s: %d, %v; want %d", tc.path, code, err, tc.code)
		}
		if n := conns.Load(); n != tc.conns {
			t.Errorf("after GET %s: %d connections, want %d", tc.path, n, tc.conns)
		}
	}
}
