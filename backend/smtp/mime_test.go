package smtp_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

var testDate = time.Date(2026, 11, 28, 10, 30, 0, 0, time.FixedZone("CET", 3600))

// newsletter returns a typical message with umlauts, a long line and the
// list headers the send runner sets.
func newsletter() *resonanz.Message {
	return &resonanz.Message{
		From: resonanz.SenderIdentity{
			FromName: "Jürgen Müller vom Förderverein", FromAddress: "news@verein.example", ReplyTo: "vorstand@verein.example",
		},
		To: "anna.groesse@example.org", ToName: "Anna Größe",
		Subject: "Grüße aus Köln – Ihr Newsletter für Dezember",
		Text: "Hallo Anna,\n\nFrom now on we meet on Thursdays.\n." + "\n\n" +
			strings.Repeat("Eine sehr lange Zeile mit Umlauten äöüß und ohne Umbruch. ", 8) + "\n\nViele Grüße\nJürgen\n",
		HTML: "<!doctype html><html><body><p>Hallo <b>Anna</b>,</p><p>" +
			strings.Repeat("Eine sehr lange Zeile mit Umlauten äöüß und ohne Umbruch. ", 8) + "</p></body></html>",
		Date: testDate,
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://listen.verein.example/u/4f2a9c>, <mailto:abmelden@verein.example?subject=4f2a9c>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"X-Resonanz-Mailing":    "17",
		},
	}
}

func goldenMessages() map[string]*resonanz.Message {
	plain := &resonanz.Message{
		From:    resonanz.SenderIdentity{FromAddress: "info@example.com"},
		To:      "bob@example.net",
		Subject: "Plain ASCII subject",
		Text:    "Only text.\n",
		Date:    testDate,
	}
	htmlOnly := &resonanz.Message{
		From:      resonanz.SenderIdentity{FromName: "Café \"Zur Post\"", FromAddress: "cafe@example.com"},
		To:        "zoë@example.net",
		ToName:    "Zoë O'Brien",
		Subject:   "Ünïcödé 🎉 " + strings.Repeat("long subject words ", 6),
		HTML:      "<p>Nur HTML, € 5,–</p>",
		MessageID: "fixed-id@example.com",
		Date:      testDate,
	}
	return map[string]*resonanz.Message{"newsletter": newsletter(), "plain": plain, "html-only": htmlOnly}
}

var (
	reBoundary = regexp.MustCompile(`[0-9a-f]{40,}`)
	reMsgID    = regexp.MustCompile(`Message-ID: <[^>]+>`)
	reDate     = regexp.MustCompile(`(?m)^Date: .*$`)
)

// normalize replaces what changes between runs: boundaries, generated
// Message-IDs and the Date header.
func normalize(b []byte) []byte {
	b = reBoundary.ReplaceAll(b, []byte("BOUNDARY"))
	b = reMsgID.ReplaceAll(b, []byte("Message-ID: <MESSAGE-ID>"))
	return reDate.ReplaceAll(b, []byte("Date: DATE\r"))
}

func TestWriteMessage_Golden(t *testing.T) {
	for name, m := range goldenMessages() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := smtp.WriteMessage(&buf, m); err != nil {
				t.Fatal(err)
			}
			got := normalize(buf.Bytes())
			goldenfile.Assert(t, filepath.Join("testdata", name+".golden.eml"), got)
		})
	}
}

// parsed is a message read back with net/mail and mime/multipart.
type parsed struct {
	header    mail.Header
	partTypes []string
	bodies    map[string]string // decoded body by media type
}

func parse(t testing.TB, raw []byte) parsed {
	t.Helper()
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes long", i+1, len(line))
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF", i+1)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	p := parsed{header: msg.Header, bodies: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		p.partTypes = []string{mt}
		p.bodies[mt] = decodeBody(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return p
	}
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %s, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		pt, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(pparams["charset"], "utf-8") {
			t.Errorf("part %s charset = %q, want UTF-8", pt, pparams["charset"])
		}
		p.partTypes = append(p.partTypes, pt)
		p.bodies[pt] = decodeBody(t, part.Header.Get("Content-Transfer-Encoding"), part)
	}
	return p
}

func decodeBody(t testing.TB, cte string, r io.Reader) string {
	t.Helper()
	var dec io.Reader
	switch strings.ToLower(cte) {
	case "quoted-printable":
		dec = quotedPrintable(r)
	case "base64":
		dec = base64Reader(r)
	case "", "7bit", "8bit":
		dec = r
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(dec)
	if err != nil {
		t.Fatalf("decode %s: %v", cte, err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestWriteMessage_ParsesBack(t *testing.T) {
	m := newsletter()
	var buf bytes.Buffer
	if err := smtp.WriteMessage(&buf, m); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	dec := new(mime.WordDecoder)

	if got, _ := dec.DecodeHeader(p.header.Get("Subject")); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != m.From.FromName || from[0].Address != m.From.FromAddress {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != m.ToName || to[0].Address != m.To {
		t.Errorf("To = %v (%v)", to, err)
	}
	if rt, err := p.header.AddressList("Reply-To"); err != nil || rt[0].Address != m.From.ReplyTo {
		t.Errorf("Reply-To = %v (%v)", rt, err)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(testDate) {
		t.Errorf("Date = %v (%v), want %v", d, err, testDate)
	}
	if got := p.header.Get("Message-ID"); got != "<"+m.MessageID+">" || !strings.HasSuffix(m.MessageID, "@verein.example") {
		t.Errorf("Message-ID = %q, m.MessageID = %q", got, m.MessageID)
	}
	if got := p.header.Get("MIME-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q", got)
	}
	for k, v := range m.Headers {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if strings.Join(p.partTypes, ",") != "text/plain,text/html" {
		t.Errorf("parts = %v, want text/plain then text/html", p.partTypes)
	}
	if got := p.bodies["text/plain"]; got != m.Text {
		t.Errorf("text body = %q\nwant %q", got, m.Text)
	}
	if got := p.bodies["text/html"]; got != m.HTML {
		t.Errorf("html body = %q\nwant %q", got, m.HTML)
	}
}

func TestWriteMessage_GeneratesDistinctIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		m := newsletter()
		if err := smtp.WriteMessage(io.Discard, m); err != nil {
			t.Fatal(err)
		}
		if seen[m.MessageID] {
			t.Fatalf("duplicate Message-ID %s", m.MessageID)
		}
		seen[m.MessageID] = true
	}
}

func TestWriteMessage_ErrInvalid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		field string
		edit  func(m *resonanz.Message)
	}{
		{"CRLFInSubject", "subject", func(m *resonanz.Message) { m.Subject = "Hi\r\nBcc: victim@example.com" }},
		{"LFInSubject", "subject", func(m *resonanz.Message) { m.Subject = "Hi\nBcc: victim@example.com" }},
		{"CRInSubject", "subject", func(m *resonanz.Message) { m.Subject = "Hi\rBcc: victim@example.com" }},
		{"NULInSubject", "subject", func(m *resonanz.Message) { m.Subject = "Hi\x00" }},
		{"CRLFInFromName", "fromName", func(m *resonanz.Message) { m.From.FromName = "Eve\r\nBcc: victim@example.com" }},
		{"TabInToName", "toName", func(m *resonanz.Message) { m.ToName = "a\tb" }},
		{"CRLFInToName", "toName", func(m *resonanz.Message) { m.ToName = "Anna\nX-Evil: 1" }},
		{"CRLFInHeaderValue", "headers", func(m *resonanz.Message) { m.Headers["X-Resonanz-Mailing"] = "1\r\nBcc: victim@example.com" }},
		{"CRLFInHeaderName", "headers", func(m *resonanz.Message) { m.Headers["X-A\r\nBcc"] = "x" }},
		{"ColonInHeaderName", "headers", func(m *resonanz.Message) { m.Headers["Bcc: victim@example.com\r\nX"] = "x" }},
		{"SpaceInHeaderName", "headers", func(m *resonanz.Message) { m.Headers["X A"] = "x" }},
		{"ReservedHeaderBcc", "headers", func(m *resonanz.Message) { m.Headers["Bcc"] = "victim@example.com" }},
		{"ReservedHeaderContentType", "headers", func(m *resonanz.Message) { m.Headers["content-type"] = "text/plain" }},
		{"DuplicateHeader", "headers", func(m *resonanz.Message) { m.Headers["x-resonanz-mailing"] = "18" }},
		{"LongHeaderValue", "headers", func(m *resonanz.Message) { m.Headers["X-Long"] = strings.Repeat("a", 1000) }},
		{"CRLFInTo", "to", func(m *resonanz.Message) { m.To = "a@example.org\r\nBcc: victim@example.com" }},
		{"ToWithName", "to", func(m *resonanz.Message) { m.To = "Anna <a@example.org>" }},
		{"ToTwoAddresses", "to", func(m *resonanz.Message) { m.To = "a@example.org, b@example.org" }},
		{"ToEmpty", "to", func(m *resonanz.Message) { m.To = "" }},
		{"FromInvalid", "fromAddress", func(m *resonanz.Message) { m.From.FromAddress = "news" }},
		{"ReplyToInvalid", "replyTo", func(m *resonanz.Message) { m.From.ReplyTo = "x@y\r\nBcc: z@w.de" }},
		{"MessageIDWithBrackets", "messageId", func(m *resonanz.Message) { m.MessageID = "<a@b>" }},
		{"MessageIDWithCRLF", "messageId", func(m *resonanz.Message) { m.MessageID = "a@b\r\nBcc: c@d.de" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newsletter()
			tc.edit(m)
			var buf bytes.Buffer
			err := smtp.WriteMessage(&buf, m)
			var re *resonanz.Error
			if !errors.As(err, &re) || re.Code != resonanz.EINVALID || re.Field != tc.field {
				t.Fatalf("err = %v, want EINVALID for field %s", err, tc.field)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
			if !smtp.IsPermanent(err) {
				t.Error("IsPermanent(invalid message) = false")
			}
		})
	}
}

// readMbox splits an mboxrd file into messages, undoing the >From quoting.
func readMbox(t testing.TB, data []byte) (fromLines []string, msgs [][]byte) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var cur *bytes.Buffer
	prevBlank := true
	for sc.Scan() {
		line := sc.Text()
		if prevBlank && strings.HasPrefix(line, "From ") {
			fromLines = append(fromLines, line)
			cur = new(bytes.Buffer)
			msgs = append(msgs, nil)
			prevBlank = false
			continue
		}
		if cur == nil {
			t.Fatalf("mbox does not start with a From_ line: %q", line)
		}
		if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") && strings.HasPrefix(line, ">") {
			line = line[1:]
		}
		cur.WriteString(line + "\r\n")
		msgs[len(msgs)-1] = cur.Bytes()
		prevBlank = line == ""
	}
	for i := range msgs {
		// The empty line that separates messages is not part of them.
		msgs[i] = bytes.TrimSuffix(msgs[i], []byte("\r\n"))
	}
	return fromLines, msgs
}

func TestWriteMbox_RoundTrip(t *testing.T) {
	a := newsletter()
	a.Text = "From the board:\n>From quoted already\n>>From twice\nFrom\nnormal line\n"
	a.HTML = ""
	b := newsletter()
	b.To = "zweite@example.org"
	var buf bytes.Buffer
	if err := smtp.WriteMbox(&buf, a, b); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Error("mbox contains CR; mbox files use LF")
	}
	for _, want := range []string{"\n>From the board:\n", "\n>>From quoted already\n", "\n>>>From twice\n", "\nFrom\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("mbox lacks %q:\n%s", want, out)
		}
	}
	froms, msgs := readMbox(t, buf.Bytes())
	if len(msgs) != 2 {
		t.Fatalf("read %d messages, want 2", len(msgs))
	}
	if want := "From news@verein.example Sat Nov 28 09:30:00 2026"; froms[0] != want {
		t.Errorf("From_ line = %q, want %q", froms[0], want)
	}
	p := parse(t, msgs[0])
	if got := p.bodies["text/plain"]; got != a.Text {
		t.Errorf("body after round trip = %q, want %q", got, a.Text)
	}
	if got := parse(t, msgs[1]).header.Get("To"); !strings.Contains(got, "zweite@example.org") {
		t.Errorf("second message To = %q", got)
	}
}

func TestWriteMbox_ErrInvalid(t *testing.T) {
	bad := newsletter()
	bad.Subject = "x\r\ny"
	if err := smtp.WriteMbox(io.Discard, newsletter(), bad); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
}

func TestEMLFileName(t *testing.T) {
	for _, to := range []string{
		"anna@example.org", "../../etc/passwd", `..\..\windows\system32@x.de`, "/abs/path@x.de",
		"a/b@c.de", "..", ".", "", "con", "NUL", "x\x00y@z.de", "ünï@cödé.de", strings.Repeat("a", 500) + "@x.de",
	} {
		m := &resonanz.Message{To: to, MessageID: "../id/../x@y"}
		name := smtp.EMLFileName(m)
		dir := t.TempDir()
		joined := filepath.Join(dir, name)
		if filepath.Dir(joined) != dir || name != filepath.Base(name) || strings.ContainsAny(name, `/\:`) {
			t.Errorf("EMLFileName(%q) = %q escapes the directory", to, name)
		}
		if !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") || len(name) > 120 {
			t.Errorf("EMLFileName(%q) = %q", to, name)
		}
		if err := os.WriteFile(joined, nil, 0o600); err != nil {
			t.Errorf("cannot create %q: %v", name, err)
		}
	}
	if got := smtp.EMLFileName(&resonanz.Message{To: "anna@example.org"}); got != "anna_at_example.org.eml" {
		t.Errorf("EMLFileName = %q", got)
	}
}

func FuzzWriteMessage(f *testing.F) {
	f.Add("Grüße", "Jürgen", "Hallo\nFrom here", "X-Resonanz-Mailing", "17")
	f.Add("a\r\nBcc: x@y.de", "n\nX: y", "body", "X-A", "v\r\nBcc: x@y.de")
	f.Add(strings.Repeat("ä", 300), `"quoted" <x@y.de>`, "\r\n.\r\n", "List-Unsubscribe", "<https://x.de/u>")
	f.Fuzz(func(t *testing.T, subject, name, body, hname, hval string) {
		m := newsletter()
		m.Subject, m.From.FromName, m.ToName, m.Text, m.HTML = subject, name, name, body, body
		m.Headers = map[string]string{hname: hval, "X-Resonanz-Mailing": "1"}
		var buf bytes.Buffer
		if err := smtp.WriteMessage(&buf, m); err != nil {
			if resonanz.ErrorCode(err) != resonanz.EINVALID {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		msg, err := mail.ReadMessage(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, buf.Bytes())
		}
		// Exactly the headers we set, each once: nothing injected.
		want := map[string]bool{"From": true, "To": true, "Reply-To": true, "Subject": true, "Date": true,
			"Message-Id": true, "Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true,
			"X-Resonanz-Mailing": true, "List-Unsubscribe": true, "List-Unsubscribe-Post": true}
		want[textprotoCanonical(hname)] = true
		for k, vs := range msg.Header {
			if !want[k] {
				t.Fatalf("unexpected header %q in output:\n%s", k, buf.Bytes())
			}
			if len(vs) != 1 {
				t.Fatalf("header %q appears %d times", k, len(vs))
			}
		}
		for _, k := range []string{"Bcc", "Cc"} {
			if msg.Header.Get(k) != "" {
				t.Fatalf("injected %s header", k)
			}
		}
		if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != m.To {
			t.Fatalf("To = %v, %v", to, err)
		}
		// net/mail trims the value's surrounding white space; compare the rest.
		if dec, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err == nil && strings.TrimSpace(dec) != strings.TrimSpace(subject) {
			t.Fatalf("subject round trip %q != %q", dec, subject)
		}
	})
}

func BenchmarkWriteMessage(b *testing.B) {
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		m := newsletter()
		buf.Reset()
		if err := smtp.WriteMessage(&buf, m); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func TestWriteMessage_NamesRoundTrip(t *testing.T) {
	for _, name := range []string{
		`Café "Zur Post"`, `Eve "x" <evil@evil.example>, "y`, `Back\slash`, "Plain Name", "Ünïcödé 🎉", "a,b;c:d",
		// Go's Q encoding leaves < > \ " raw inside encoded words; these
		// must neither break parsing nor smuggle in another address.
		"ö<evil@evil.example>", `\ӹ`, `ä"b`, "Ä, Ö; Ü: <x@y.de>", strings.Repeat("ÄÖÜ ", 50),
	} {
		m := newsletter()
		m.From.FromName, m.ToName = name, name
		var buf bytes.Buffer
		if err := smtp.WriteMessage(&buf, m); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		h := parse(t, buf.Bytes()).header
		for _, k := range []string{"From", "To"} {
			list, err := h.AddressList(k)
			if err != nil || len(list) != 1 || list[0].Name != name {
				t.Errorf("%s for name %q = %v (%v)", k, name, list, err)
			}
		}
		if from, _ := h.AddressList("From"); len(from) == 1 && from[0].Address != m.From.FromAddress {
			t.Errorf("From address = %q", from[0].Address)
		}
	}
}
