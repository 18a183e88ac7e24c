package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	mail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SendError is the per-message error returned by Mailer.Send when a message
// was not accepted.
type SendError struct {
	// Code is the SMTP reply code (like 550 or 451); 0 when the failure was
	// not an SMTP reply (network, TLS, cancellation).
	Code int
	// Enhanced is the enhanced status code (like "5.1.1") when the server
	// sent one.
	Enhanced string
	// Permanent is true for 5xx replies: retrying will not help, the
	// address should be treated as bounced.
	Permanent bool
	// Recipient is the address of the message.
	Recipient string
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("smtp: %s failure for %s: %v", kind, e.Recipient, e.Err)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// PermanentFailure makes resonanz.IsPermanentFailure see 5xx refusals.
func (e *SendError) PermanentFailure() bool { return e.Permanent }

// IsPermanent reports whether err (a per-message error from Send) means the
// message can never be delivered as it is: a 5xx reply from the server or an
// invalid message. Temporary failures (4xx, network, timeouts, cancellation)
// and nil report false; the send runner retries those later.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return se.Permanent
	}
	return resonanz.ErrorCode(err) == resonanz.EINVALID
}

// Mailer sends messages over SMTP with a pool of kept-alive connections. It
// implements resonanz.Mailer and is safe for concurrent use.
type Mailer struct {
	cfg Config
	// client dials, says EHLO, does STARTTLS and AUTH; the resulting
	// *gosmtp.Client connections send the messages.
	client *mail.Client

	// slots holds one token per connection a worker may use; it bounds the
	// open connections across concurrent Send calls.
	slots chan struct{}

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

var _ resonanz.Mailer = (*Mailer)(nil)

// conn is one SMTP session and the raw network connection below it, whose
// deadline Send moves into the past to abort blocking IO on cancellation.
type conn struct {
	sc  *gosmtp.Client
	raw net.Conn
}

type rawConnKey struct{}

// NewMailer validates cfg and returns a Mailer. It does not connect; the first
// Send (or Verify) does.
func NewMailer(cfg Config) (*Mailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}
	opts := []mail.Option{
		mail.WithPort(cfg.Port),
		mail.WithTimeout(cfg.Timeout),
		mail.WithTLSConfig(tlsConfig),
		mail.WithDialContextFunc(dialFunc(cfg, tlsConfig)),
	}
	switch cfg.Security {
	case SecuritySTARTTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		// Implicit TLS is done by dialFunc; go-mail must not try STARTTLS
		// on top of it, and SecurityNone means plain text.
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if cfg.HELO != "" {
		opts = append(opts, mail.WithHELO(cfg.HELO))
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password),
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin))
	}
	c, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: new client: %w", err)
	}
	return &Mailer{cfg: cfg, client: c, slots: make(chan struct{}, cfg.MaxConnections)}, nil
}

// dialFunc dials TCP (and TLS for SecurityTLS) and records the raw connection
// in the *net.Conn found in ctx.
func dialFunc(cfg Config, tlsConfig *tls.Config) mail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if h, ok := ctx.Value(rawConnKey{}).(*rawHolder); ok {
			h.set(raw)
		}
		if cfg.Security != SecurityTLS {
			return raw, nil
		}
		tc := tls.Client(raw, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		// Return the *tls.Conn itself: go-mail's SMTP client checks the
		// type to know the session is encrypted before sending a password.
		return tc, nil
	}
}

// rawHolder passes the raw connection out of dialFunc and aborts it when
// the caller's context ends while go-mail is still greeting, doing STARTTLS
// or authenticating (go-mail only honours ctx while dialing).
type rawHolder struct {
	mu        sync.Mutex
	conn      net.Conn
	cancelled bool
}

func (h *rawHolder) set(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conn = c
	if h.cancelled {
		c.Close()
	}
}

func (h *rawHolder) cancel() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cancelled = true
	if h.conn != nil {
		// Close rather than a past deadline: go-mail resets deadlines.
		h.conn.Close()
	}
}

func (mlr *Mailer) dial(ctx context.Context) (*conn, error) {
	h := &rawHolder{}
	stop := context.AfterFunc(ctx, h.cancel)
	sc, err := mlr.client.DialToSMTPClientWithContext(context.WithValue(ctx, rawConnKey{}, h))
	fired := !stop()
	h.mu.Lock()
	raw := h.conn
	h.mu.Unlock()
	if err == nil && fired {
		sc.Close()
		err = ctx.Err()
	}
	if err != nil {
		if raw != nil {
			raw.Close()
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	return &conn{sc: sc, raw: raw}, nil
}

func (c *conn) close() {
	if c.raw != nil {
		c.raw.Close()
	}
	c.sc.Close()
}

func (mlr *Mailer) get(ctx context.Context) (*conn, error) {
	mlr.mu.Lock()
	if mlr.closed {
		mlr.mu.Unlock()
		return nil, errors.New("smtp: mailer is closed")
	}
	if n := len(mlr.idle); n > 0 {
		c := mlr.idle[n-1]
		mlr.idle = mlr.idle[:n-1]
		mlr.mu.Unlock()
		return c, nil
	}
	mlr.mu.Unlock()
	return mlr.dial(ctx)
}

func (mlr *Mailer) put(c *conn) {
	mlr.mu.Lock()
	defer mlr.mu.Unlock()
	if mlr.closed || len(mlr.idle) >= mlr.cfg.MaxConnections {
		go c.quit()
		return
	}
	mlr.idle = append(mlr.idle, c)
}

func (c *conn) quit() {
	if c.raw != nil {
		c.raw.SetDeadline(time.Now().Add(2 * time.Second))
	}
	c.sc.Quit()
	c.close()
}

// Close says QUIT on the idle connections and closes them. Send and Verify
// fail afterwards; a Send still running finishes and closes its connections.
func (mlr *Mailer) Close() error {
	mlr.mu.Lock()
	idle := mlr.idle
	mlr.idle, mlr.closed = nil, true
	mlr.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range idle {
		wg.Go(c.quit)
	}
	wg.Wait()
	return nil
}

// Send delivers msgs over up to Config.MaxConnections connections in
// parallel. When the server offers PIPELINING (and Config.NoPipelining is
// off), MAIL, RCPT and DATA of a message share one round trip; otherwise
// go-mail's SMTP client sends them one by one. perMessage[i] is nil when the
// server accepted msgs[i], otherwise a *SendError (or an EINVALID *resonanz.Error for a message that cannot be
// written); classify it with IsPermanent. A message whose connection fails is
// tried again on a new connection, up to Config.MaxAttempts times. err is set
// when the whole call failed: ctx was cancelled, or no connection could be
// made (then err carries a user-facing message as in Verify).
//
// Caveat: when a connection breaks after the final "." of DATA but before
// the reply, SMTP cannot tell whether the server took the message; Send
// retries it, so it may arrive twice. Send sets msgs[i].MessageID when empty.
func (mlr *Mailer) Send(ctx context.Context, msgs []*resonanz.Message) (perMessage []error, err error) {
	return mlr.SendNotify(ctx, msgs, nil)
}

// SendNotify is Send that also calls notify(i, err) as soon as the outcome of
// msgs[i] is known (err nil: the server accepted it), from the sending
// goroutines, concurrently: the send runner records acceptances while the
// rest of the batch is still on its way. notify is not called for messages no
// worker reached.
func (mlr *Mailer) SendNotify(ctx context.Context, msgs []*resonanz.Message, notify func(i int, err error)) (perMessage []error, err error) {
	perMessage = make([]error, len(msgs))
	if len(msgs) == 0 {
		return perMessage, ctx.Err()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	workers := min(mlr.cfg.MaxConnections, len(msgs))
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range msgs {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	done := make([]bool, len(msgs)) // each index is written by one worker only
	var wg sync.WaitGroup
	var fatalOnce sync.Once
	var fatal error
	for range workers {
		wg.Go(func() {
			w := worker{mlr: mlr, ctx: ctx}
			defer w.release()
			for i := range jobs {
				if msgs[i] == nil {
					perMessage[i], done[i] = resonanz.E(resonanz.EINVALID, "error.smtp.messageMissing", "The message is missing."), true
					continue
				}
				perMessage[i] = w.send(msgs[i])
				done[i] = true
				if notify != nil {
					notify(i, perMessage[i])
				}
				if w.fatal != nil {
					fatalOnce.Do(func() { fatal = w.fatal })
					cancel(w.fatal)
					return
				}
			}
		})
	}
	wg.Wait()
	if fatal == nil && ctx.Err() != nil {
		fatal = context.Cause(ctx)
	}
	for i, m := range msgs {
		if !done[i] {
			// No worker reached this message: the call failed or was cancelled.
			se := &SendError{Err: fatal}
			if m != nil {
				se.Recipient = m.To
			}
			perMessage[i] = se
		}
	}
	return perMessage, fatal
}

// worker owns at most one connection while a Send call runs.
type worker struct {
	mlr   *Mailer
	ctx   context.Context
	c     *conn
	stop  func() bool // stops the ctx watcher of c
	slot  bool        // holds a token of mlr.slots
	fatal error
	buf   bytes.Buffer // the rendered message, reused across messages
}

func (w *worker) acquire(fresh bool) error {
	if w.c != nil {
		return nil
	}
	if !w.slot {
		select {
		case w.mlr.slots <- struct{}{}:
			w.slot = true
		case <-w.ctx.Done():
			return context.Cause(w.ctx)
		}
	}
	get := w.mlr.get
	if fresh {
		// After a broken connection, the idle ones may be broken too (a
		// server restart, or its per-connection limit): dial anew.
		get = w.mlr.dial
	}
	c, err := get(w.ctx)
	if err != nil {
		return err
	}
	w.c = c
	raw := c.raw
	w.stop = context.AfterFunc(w.ctx, func() {
		// Unblock any read or write in progress. Close rather than a past
		// deadline, which the next UpdateDeadline would undo; the
		// connection is discarded afterwards anyway.
		if raw != nil {
			raw.Close()
		}
	})
	return nil
}

func (w *worker) drop() {
	if w.c == nil {
		return
	}
	w.stop()
	w.c.close()
	w.c = nil
}

func (w *worker) release() {
	if w.slot {
		defer func() { <-w.mlr.slots }()
		w.slot = false
	}
	if w.c == nil {
		return
	}
	if !w.stop() || w.ctx.Err() != nil {
		// The watcher fired (or is about to): the connection is closed.
		w.c.close()
	} else {
		w.c.raw.SetDeadline(time.Time{})
		w.mlr.put(w.c)
	}
	w.c = nil
}

func (w *worker) send(m *resonanz.Message) error {
	if err := w.ctx.Err(); err != nil {
		return &SendError{Recipient: m.To, Err: context.Cause(w.ctx)}
	}
	// Render once; every attempt sends the same bytes (same Message-ID).
	w.buf.Reset()
	if err := WriteMessage(&w.buf, m); err != nil {
		return err
	}
	ascii := isASCII(m.From.FromAddress) && isASCII(m.To)
	var last error
	for attempt := 0; attempt < w.mlr.cfg.MaxAttempts; attempt++ {
		if err := w.ctx.Err(); err != nil {
			return &SendError{Recipient: m.To, Err: context.Cause(w.ctx)}
		}
		if err := w.acquire(attempt > 0); err != nil {
			if w.ctx.Err() != nil {
				return &SendError{Recipient: m.To, Err: context.Cause(w.ctx)}
			}
			// Without a connection no other message gets through either.
			w.fatal = friendlyError(w.mlr.cfg, err)
			return &SendError{Recipient: m.To, Err: w.fatal}
		}
		sc := w.c.sc
		sender := m.From.FromAddress
		if m.ReturnPath != "" {
			sender = m.ReturnPath // validated by WriteMessage like the From address
		}
		from, to := envelopeAddress(sender), envelopeAddress(m.To)
		var err error
		if err = sc.UpdateDeadline(w.mlr.cfg.Timeout); err == nil {
			if ok, _ := sc.Extension("PIPELINING"); ok && ascii && !w.mlr.cfg.NoPipelining {
				err = sendPipelined(sc, from, to, w.buf.Bytes())
			} else {
				err = sendStepwise(sc, from, to, w.buf.Bytes())
			}
		}
		if err == nil {
			return nil
		}
		se := classify(m.To, err)
		if se.Code != 0 && se.Code != 421 {
			// The server answered: the session is still in a clean state
			// (RSET was sent after the failed command).
			return se
		}
		// Network failure or 421 (service closing): the connection is
		// gone; try again on a fresh one.
		w.drop()
		last = se
	}
	if w.ctx.Err() != nil {
		return &SendError{Recipient: m.To, Err: context.Cause(w.ctx)}
	}
	return last
}

// envelopeAddress returns "<addr>" with the local part quoted if needed, the
// form MAIL FROM and RCPT TO take.
func envelopeAddress(addr string) string {
	return (&netmail.Address{Address: addr}).String()
}

// sendStepwise sends one rendered message with go-mail's SMTP client, one
// command per round trip (servers without PIPELINING, SMTPUTF8 addresses).
func sendStepwise(sc *gosmtp.Client, from, to string, body []byte) error {
	err := sc.Mail(from)
	if err == nil {
		err = sc.Rcpt(to)
	}
	if err == nil {
		var wc io.WriteCloser
		if wc, err = sc.Data(); err == nil {
			if _, err = wc.Write(body); err != nil {
				return err // the connection is broken mid-DATA
			}
			return wc.Close()
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		// End the failed transaction so that the connection can be reused.
		if rerr := sc.Reset(); rerr != nil {
			return rerr
		}
	}
	return err
}

// classify turns an error from the SMTP client into a *SendError.
func classify(rcpt string, err error) *SendError {
	se := &SendError{Recipient: rcpt, Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		se.Code = te.Code
		se.Enhanced = enhancedCode(te.Msg)
	}
	se.Permanent = se.Code >= 500 && se.Code < 600
	return se
}

// Verify connects, says EHLO, does STARTTLS or TLS as configured,
// authenticates and quits: the Settings "test connection" button. Errors are
// *resonanz.Error values with a message for users (host not found, wrong
// password, TLS failure, ...) that also wrap the driver error for the log.
func (mlr *Mailer) Verify(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mlr.mu.Lock()
	closed := mlr.closed
	mlr.mu.Unlock()
	if closed {
		return errors.New("smtp: mailer is closed")
	}
	c, err := mlr.dial(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return friendlyError(mlr.cfg, err)
	}
	stop := context.AfterFunc(ctx, func() { c.raw.Close() })
	defer stop()
	if err := c.sc.Quit(); err != nil {
		c.close()
		return friendlyError(mlr.cfg, err)
	}
	c.close()
	return nil
}

// userError carries a user-facing *resonanz.Error and the driver error that
// caused it: resonanz.ErrorMessage finds the first, logs print both.
type userError struct {
	user  *resonanz.Error
	cause error
}

func (e *userError) Error() string {
	return e.user.Message + " (" + e.cause.Error() + ")"
}

func (e *userError) Unwrap() []error { return []error{e.user, e.cause} }

func friendlyError(cfg Config, err error) error {
	if err == nil {
		return nil
	}
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	hostport := fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	mk := func(field, key, msg string) error {
		return &userError{user: resonanz.FieldError(field, "error.smtp."+key, msg), cause: err}
	}
	var dnsErr *net.DNSError
	var te *textproto.Error
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &dnsErr):
		return mk("host", "hostNotFound", fmt.Sprintf("The SMTP server %q was not found. Check the host name.", cfg.Host))
	case errors.Is(err, syscall.ECONNREFUSED):
		return mk("port", "refused", fmt.Sprintf("The server %s refused the connection. Check the host name and port.", hostport))
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert), errors.As(err, &certErr):
		return mk("security", "certificate", fmt.Sprintf("The TLS certificate of %s is not trusted (%s). Check the host name; it must match the certificate.", cfg.Host, certReason(err)))
	case errors.As(err, &recErr), errors.As(err, &alert), strings.Contains(msg, "tls:"):
		return mk("security", "tls", fmt.Sprintf("The TLS handshake with %s failed. Check the port and the security setting (port 465 uses TLS, port 587 uses STARTTLS).", hostport))
	case strings.Contains(msg, "does not support STARTTLS"):
		return mk("security", "noStarttls", fmt.Sprintf("The server %s does not offer STARTTLS. Choose TLS if the port is 465; sending without encryption is not done silently.", hostport))
	case errors.As(err, &te) && (te.Code == 535 || te.Code == 534 || te.Code == 530 || te.Code == 454 && strings.Contains(strings.ToLower(te.Msg), "auth")):
		return mk("password", "auth", "The server rejected the user name or password.")
	case errors.Is(err, mail.ErrNoSupportedAuthDiscovered), strings.Contains(msg, "does not support SMTP AUTH"), strings.Contains(msg, "AUTH type"):
		return mk("username", "authUnsupported", "The server does not offer password login (AUTH) on this connection. Leave the user name empty or check the security setting.")
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return mk("host", "timeout", fmt.Sprintf("The server %s did not answer in time. Check host, port, the security setting (port 465 uses TLS, port 587 uses STARTTLS) and the firewall.", hostport))
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return mk("port", "closed", fmt.Sprintf("The server %s closed the connection. Check the port and the security setting.", hostport))
	case errors.As(err, &te):
		return mk("host", "rejected", fmt.Sprintf("The server %s refused: %d %s", hostport, te.Code, sanitizeReply(te.Msg)))
	}
	return mk("host", "connect", fmt.Sprintf("Could not connect to %s. Check host, port and security.", hostport))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func certReason(err error) string {
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &hostErr):
		return "issued for a different host name"
	case errors.As(err, &unknownCA):
		return "unknown certificate authority"
	}
	return "invalid or expired"
}

// sanitizeReply keeps a server's reply text short and printable.
func sanitizeReply(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return ' '
		}
		return r
	}, s)
	return truncate(s, 200)
}
