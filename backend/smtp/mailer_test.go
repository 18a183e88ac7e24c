package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// noPipelining makes mailerFor turn pipelining off; bothModes sets it.
var noPipelining bool

// bothModes runs fn with pipelining and with one command per round trip
// (Config.NoPipelining).
func bothModes(t *testing.T, fn func(t *testing.T)) {
	for _, off := range []bool{false, true} {
		name := "pipelined"
		if off {
			name = "stepwise"
		}
		t.Run(name, func(t *testing.T) {
			noPipelining = off
			defer func() { noPipelining = false }()
			fn(t)
		})
	}
}

// mailerFor returns a Mailer for srv (STARTTLS when srv offers it).
func mailerFor(tb testing.TB, srv *smtptest.Server, edit func(*smtp.Config)) *smtp.Mailer {
	tb.Helper()
	cfg := smtp.Config{
		Host: srv.Host, Port: srv.Port, Security: smtp.SecurityNone,
		HELO: "client.test", Timeout: 5 * time.Second, MaxConnections: 2, NoPipelining: noPipelining,
	}
	if srv.CAPool != nil {
		cfg.Security = smtp.SecuritySTARTTLS
		cfg.TLSConfig = srv.ClientTLSConfig()
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := smtp.NewMailer(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// batch returns n messages to distinct recipients r0@example.org, ...
func batch(n int) []*resonanz.Message {
	msgs := make([]*resonanz.Message, n)
	for i := range msgs {
		m := newsletter()
		m.To = fmt.Sprintf("r%d@example.org", i)
		m.Headers = map[string]string{"X-Resonanz-Seq": fmt.Sprint(i)}
		msgs[i] = m
	}
	return msgs
}

func mustAllOK(tb testing.TB, per []error, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("Send: %v", err)
	}
	for i, e := range per {
		if e != nil {
			tb.Fatalf("message %d: %v", i, e)
		}
	}
}

func TestSend_STARTTLSAuth(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "user", Password: "s3cret"})
		m := mailerFor(t, srv, func(c *smtp.Config) { c.Username, c.Password = "user", "s3cret" })
		msgs := batch(5)
		per, err := m.Send(context.Background(), msgs)
		mustAllOK(t, per, err)

		got := srv.Messages()
		if len(got) != 5 {
			t.Fatalf("server received %d messages, want 5", len(got))
		}
		seen := map[string]bool{}
		for _, rm := range got {
			if rm.From != "news@verein.example" || len(rm.To) != 1 {
				t.Errorf("envelope = %s -> %v", rm.From, rm.To)
			}
			seen[rm.To[0]] = true
			pm, err := mail.ReadMessage(bytes.NewReader(rm.Data))
			if err != nil {
				t.Fatal(err)
			}
			if to, _ := pm.Header.AddressList("To"); len(to) != 1 || to[0].Address != rm.To[0] {
				t.Errorf("header To %v does not match envelope %v", to, rm.To)
			}
			// The text part contains a line with a single "."; it must arrive
			// intact (dot-stuffed by the client, unstuffed by the server).
			if !bytes.Contains(rm.Data, []byte("\r\n.\r\n\r\nEine sehr lange")) {
				t.Error("dot line did not survive the transfer")
			}
		}
		for _, msg := range msgs {
			if !seen[msg.To] || msg.MessageID == "" {
				t.Errorf("%s: received=%v messageID=%q", msg.To, seen[msg.To], msg.MessageID)
			}
		}
		// The pool keeps its connections: a second batch reuses them and
		// dials at most up to the limit of 4 (how many workers the first
		// batch used depends on timing).
		conns := srv.Connections()
		per, err = m.Send(context.Background(), batch(4))
		mustAllOK(t, per, err)
		if fresh := srv.Connections() - conns; fresh > 4-conns {
			t.Errorf("second batch opened %d new connections next to %d pooled ones", fresh, conns)
		}
	})
}

func TestSend_ImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true, Username: "u", Password: "p"})
	t.Run("OK", func(t *testing.T) {
		m := mailerFor(t, srv, func(c *smtp.Config) {
			c.Security, c.Username, c.Password = smtp.SecurityTLS, "u", "p"
		})
		if err := m.Verify(context.Background()); err != nil {
			t.Fatal(err)
		}
		per, err := m.Send(context.Background(), batch(3))
		mustAllOK(t, per, err)
		if srv.Count() != 3 {
			t.Fatalf("count = %d", srv.Count())
		}
	})
	t.Run("ErrSTARTTLSOnTLSPort", func(t *testing.T) {
		// STARTTLS against a TLS port: the client waits for a plain-text
		// greeting that never comes and must fail with a clear message.
		m := mailerFor(t, srv, func(c *smtp.Config) {
			c.Security, c.Username, c.Password, c.Timeout = smtp.SecuritySTARTTLS, "u", "p", time.Second
		})
		err := m.Verify(context.Background())
		if resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Fatalf("err = %v", err)
		}
		t.Logf("user sees: %s", resonanz.ErrorMessage(err))
	})
	t.Run("ErrTLSOnSTARTTLSPort", func(t *testing.T) {
		plain := smtptest.Start(t, smtptest.Options{TLS: true})
		m := mailerFor(t, plain, func(c *smtp.Config) { c.Security = smtp.SecurityTLS; c.Timeout = 2 * time.Second })
		err := m.Verify(context.Background())
		var re *resonanz.Error
		if !errors.As(err, &re) || re.Field != "security" {
			t.Fatalf("err = %v, want a security error", err)
		}
		t.Logf("user sees: %s", resonanz.ErrorMessage(err))
		if plain.Count() != 0 {
			t.Fatal("a message was sent")
		}
	})
}

func TestVerify(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "user", Password: "s3cret"})
	t.Run("OK", func(t *testing.T) {
		m := mailerFor(t, srv, func(c *smtp.Config) { c.Username, c.Password = "user", "s3cret" })
		if err := m.Verify(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name, field, text string
		srv               *smtptest.Server
		edit              func(*smtp.Config)
	}{
		{"ErrWrongPassword", "password", "user name or password", srv, func(c *smtp.Config) { c.Username, c.Password = "user", "wrong" }},
		{"ErrUntrustedCertificate", "security", "certificate", srv, func(c *smtp.Config) {
			c.Username, c.Password = "user", "s3cret"
			c.TLSConfig = nil
		}},
		{"ErrNoSTARTTLS", "security", "STARTTLS", smtptest.Start(t, smtptest.Options{}), func(c *smtp.Config) { c.Security = smtp.SecuritySTARTTLS }},
		{"ErrHostNotFound", "host", "not found", srv, func(c *smtp.Config) { c.Host = "no-such-host.invalid" }},
		{"ErrRefused", "port", "refused", srv, func(c *smtp.Config) { c.Port = closedPort(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mailerFor(t, tc.srv, tc.edit)
			err := m.Verify(context.Background())
			var re *resonanz.Error
			if !errors.As(err, &re) || re.Code != resonanz.EINVALID || re.Field != tc.field {
				t.Fatalf("err = %v, want EINVALID on field %s", err, tc.field)
			}
			if msg := resonanz.ErrorMessage(err); !strings.Contains(msg, tc.text) {
				t.Errorf("message %q lacks %q", msg, tc.text)
			}
			t.Logf("user sees: %s", resonanz.ErrorMessage(err))
		})
	}
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestSend_ErrWrongPassword(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "user", Password: "s3cret"})
	m := mailerFor(t, srv, func(c *smtp.Config) { c.Username, c.Password = "user", "wrong" })
	per, err := m.Send(context.Background(), batch(3))
	if resonanz.ErrorCode(err) != resonanz.EINVALID || !strings.Contains(resonanz.ErrorMessage(err), "password") {
		t.Fatalf("err = %v, want the wrong-password error", err)
	}
	for i, e := range per {
		if e == nil || smtp.IsPermanent(e) {
			t.Errorf("message %d: %v; want a temporary error", i, e)
		}
	}
	if srv.Count() != 0 {
		t.Errorf("server accepted %d messages", srv.Count())
	}
}

func TestSend_Rejections(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Reject: map[string]int{"r1@example.org": 550, "r3@example.org": 451}})
		m := mailerFor(t, srv, func(c *smtp.Config) { c.MaxConnections = 1 })
		per, err := m.Send(context.Background(), batch(5))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range per {
			switch i {
			case 1:
				var se *smtp.SendError
				if !errors.As(e, &se) || se.Code != 550 || se.Enhanced != "5.1.1" || !smtp.IsPermanent(e) || se.Recipient != "r1@example.org" {
					t.Errorf("550 recipient: err = %#v, permanent = %v", e, smtp.IsPermanent(e))
				}
			case 3:
				var se *smtp.SendError
				if !errors.As(e, &se) || se.Code != 451 || smtp.IsPermanent(e) {
					t.Errorf("451 recipient: err = %v, permanent = %v", e, smtp.IsPermanent(e))
				}
			default:
				if e != nil {
					t.Errorf("message %d: %v", i, e)
				}
			}
		}
		if srv.Count() != 3 || srv.Connections() != 1 {
			t.Errorf("server: %d messages over %d connections, want 3 over 1", srv.Count(), srv.Connections())
		}
	})
}

func TestSend_ReconnectAfterDrop(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "u", Password: "p", DropAfter: 3})
		m := mailerFor(t, srv, func(c *smtp.Config) { c.Username, c.Password, c.MaxConnections = "u", "p", 1 })
		const n = 10
		per, err := m.Send(context.Background(), batch(n))
		mustAllOK(t, per, err)
		got := srv.Messages()
		if len(got) != n {
			t.Fatalf("server received %d messages, want %d", len(got), n)
		}
		count := map[string]int{}
		for _, rm := range got {
			count[rm.To[0]]++
		}
		for i := range n {
			if c := count[fmt.Sprintf("r%d@example.org", i)]; c != 1 {
				t.Errorf("r%d received %d times", i, c)
			}
		}
		if c := srv.Connections(); c != 4 {
			t.Errorf("connections = %d, want 4 (drop after 3, 6, 9)", c)
		}
	})
}

func TestSend_Reconnect421(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{DropAfter: 2, Drop421: true})
		m := mailerFor(t, srv, func(c *smtp.Config) { c.MaxConnections = 1 })
		per, err := m.Send(context.Background(), batch(5))
		mustAllOK(t, per, err)
		if srv.Count() != 5 || srv.Connections() != 3 {
			t.Errorf("accepted %d over %d connections, want 5 over 3", srv.Count(), srv.Connections())
		}
	})
}

func TestSend_ReconnectParallel(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{DropAfter: 7})
		m := mailerFor(t, srv, func(c *smtp.Config) { c.MaxConnections = 4 })
		const n = 200
		per, err := m.Send(context.Background(), batch(n))
		mustAllOK(t, per, err)
		count := map[string]int{}
		for _, rm := range srv.Messages() {
			count[rm.To[0]]++
		}
		if len(count) != n || srv.Count() != n {
			t.Fatalf("distinct recipients %d, accepted %d, want %d", len(count), srv.Count(), n)
		}
		for k, c := range count {
			if c != 1 {
				t.Errorf("%s received %d times", k, c)
			}
		}
	})
}

func TestSend_ContextCancel(t *testing.T) {
	t.Run("Before", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{})
		m := mailerFor(t, srv, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		per, err := m.Send(ctx, batch(3))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		for i, e := range per {
			if !errors.Is(e, context.Canceled) || smtp.IsPermanent(e) {
				t.Errorf("message %d: %v", i, e)
			}
		}
		if srv.Count() != 0 {
			t.Errorf("sent %d", srv.Count())
		}
	})
	t.Run("DuringGreeting", func(t *testing.T) {
		// A server that accepts and never greets: cancel must not wait for
		// the one-minute timeout.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		m, err := smtp.NewMailer(smtp.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: smtp.SecurityNone, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = m.Send(ctx, batch(2))
		if d := time.Since(start); d > 5*time.Second || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send returned %v after %v", err, d)
		}
		if err := m.Verify(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Verify after cancel = %v", err)
		}
	})
	t.Run("During", func(t *testing.T) {
		// A server that greets and then never answers: Send must return
		// promptly on cancel instead of waiting for the timeout.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("220 hi\r\n"))
				buf := make([]byte, 1024)
				n, _ := c.Read(buf)
				if bytes.HasPrefix(buf[:n], []byte("EHLO")) {
					c.Write([]byte("250 ok\r\n"))
				}
				// then silence
			}
		}()
		m, err := smtp.NewMailer(smtp.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: smtp.SecurityNone, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		per, err := m.Send(ctx, batch(3))
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Send took %v after cancel", d)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		for i, e := range per {
			if e == nil || smtp.IsPermanent(e) {
				t.Errorf("message %d: %v", i, e)
			}
		}
	})
}

func TestSend_InvalidMessage(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{})
		m := mailerFor(t, srv, nil)
		msgs := batch(3)
		msgs[1].Subject = "x\r\nBcc: victim@example.com"
		msgs = append(msgs, nil)
		per, err := m.Send(context.Background(), msgs)
		if err != nil {
			t.Fatal(err)
		}
		if resonanz.ErrorCode(per[3]) != resonanz.EINVALID {
			t.Errorf("nil message: %v", per[3])
		}
		if per[0] != nil || per[2] != nil || resonanz.ErrorCode(per[1]) != resonanz.EINVALID || !smtp.IsPermanent(per[1]) {
			t.Fatalf("per = %v", per)
		}
		if srv.Count() != 2 {
			t.Errorf("sent %d, want 2", srv.Count())
		}
	})
}

func TestConfig_Validate(t *testing.T) {
	ok := smtp.Config{Host: "smtp.example.org", Username: "u", Password: "p"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("OK: %v", err)
	}
	for _, tc := range []struct {
		name, field string
		edit        func(*smtp.Config)
	}{
		{"ErrHostEmpty", "host", func(c *smtp.Config) { c.Host = " " }},
		{"ErrHostURL", "host", func(c *smtp.Config) { c.Host = "smtp://x.de" }},
		{"ErrPort", "port", func(c *smtp.Config) { c.Port = 70000 }},
		{"ErrSecurity", "security", func(c *smtp.Config) { c.Security = "ssl3" }},
		{"ErrPlainPassword", "security", func(c *smtp.Config) { c.Security = "none" }},
		{"ErrPasswordWithoutUser", "username", func(c *smtp.Config) { c.Username = "" }},
		{"ErrUserCRLF", "username", func(c *smtp.Config) { c.Username = "u\r\nMAIL FROM:<x>" }},
		{"ErrHELO", "helo", func(c *smtp.Config) { c.HELO = "a b" }},
		{"ErrTimeout", "timeout", func(c *smtp.Config) { c.Timeout = -time.Second }},
		{"ErrMaxConnections", "maxConnections", func(c *smtp.Config) { c.MaxConnections = 1000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			var re *resonanz.Error
			if !errors.As(err, &re) || re.Code != resonanz.EINVALID || re.Field != tc.field {
				t.Fatalf("err = %v, want EINVALID on %s", err, tc.field)
			}
			if _, err := smtp.NewMailer(c); err == nil {
				t.Error("NewMailer accepted the config")
			}
		})
	}
	local := smtp.Config{Host: "127.0.0.1", Security: "none", Username: "u", Password: "p"}
	if err := local.Validate(); err != nil {
		t.Errorf("plain auth to loopback: %v", err)
	}
}

func TestConfig_NeverShowsPassword(t *testing.T) {
	const pw = "hunter2-SECRET"
	c := smtp.Config{Host: "smtp.example.org", Username: "u", Password: pw}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("cfg", "smtp", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "smtp", c, "ptr", &c)
	for _, s := range []string{
		c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c), fmt.Sprintf("%v %+v %#v", &c, &c, &c), buf.String(),
	} {
		if strings.Contains(s, pw) {
			t.Errorf("password shown in %q", s)
		}
	}
	if !strings.Contains(c.String(), "smtp.example.org") || !strings.Contains(buf.String(), "[redacted]") {
		t.Errorf("String = %q, log = %s", c.String(), buf.String())
	}
}

// TestSend_ReturnPath: the envelope sender is the message's return path
// (the mailbox's bounce address) when set, else the From address; a return
// path with a line break is refused.
func TestSend_ReturnPath(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := mailerFor(t, srv, nil)
	msgs := batch(2)
	msgs[0].ReturnPath = "bounce+abc@verein.example"
	per, err := m.Send(context.Background(), msgs)
	mustAllOK(t, per, err)
	from := map[string]string{}
	for _, rm := range srv.Messages() {
		from[rm.To[0]] = rm.From
	}
	if from["r0@example.org"] != "bounce+abc@verein.example" || from["r1@example.org"] != "news@verein.example" {
		t.Errorf("envelope senders %v", from)
	}
	bad := batch(1)
	bad[0].ReturnPath = "bounce@verein.example\r\nRCPT TO:<x@y.de>"
	if per, _ := m.Send(context.Background(), bad); per[0] == nil {
		t.Error("a return path with CRLF was sent")
	}
}
