package smtptest_test

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// dial opens a textproto conversation and reads the greeting.
func dial(t *testing.T, srv *smtptest.Server) (*textproto.Conn, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := textproto.NewConn(c)
	t.Cleanup(func() { tc.Close() })
	if _, _, err := tc.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	return tc, c
}

func cmd(t *testing.T, tc *textproto.Conn, code int, format string, args ...any) string {
	t.Helper()
	id, err := tc.Cmd(format, args...)
	if err != nil {
		t.Fatal(err)
	}
	tc.StartResponse(id)
	defer tc.EndResponse(id)
	_, msg, err := tc.ReadResponse(code)
	if err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return msg
}

func TestServer_STARTTLSLoginDotUnstuffing(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, Username: "u", Password: "p"})
	tc, raw := dial(t, srv)
	ehlo := cmd(t, tc, 250, "EHLO test")
	if !strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") {
		t.Fatalf("EHLO before TLS = %q; want STARTTLS and no AUTH", ehlo)
	}
	cmd(t, tc, 530, "MAIL FROM:<a@b.de>")
	cmd(t, tc, 220, "STARTTLS")
	tlsConn := tls.Client(raw, srv.ClientTLSConfig())
	if err := tlsConn.Handshake(); err != nil {
		t.Fatal(err)
	}
	tc = textproto.NewConn(tlsConn)
	if ehlo := cmd(t, tc, 250, "EHLO test"); !strings.Contains(ehlo, "AUTH PLAIN LOGIN") {
		t.Fatalf("EHLO after TLS = %q", ehlo)
	}
	b64 := base64.StdEncoding.EncodeToString
	cmd(t, tc, 334, "AUTH LOGIN")
	cmd(t, tc, 334, "%s", b64([]byte("u")))
	cmd(t, tc, 535, "%s", b64([]byte("wrong")))
	cmd(t, tc, 334, "AUTH LOGIN %s", b64([]byte("u")))
	cmd(t, tc, 235, "%s", b64([]byte("p")))
	cmd(t, tc, 250, "MAIL FROM:<a@b.de> BODY=8BITMIME")
	cmd(t, tc, 250, "RCPT TO:<c@d.de>")
	cmd(t, tc, 354, "DATA")
	w := tc.DotWriter() // dot-stuffs
	w.Write([]byte("Subject: x\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n"))
	w.Close()
	if _, _, err := tc.ReadResponse(250); err != nil {
		t.Fatal(err)
	}
	cmd(t, tc, 250, "NOOP")
	cmd(t, tc, 221, "QUIT")
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].From != "a@b.de" || msgs[0].To[0] != "c@d.de" {
		t.Fatalf("messages = %+v", msgs)
	}
	if got, want := string(msgs[0].Data), "Subject: x\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n"; got != want {
		t.Errorf("data = %q, want %q", got, want)
	}
	if srv.AuthFailures() != 1 {
		t.Errorf("auth failures = %d", srv.AuthFailures())
	}
}

func TestServer_PlainAuthSinkRejectDrop(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "u", Password: "p", Sink: true, DropAfter: 2,
		Reject: map[string]int{"Bad@x.de": 550}})
	srv.Reject("later@x.de", 451)
	tc, _ := dial(t, srv)
	cmd(t, tc, 250, "EHLO test")
	cmd(t, tc, 235, "AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00u\x00p")))
	send := func(rcpt string, code int) {
		cmd(t, tc, 250, "MAIL FROM:<a@b.de>")
		cmd(t, tc, code, "RCPT TO:<%s>", rcpt)
		if code != 250 {
			cmd(t, tc, 250, "RSET")
			return
		}
		cmd(t, tc, 354, "DATA")
		w := tc.DotWriter()
		w.Write([]byte(strings.Repeat("x", 100000) + "\r\n"))
		w.Close()
		if _, _, err := tc.ReadResponse(250); err != nil {
			t.Fatal(err)
		}
	}
	send("bad@x.de", 550)
	send("later@x.de", 451)
	send("ok1@x.de", 250)
	send("ok2@x.de", 250) // the second accepted message: the server hangs up
	if _, err := tc.Cmd("NOOP"); err == nil {
		if _, _, err := tc.ReadResponse(250); err == nil {
			t.Error("connection still open after DropAfter")
		}
	}
	if srv.Count() != 2 || len(srv.Messages()) != 0 {
		t.Errorf("count = %d, kept = %d; want 2 counted, none kept", srv.Count(), len(srv.Messages()))
	}
}

func TestServer_CloseWaits(t *testing.T) {
	srv, err := smtptest.NewServer(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", srv.Addr); err == nil {
		t.Error("still listening after Close")
	}
}
