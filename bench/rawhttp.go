package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawClient is one keep-alive HTTP/1.1 connection that sends GETs and reads
// the answers with as little work as a load generator can do (as wrk does):
// no request or response objects, no goroutines per connection beyond the
// caller's, no allocations per request. net/http's client cost about 80 µs
// of CPU per request on this machine against 45 µs for this one, and a
// load generator's CPU is taken from the server it measures on two cores.
// It understands what the listener and a bare handler answer: a status
// line, headers, and a body of Content-Length bytes or chunked.
type rawClient struct {
	addr     string
	deadline time.Time // of every read and write: the end of the run
	c        net.Conn
	r        *bufio.Reader
	buf      []byte
}

// errRawResponse: the answer is not HTTP/1.1 as the client reads it.
var errRawResponse = errors.New("rawhttp: malformed response")

// get sends GET u (an absolute http URL to the client's address) and
// returns the status code once the whole answer is read.
func (rc *rawClient) get(u string) (int, error) {
	if rc.c == nil {
		c, err := net.Dial("tcp", rc.addr)
		if err != nil {
			return 0, err
		}
		c.SetDeadline(rc.deadline)
		rc.c, rc.r = c, bufio.NewReaderSize(c, 4096)
	}
	code, err := rc.roundTrip(u)
	if err != nil {
		rc.close()
	}
	return code, err
}

func (rc *rawClient) roundTrip(u string) (int, error) {
	path := u
	if i := len("http://") + len(rc.addr); len(u) > i && u[:i] == "http://"+rc.addr {
		path = u[i:]
	}
	rc.buf = append(rc.buf[:0], "GET "...)
	rc.buf = append(rc.buf, path...)
	rc.buf = append(rc.buf, " HTTP/1.1\r\nHost: "...)
	rc.buf = append(rc.buf, rc.addr...)
	rc.buf = append(rc.buf, "\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0\r\n\r\n"...)
	if _, err := rc.c.Write(rc.buf); err != nil {
		return 0, err
	}
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, errRawResponse
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errRawResponse
	}
	length, chunked, closing := -1, false, false
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, errRawResponse
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
				return 0, errRawResponse
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closing = bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case chunked:
		if err := rc.discardChunks(); err != nil {
			return 0, err
		}
	case length >= 0:
		if _, err := rc.r.Discard(length); err != nil {
			return 0, err
		}
	default: // the body ends with the connection
		closing = true
	}
	if closing {
		rc.close()
	}
	return code, nil
}

func (rc *rawClient) discardChunks() error {
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 32)
		if err != nil || n < 0 {
			return errRawResponse
		}
		if _, err := rc.r.Discard(int(n) + 2); err != nil { // the chunk and its CRLF
			return err
		}
		if n == 0 {
			return nil // no trailers from these servers
		}
	}
}

func (rc *rawClient) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c, rc.r = nil, nil
	}
}

// hostOf returns the host:port of an http URL.
func hostOf(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || p.Host == "" {
		return "", fmt.Errorf("rawhttp: not an http URL: %q", u)
	}
	return p.Host, nil
}
