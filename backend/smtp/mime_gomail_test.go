package smtp

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	mail "github.com/wneessen/go-mail"
)

// goMailWrite is how WriteMessage wrote a message until it wrote MIME
// itself: address headers by writeAddressHeaders, the rest by a go-mail
// Msg. It is the reference writeMessage must reproduce byte for byte.
func goMailWrite(t testing.TB, m *resonanz.Message, boundary string) []byte {
	t.Helper()
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent(), mail.WithCharset(mail.CharsetUTF8), mail.WithEncoding(mail.EncodingQP),
		mail.WithBoundary(boundary))
	msg.Subject(m.Subject)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(m.MessageID)
	for k, v := range m.Headers {
		msg.SetGenHeader(mail.Header(k), v)
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(mail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(mail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(mail.TypeTextPlain, m.Text)
	}
	var b bytes.Buffer
	writeAddressHeaders(&b, m)
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sameAsGoMail checks that writeMessage writes what go-mail wrote for m;
// it reports whether m was valid.
func sameAsGoMail(t *testing.T, m *resonanz.Message) bool {
	t.Helper()
	const boundary = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	if m.Date.IsZero() {
		m.Date = time.Date(2026, 12, 7, 6, 30, 0, 0, time.FixedZone("CET", 3600))
	}
	var got bytes.Buffer
	if err := writeMessage(&got, m, boundary); err != nil {
		return false
	}
	if want := goMailWrite(t, m, boundary); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("writeMessage differs from go-mail's output\n--- got:\n%s\n--- go-mail:\n%s", got.Bytes(), want)
	}
	return true
}

// TestWriteMessage_SameAsGoMail: the MIME written by this package is
// byte for byte what go-mail wrote for the same message: headers (sorted,
// Q-encoded, folded), single parts and multipart/alternative, quoted-
// printable bodies with long lines, trailing blanks and dots.
func TestWriteMessage_SameAsGoMail(t *testing.T) {
	long := strings.Repeat("Eine sehr lange Zeile mit Umlauten äöüß und ohne Umbruch. ", 8)
	base := func() *resonanz.Message {
		return &resonanz.Message{
			From: resonanz.SenderIdentity{FromName: "Reisebüro Sonne", FromAddress: "news@sonne.example", ReplyTo: "info@sonne.example"},
			To:   "person3@example.org", ToName: "Anna Müller", MessageID: "2742bd05832e3b717718d4e6a6d1fc27@sonne.example",
			Subject: "Neue Reisen für Anna",
			Text:    "Sehr geehrte Frau Müller,\n\nunsere neuen Reisen: Zur Insel (https://reisen.example/insel)\n\n- Kreta\n",
			HTML:    "<!DOCTYPE html>\n<html lang=\"de\">\n<p>Sehr geehrte Frau Müller,</p>\n<p>" + long + "</p>\n</html>\n",
			Headers: map[string]string{
				"List-Unsubscribe":      "<https://listen.sonne.example/u/21/3/abcdef>, <mailto:news@sonne.example?subject=unsubscribe>",
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "X-Resonanz-Mailing": "21",
				"X-Mailgun-Variables": `{"resonanz_mailing":"21"}`, "X-SMTPAPI": `{"unique_args":{"resonanz_mailing":"21"}}`,
			},
		}
	}
	for _, tt := range []struct {
		name string
		edit func(m *resonanz.Message)
	}{
		{"Newsletter", func(m *resonanz.Message) {}},
		{"TextOnly", func(m *resonanz.Message) { m.HTML = "" }},
		{"HTMLOnly", func(m *resonanz.Message) { m.Text = "" }},
		{"Empty", func(m *resonanz.Message) { m.Text, m.HTML, m.Headers = "", "", nil }},
		{"LongSubject", func(m *resonanz.Message) { m.Subject = "Ünïcödé 🎉 " + strings.Repeat("long subject words ", 12) }},
		{"LongASCIISubject", func(m *resonanz.Message) { m.Subject = strings.Repeat("word ", 40) + strings.Repeat("x", 90) }},
		{"SpacesInSubject", func(m *resonanz.Message) { m.Subject = "  two  spaces   and a tail  " }},
		{"LongHeaderWord", func(m *resonanz.Message) {
			m.Headers["X-Long"] = strings.Repeat("y", 120) + " " + strings.Repeat("z", 75)
		}},
		{"TrailingBlanksAndDots", func(m *resonanz.Message) { m.Text = "a line \nanother\t\n.\n..dots\r\nend " }},
		{"CRLFAndBinary", func(m *resonanz.Message) { m.HTML = "x\r\ny\rz\x00\x7f=\xff" + long }},
		{"GeneratedID", func(m *resonanz.Message) { m.MessageID = "" }},
		{"NoHeaders", func(m *resonanz.Message) { m.Headers = nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			if !sameAsGoMail(t, m) {
				t.Fatal("message refused")
			}
		})
	}
	for name, m := range map[string]*resonanz.Message{"golden/plain": {From: resonanz.SenderIdentity{FromAddress: "info@example.com"},
		To: "bob@example.net", Subject: "Plain ASCII subject", Text: "Only text.\n"}} {
		t.Run(name, func(t *testing.T) { sameAsGoMail(t, m) })
	}
}

// FuzzWriteMessage_SameAsGoMail: for any subject, header value and bodies
// writeMessage writes what go-mail wrote.
func FuzzWriteMessage_SameAsGoMail(f *testing.F) {
	f.Add("Grüße aus Köln", "X-Resonanz-Mailing", "17", "Hallo\nFrom here\n.\n", "<p>Hallo</p>")
	f.Add(strings.Repeat("ä ", 80), "List-Unsubscribe", strings.Repeat("<https://x.de/u> ", 9), "trailing \t\n", "")
	f.Add("", "X-A", "", "", "<p>"+strings.Repeat("=", 200)+"</p>")
	f.Fuzz(func(t *testing.T, subject, hname, hval, text, html string) {
		m := &resonanz.Message{From: resonanz.SenderIdentity{FromName: "Sonne", FromAddress: "news@sonne.example"},
			To: "anna@example.org", Subject: subject, Text: text, HTML: html, MessageID: "id@sonne.example",
			Headers: map[string]string{hname: hval, "X-Resonanz-Mailing": "1"}}
		sameAsGoMail(t, m)
	})
}
