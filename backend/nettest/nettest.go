// Package nettest holds network checks shared by the servers' tests.
package nettest

import (
	"errors"
	"fmt"
	"io"
	"net"
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
