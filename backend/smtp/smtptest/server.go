// Package smtptest provides an in-process SMTP server for tests and
// benchmarks: EHLO/HELO, optional STARTTLS with a generated self-signed
// certificate, AUTH PLAIN/LOGIN, MAIL/RCPT/DATA/RSET/NOOP/QUIT. It records
// received messages, or only counts them in sink mode, and can be told to
// reject recipients or drop connections.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// MaxMessageSize is the largest message DATA accepts (552 beyond).
const MaxMessageSize = 50 << 20

// Options configure a Server. The zero value is a plain-text server without
// authentication that records every message.
type Options struct {
	// TLS offers STARTTLS with a self-signed certificate for 127.0.0.1 and
	// localhost; clients trust it through Server.ClientTLSConfig or CAPool.
	TLS bool
	// ImplicitTLS speaks TLS from the first byte (like port 465) instead of
	// offering STARTTLS; it implies TLS.
	ImplicitTLS bool
	// Username and Password, when Username is set, require AUTH (PLAIN or
	// LOGIN) before MAIL. With TLS, AUTH is only offered after STARTTLS.
	Username, Password string
	// Sink only counts messages instead of keeping them: for benchmarks.
	Sink bool
	// Reject maps recipient addresses (case-insensitive) to the reply code
	// RCPT gets, e.g. 550 or 451.
	Reject map[string]int
	// DropAfter > 0 closes a connection right after it had DropAfter
	// messages accepted (after the 250 reply), to test reconnects.
	DropAfter int
	// Drop421 makes DropAfter polite: the command after the last accepted
	// message is answered "421 4.3.2 closing" before the server hangs up.
	Drop421 bool
	// NoPipelining stops advertising PIPELINING (RFC 2920).
	NoPipelining bool
	// Hostname is announced in the greeting; default "smtptest.local".
	Hostname string
	// Delay, when set, holds every reply until Delay after the command it
	// answers arrived, like a server at that round-trip time: commands a
	// client pipelines in one write get their replies together, one Delay
	// later.
	Delay time.Duration
	// Accept, when set, is called with every complete message before the
	// server replies to its DATA: nil accepts it (250, recorded and
	// counted), an error refuses it with a 451 reply carrying the error's
	// text. It may block: the client then waits for the reply, which lets a
	// test hold a message "in the server" (taken, not yet confirmed). It is
	// called from the connections' goroutines concurrently. In Sink mode
	// the message's Data is empty.
	Accept func(m Message) error
}

// Message is one received message.
type Message struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	Data []byte   // the message as received, dot-unstuffed, CRLF line ends
}

// Server is a running SMTP server on 127.0.0.1. Its methods are safe for
// concurrent use.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// Host is "127.0.0.1" and Port the listening port.
	Host string
	Port int
	// CAPool holds the self-signed certificate when Options.TLS is set.
	CAPool *x509.CertPool

	opts    Options
	ln      net.Listener
	tlsConf *tls.Config

	mu       sync.Mutex
	msgs     []Message
	reject   map[string]int
	conns    map[net.Conn]struct{}
	closed   bool
	count    atomic.Int64
	nconns   atomic.Int64
	authFail atomic.Int64
	wg       sync.WaitGroup
}

// Start starts a server and closes it when tb's test ends; it fails tb when
// the server cannot start.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// NewServer starts a server listening on 127.0.0.1:0. Call Close when done.
func NewServer(opts Options) (*Server, error) {
	if opts.Hostname == "" {
		opts.Hostname = "smtptest.local"
	}
	s := &Server{opts: opts, reject: map[string]int{}, conns: map[net.Conn]struct{}{}}
	for k, v := range opts.Reject {
		s.reject[strings.ToLower(k)] = v
	}
	if opts.ImplicitTLS {
		opts.TLS = true
		s.opts.TLS = true
	}
	if opts.TLS {
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.CAPool = pool
		s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

var (
	certOnce sync.Once
	certVal  tls.Certificate
	certPool *x509.CertPool
	certErr  error
)

// selfSigned returns one certificate per process: generating keys is slow
// and tests start many servers.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "smtptest"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			DNSNames:              []string{"localhost"},
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			certErr = err
			return
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			certErr = err
			return
		}
		certVal = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
		certPool = x509.NewCertPool()
		certPool.AddCert(leaf)
	})
	return certVal, certPool, certErr
}

// ClientTLSConfig returns a client configuration that trusts the server's
// certificate (nil without Options.TLS).
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.CAPool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.CAPool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// Reject makes RCPT for addr answer with code (e.g. 550, 451); 0 removes
// the rule.
func (s *Server) Reject(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.reject, strings.ToLower(addr))
	} else {
		s.reject[strings.ToLower(addr)] = code
	}
}

// Messages returns a copy of the list of recorded messages (empty in sink mode).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages were accepted.
func (s *Server) Count() int64 { return s.count.Load() }

// Connections returns how many connections were accepted.
func (s *Server) Connections() int64 { return s.nconns.Load() }

// AuthFailures returns how many AUTH attempts failed.
func (s *Server) AuthFailures() int64 { return s.authFail.Load() }

// Close stops listening, closes open connections and waits for their
// goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.nconns.Add(1)
		go func() {
			defer s.wg.Done()
			sess := &session{s: s, conn: c, tls: s.opts.ImplicitTLS}
			sess.run()
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

type session struct {
	s        *Server
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	tls      bool
	authed   bool
	from     string
	hasFrom  bool
	rcpts    []string
	accepted int
	closing  bool // answer the next command with 421 and hang up
	buf      []byte
	due      time.Time // with Options.Delay: when the pending replies may go out
}

var errQuit = errors.New("quit")

func (ss *session) reply(format string, args ...any) {
	fmt.Fprintf(ss.w, format, args...)
	ss.w.WriteString("\r\n")
}

func (ss *session) flush() error {
	// Flush only when the client has nothing more queued (PIPELINING).
	if ss.r.Buffered() > 0 {
		return nil
	}
	return ss.flushNow()
}

// flushNow sends the pending replies, after Options.Delay.
func (ss *session) flushNow() error {
	if !ss.due.IsZero() {
		time.Sleep(time.Until(ss.due))
		ss.due = time.Time{}
	}
	return ss.w.Flush()
}

// arrived notes a command's (or a message body's) arrival for Options.Delay.
func (ss *session) arrived() {
	if ss.s.opts.Delay > 0 && ss.due.IsZero() {
		ss.due = time.Now().Add(ss.s.opts.Delay)
	}
}

func (ss *session) run() {
	ss.r = bufio.NewReaderSize(ss.conn, 64<<10)
	ss.w = bufio.NewWriterSize(ss.conn, 4<<10)
	ss.reply("220 %s ESMTP smtptest", ss.s.opts.Hostname)
	if ss.w.Flush() != nil {
		return
	}
	for {
		line, err := ss.readLine()
		if err != nil {
			return
		}
		ss.arrived()
		if err := ss.command(line); err != nil {
			ss.w.Flush()
			return
		}
		if err := ss.flush(); err != nil {
			return
		}
	}
}

func (ss *session) readLine() (string, error) {
	line, err := ss.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A command line longer than 64 KiB: refuse and hang up.
		return "", err
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (ss *session) resetTx() {
	ss.from, ss.hasFrom, ss.rcpts = "", false, ss.rcpts[:0]
}

func (ss *session) authRequired() bool { return ss.s.opts.Username != "" }

func (ss *session) authOffered() bool {
	return ss.authRequired() && (ss.tls || ss.s.tlsConf == nil)
}

func (ss *session) command(line string) error {
	if ss.closing {
		ss.reply("421 4.3.2 Service shutting down, closing channel")
		return errQuit
	}
	verb, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "EHLO":
		ss.resetTx()
		ss.reply("250-%s greets %s", ss.s.opts.Hostname, arg)
		if !ss.s.opts.NoPipelining {
			ss.reply("250-PIPELINING")
		}
		ss.reply("250-ENHANCEDSTATUSCODES")
		ss.reply("250-8BITMIME")
		ss.reply("250-SIZE %d", MaxMessageSize)
		if ss.s.tlsConf != nil && !ss.tls {
			ss.reply("250-STARTTLS")
		}
		if ss.authOffered() {
			ss.reply("250-AUTH PLAIN LOGIN")
		}
		ss.reply("250 HELP")
	case "HELO":
		ss.resetTx()
		ss.reply("250 %s", ss.s.opts.Hostname)
	case "STARTTLS":
		if ss.s.tlsConf == nil || ss.tls {
			ss.reply("502 5.5.1 STARTTLS not available")
			return nil
		}
		ss.reply("220 2.0.0 Ready to start TLS")
		if err := ss.w.Flush(); err != nil {
			return err
		}
		tc := tls.Server(ss.conn, ss.s.tlsConf)
		if err := tc.Handshake(); err != nil {
			return err
		}
		ss.conn, ss.tls = tc, true
		ss.r = bufio.NewReaderSize(tc, 64<<10)
		ss.w = bufio.NewWriterSize(tc, 4<<10)
		ss.resetTx()
		ss.authed = false
	case "AUTH":
		return ss.auth(arg)
	case "MAIL":
		if ss.authRequired() && !ss.authed {
			ss.reply("530 5.7.0 Authentication required")
			return nil
		}
		addr, ok := path(arg, "FROM:")
		if !ok {
			ss.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
			return nil
		}
		ss.resetTx()
		ss.from, ss.hasFrom = addr, true
		ss.reply("250 2.1.0 OK")
	case "RCPT":
		if !ss.hasFrom {
			ss.reply("503 5.5.1 MAIL first")
			return nil
		}
		addr, ok := path(arg, "TO:")
		if !ok || addr == "" {
			ss.reply("501 5.5.4 Syntax: RCPT TO:<address>")
			return nil
		}
		ss.s.mu.Lock()
		code := ss.s.reject[strings.ToLower(addr)]
		ss.s.mu.Unlock()
		switch {
		case code >= 500:
			ss.reply("%d 5.1.1 <%s>: Recipient address rejected", code, addr)
		case code >= 400:
			ss.reply("%d 4.2.0 <%s>: Recipient temporarily unavailable", code, addr)
		default:
			ss.rcpts = append(ss.rcpts, addr)
			ss.reply("250 2.1.5 OK")
		}
	case "DATA":
		if len(ss.rcpts) == 0 {
			ss.reply("503 5.5.1 RCPT first")
			return nil
		}
		ss.reply("354 End data with <CR><LF>.<CR><LF>")
		if err := ss.flushNow(); err != nil {
			return err
		}
		err := ss.data()
		ss.arrived() // the reply answers the body's last line
		return err
	case "RSET":
		ss.resetTx()
		ss.reply("250 2.0.0 OK")
	case "NOOP":
		ss.reply("250 2.0.0 OK")
	case "VRFY":
		ss.reply("252 2.1.5 Cannot VRFY user")
	case "QUIT":
		ss.reply("221 2.0.0 Bye")
		return errQuit
	default:
		ss.reply("502 5.5.2 Command not recognized")
	}
	return nil
}

// path extracts the address from "FROM:<a> params" / "TO:<a>".
func path(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

func (ss *session) auth(arg string) error {
	if !ss.authOffered() {
		ss.reply("503 5.5.1 AUTH not available")
		return nil
	}
	if ss.authed {
		ss.reply("503 5.5.1 Already authenticated")
		return nil
	}
	mech, initial, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if initial == "" {
			ss.reply("334 ")
			if err := ss.w.Flush(); err != nil {
				return err
			}
			l, err := ss.readLine()
			if err != nil {
				return err
			}
			initial = l
		}
		raw, err := base64.StdEncoding.DecodeString(initial)
		if err != nil {
			ss.reply("501 5.5.2 Cannot decode response")
			return nil
		}
		parts := bytes.Split(raw, []byte{0})
		if len(parts) != 3 {
			ss.reply("501 5.5.2 Malformed PLAIN response")
			return nil
		}
		user, pass = string(parts[1]), string(parts[2])
	case "LOGIN":
		var vals [2]string
		prompts := [2]string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"} // "Username:", "Password:"
		for i := range vals {
			if i == 0 && initial != "" {
				v, err := base64.StdEncoding.DecodeString(initial)
				if err != nil {
					ss.reply("501 5.5.2 Cannot decode response")
					return nil
				}
				vals[0] = string(v)
				continue
			}
			ss.reply("334 %s", prompts[i])
			if err := ss.w.Flush(); err != nil {
				return err
			}
			l, err := ss.readLine()
			if err != nil {
				return err
			}
			v, err := base64.StdEncoding.DecodeString(l)
			if err != nil {
				ss.reply("501 5.5.2 Cannot decode response")
				return nil
			}
			vals[i] = string(v)
		}
		user, pass = vals[0], vals[1]
	default:
		ss.reply("504 5.5.4 Unrecognized authentication type")
		return nil
	}
	if user != ss.s.opts.Username || pass != ss.s.opts.Password {
		ss.s.authFail.Add(1)
		ss.reply("535 5.7.8 Authentication credentials invalid")
		return nil
	}
	ss.authed = true
	ss.reply("235 2.7.0 Authentication successful")
	return nil
}

// data reads the message up to the lone "." line, dot-unstuffing.
func (ss *session) data() error {
	sink := ss.s.opts.Sink
	ss.buf = ss.buf[:0]
	atStart, size := true, 0
	for {
		line, err := ss.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		full := err == nil
		if atStart {
			if full && (string(line) == ".\r\n" || string(line) == ".\n") {
				break
			}
			if len(line) > 0 && line[0] == '.' {
				line = line[1:]
			}
		}
		atStart = full
		size += len(line)
		if !sink && size <= MaxMessageSize {
			ss.buf = append(ss.buf, line...)
		}
	}
	if size > MaxMessageSize {
		ss.reply("552 5.3.4 Message too big")
		ss.resetTx()
		return nil
	}
	if accept := ss.s.opts.Accept; accept != nil {
		m := Message{From: ss.from, To: append([]string(nil), ss.rcpts...), Data: append([]byte(nil), ss.buf...)}
		if err := accept(m); err != nil {
			ss.resetTx()
			ss.reply("451 4.3.0 %s", strings.ReplaceAll(err.Error(), "\n", " "))
			return nil
		}
	}
	if !sink {
		m := Message{From: ss.from, To: append([]string(nil), ss.rcpts...), Data: append([]byte(nil), ss.buf...)}
		ss.s.mu.Lock()
		ss.s.msgs = append(ss.s.msgs, m)
		ss.s.mu.Unlock()
	}
	ss.s.count.Add(1)
	ss.accepted++
	ss.resetTx()
	ss.reply("250 2.0.0 OK queued as %s", strconv.Itoa(ss.accepted))
	if n := ss.s.opts.DropAfter; n > 0 && ss.accepted%n == 0 {
		if ss.s.opts.Drop421 {
			ss.closing = true
			return nil
		}
		ss.w.Flush()
		return errors.New("drop")
	}
	return nil
}
