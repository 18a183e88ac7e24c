// Package nettest holds network checks shared by the servers' tests: a
// slowloris client and a reverse proxy in front of a server.
package nettest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"
)

// Slowloris sends the request line requestLine (e.g. "GET /healthz
// HTTP/1.1") to addr and then one header line every 20 ms, like a client
// that trickles its headers; it fails tb unless the server closes the
// connection within 10 s, and returns what the server answered.
func Slowloris(tb testing.TB, addr, requestLine string) string {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		fmt.Fprintf(c, "%s\r\nHost: %s\r\n", requestLine, addr)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := fmt.Fprintf(c, "X-Slow-%d: x\r\n", i); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Fatal("the server kept a client that trickles its headers for 10 s")
	}
	return string(b)
}

// ReverseProxy puts a Go reverse proxy in front of the server at target
// (a URL) and returns the proxy's URL. It is configured like the README's
// Caddyfile and nginx snippet: it keeps the Host, appends the peer it sees
// to X-Forwarded-For ($proxy_add_x_forwarded_for) and sets
// X-Forwarded-Proto/-Host. A test plays many clients through one proxy:
// the header X-Test-Peer is the address the proxy sees the client connect
// from (it is not forwarded).
func ReverseProxy(tb testing.TB, target string) string {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host
		pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
		pr.SetXForwarded()
	}}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if peer := r.Header.Get("X-Test-Peer"); peer != "" {
			r.RemoteAddr = peer
			r.Header.Del("X-Test-Peer")
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(front.Close)
	return front.URL
}
