// Package smtp turns resonanz.Message values into MIME mail (.eml, mbox) and
// delivers them over SMTP. It is the only package that uses go-mail.
//
// WriteMessage writes the message itself: the bytes go-mail's Msg.WriteTo
// wrote for the same message (headers sorted and folded as go-mail does,
// quoted-printable parts, the same multipart layout), without building a
// go-mail Msg per mail, which cost as much processor time as sending it;
// TestWriteMessage_SameAsGoMail and FuzzWriteMessage_SameAsGoMail keep
// the two equal. From, To and Reply-To are written by writeAddressHeaders.
// go-mail's Client dials, does STARTTLS or TLS and AUTH; the resulting
// go-mail SMTP connections are pooled by Mailer, which sends the rendered
// bytes with RFC 2920 pipelining when the server offers it.
package smtp

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// reservedHeaders are written by WriteMessage itself; m.Headers must not set
// them, or a template could override the sender or the MIME structure.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"subject": true, "date": true, "message-id": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true, "return-path": true,
	"received": true, "content-disposition": true,
}

// maxHeaderValue bounds header values so that no unfoldable line can exceed
// the 998 octets RFC 5322 allows.
const maxHeaderValue = 900

// WriteMessage writes m to w as a complete RFC 5322 message: multipart/alternative
// with text/plain first and text/html second (a single part when one of them is
// empty), UTF-8, quoted-printable. When m.MessageID is empty a random
// "<random@fromdomain>" id is generated and stored in m.MessageID, so callers
// learn the id that went out. Invalid addresses and header values containing
// line breaks are rejected with an EINVALID *resonanz.Error naming the field;
// nothing is written then.
func WriteMessage(w io.Writer, m *resonanz.Message) error {
	boundary := ""
	if m != nil && m.Text != "" && m.HTML != "" {
		var raw [30]byte
		rand.Read(raw[:])
		boundary = hex.EncodeToString(raw[:])
	}
	return writeMessage(w, m, boundary)
}

// writeMessage is WriteMessage with the multipart boundary given (used
// only when m has both a text and an HTML part).
func writeMessage(w io.Writer, m *resonanz.Message, boundary string) error {
	if err := validate(m); err != nil {
		return err
	}
	if m.MessageID == "" {
		m.MessageID = NewMessageID(m.From.FromAddress)
	}
	bw, ok := w.(*bytes.Buffer)
	if !ok {
		bw = new(bytes.Buffer)
	}
	writeAddressHeaders(bw, m)
	writeMIME(bw, m, boundary)
	if !ok {
		if _, err := bw.WriteTo(w); err != nil {
			return fmt.Errorf("smtp: write message: %w", err)
		}
	}
	return nil
}

// writeMIME writes what go-mail's Msg.WriteTo wrote for a message without
// address headers, UTF-8 and quoted-printable: the headers sorted by name,
// each value Q-encoded where needed and folded at 76 columns, then one
// text part or a multipart/alternative of text and HTML.
func writeMIME(b *bytes.Buffer, m *resonanz.Message, boundary string) {
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	type field struct{ name, value string }
	fields := make([]field, 0, 4+len(m.Headers))
	fields = append(fields, field{"Date", date.Format(time.RFC1123Z)}, field{"MIME-Version", "1.0"},
		field{"Message-ID", "<" + m.MessageID + ">"}, field{"Subject", m.Subject})
	for k, v := range m.Headers {
		fields = append(fields, field{k, v})
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
	for _, f := range fields {
		writeHeader(b, f.name, mime.QEncoding.Encode("UTF-8", f.value))
	}
	part := func(contentType, body string) {
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\nContent-Type: ")
		b.WriteString(contentType)
		b.WriteString("; charset=UTF-8\r\n\r\n")
		qp := quotedprintable.NewWriter(b)
		qp.Write([]byte(body))
		qp.Close()
	}
	switch {
	case m.Text != "" && m.HTML != "":
		b.WriteString("Content-Type: multipart/alternative;\r\n boundary=")
		b.WriteString(boundary)
		b.WriteString("\r\n\r\n--")
		b.WriteString(boundary)
		b.WriteString("\r\n")
		part("text/plain", m.Text)
		b.WriteString("\r\n--")
		b.WriteString(boundary)
		b.WriteString("\r\n")
		part("text/html", m.HTML)
		b.WriteString("\r\n--")
		b.WriteString(boundary)
		b.WriteString("--\r\n")
	case m.HTML != "":
		part("text/html", m.HTML)
	default:
		part("text/plain", m.Text)
	}
}

// writeHeader writes "name: value" folded as go-mail folds it: words
// (split at spaces) are moved to a continuation line when the line would
// reach 76 characters, and the space before a fold is dropped.
func writeHeader(b *bytes.Buffer, name, value string) {
	const maxLen = 76
	room := maxLen - 2 - len(name) - 2
	b.WriteString(name)
	b.WriteString(": ")
	for {
		word, rest, more := strings.Cut(value, " ")
		if room-len(word) <= 1 {
			if n := b.Len(); b.Bytes()[n-1] == ' ' {
				b.Truncate(n - 1)
			}
			b.WriteString("\r\n ")
			room = maxLen - 3
		}
		b.WriteString(word)
		room -= len(word)
		if !more {
			break
		}
		b.WriteByte(' ')
		room--
		value = rest
	}
	b.WriteString("\r\n")
}

// writeAddressHeaders writes From, To and Reply-To. They are not left to
// go-mail: net/mail's Address.String Q-encodes non-ASCII names but leaves
// characters like \ < > " unencoded, which RFC 2047 forbids in a phrase and
// which lets a recipient name from an import confuse parsers about the
// address. Non-ASCII names are B-encoded here (base64 only, always
// phrase-safe), one encoded word per folded line.
func writeAddressHeaders(b *bytes.Buffer, m *resonanz.Message) {
	b.WriteString("From: ")
	b.WriteString(formatAddress(m.From.FromName, m.From.FromAddress))
	b.WriteString("\r\nTo: ")
	b.WriteString(formatAddress(m.ToName, m.To))
	b.WriteString("\r\n")
	if m.From.ReplyTo != "" {
		b.WriteString("Reply-To: ")
		b.WriteString(formatAddress("", m.From.ReplyTo))
		b.WriteString("\r\n")
	}
}

// formatAddress formats a validated address with an optional display name.
func formatAddress(name, addr string) string {
	angle := (&netmail.Address{Address: addr}).String()
	if name == "" {
		return angle
	}
	if printableASCII(name) {
		// Quotes and escapes as needed; no encoding involved.
		return (&netmail.Address{Name: name, Address: addr}).String()
	}
	enc := mime.BEncoding.Encode("UTF-8", name)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?") + "\r\n " + angle
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// singleLine reports whether s is safe inside a header value: no CR, LF or NUL.
func singleLine(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00")
}

// hasControl reports whether s contains an ASCII control character (tab,
// CR, LF, NUL, ...): display names are a single line of visible text.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// validHeaderName reports whether s is an RFC 5322 field name (printable
// ASCII without colon).
func validHeaderName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

func fieldErr(field, msg string) error {
	return resonanz.FieldError(field, "error.mail."+field+".invalid", msg)
}

// validate checks every value that ends up in a header.
func validate(m *resonanz.Message) error {
	if m == nil {
		return resonanz.E(resonanz.EINVALID, "error.smtp.messageMissing", "The message is missing.")
	}
	if hasControl(m.From.FromName) || utf8.RuneCountInString(m.From.FromName) > resonanz.MaxNameLength || !utf8.ValidString(m.From.FromName) {
		return fieldErr("fromName", "The sender name must be a single line of at most 200 characters.")
	}
	if !resonanz.ValidAddress(m.From.FromAddress) {
		return fieldErr("fromAddress", "The sender address is not a valid e-mail address (like news@example.org).")
	}
	if m.From.ReplyTo != "" && !resonanz.ValidAddress(m.From.ReplyTo) {
		return fieldErr("replyTo", "The reply-to address is not a valid e-mail address.")
	}
	if m.ReturnPath != "" && !resonanz.ValidAddress(m.ReturnPath) {
		return fieldErr("returnPath", "The return path (bounce address) is not a valid e-mail address.")
	}
	if !resonanz.ValidAddress(m.To) {
		return fieldErr("to", fmt.Sprintf("The recipient address %q is not a valid e-mail address.", truncate(m.To, 80)))
	}
	if hasControl(m.ToName) || utf8.RuneCountInString(m.ToName) > resonanz.MaxNameLength || !utf8.ValidString(m.ToName) {
		return fieldErr("toName", "The recipient name must be a single line of at most 200 characters.")
	}
	if !singleLine(m.Subject) || !utf8.ValidString(m.Subject) || len(m.Subject) > maxHeaderValue {
		return fieldErr("subject", "The subject must be a single line of text (at most 900 bytes).")
	}
	if m.MessageID != "" && !validMessageID(m.MessageID) {
		return fieldErr("messageId", "The message id must look like local@domain without angle brackets or spaces.")
	}
	var seen map[string]bool
	for k, v := range m.Headers {
		if len(m.Headers) > 1 {
			if seen == nil {
				seen = make(map[string]bool, len(m.Headers))
			}
			if lk := strings.ToLower(k); seen[lk] {
				return resonanz.FieldError("headers", "error.mail.headers.duplicate",
					fmt.Sprintf("The header %s is given twice.", k))
			} else {
				seen[lk] = true
			}
		}
		if !validHeaderName(k) {
			return resonanz.FieldError("headers", "error.mail.headers.invalid",
				fmt.Sprintf("The header name %q is not valid.", truncate(k, 40)))
		}
		if reservedHeaders[strings.ToLower(k)] {
			return resonanz.FieldError("headers", "error.mail.headers.reserved",
				fmt.Sprintf("The header %s is set by the mailer and cannot be overridden.", k))
		}
		if !singleLine(v) || !utf8.ValidString(v) || len(v) > maxHeaderValue {
			return resonanz.FieldError("headers", "error.mail.headers.invalid",
				fmt.Sprintf("The value of header %s must be a single line (at most 900 bytes).", k))
		}
	}
	return nil
}

func validMessageID(id string) bool {
	if len(id) > 250 || strings.Count(id, "@") != 1 || strings.HasPrefix(id, "@") || strings.HasSuffix(id, "@") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= 32 || c >= 127 || c == '<' || c == '>' || c == '"' || c == '\\' || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '[' || c == ']' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// NewMessageID returns a random message id "random@domain" (no angle brackets)
// for a sender address.
func NewMessageID(fromAddress string) string {
	domain := "resonanz.invalid"
	if at := strings.LastIndexByte(fromAddress, '@'); at >= 0 && at < len(fromAddress)-1 {
		domain = fromAddress[at+1:]
	}
	return strings.ToLower(rand.Text()) + "@" + domain
}

// WriteMbox writes msgs to w in mboxrd format: each message starts with a
// "From sender date" line, lines matching ">*From " get one more ">" and the
// message ends with an empty line. Line endings are LF, as mail clients
// (Thunderbird, mutt) expect in mbox files.
func WriteMbox(w io.Writer, msgs ...*resonanz.Message) error {
	bw := bufio.NewWriter(w)
	var buf bytes.Buffer
	for i, m := range msgs {
		buf.Reset()
		if err := WriteMessage(&buf, m); err != nil {
			return fmt.Errorf("smtp: mbox message %d: %w", i+1, err)
		}
		date := m.Date
		if date.IsZero() {
			date = time.Now()
		}
		// The envelope sender was validated by WriteMessage: no spaces.
		fmt.Fprintf(bw, "From %s %s\n", m.From.FromAddress, date.UTC().Format(time.ANSIC))
		data := buf.Bytes()
		for len(data) > 0 {
			var line []byte
			if j := bytes.IndexByte(data, '\n'); j >= 0 {
				line, data = data[:j], data[j+1:]
			} else {
				line, data = data, nil
			}
			line = bytes.TrimSuffix(line, []byte("\r"))
			if isFromLine(line) {
				bw.WriteByte('>')
			}
			bw.Write(line)
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("smtp: write mbox: %w", err)
	}
	return nil
}

// isFromLine reports whether line matches ^>*From (mboxrd quoting rule).
func isFromLine(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From "))
}

// windowsReserved are device names Windows refuses as file names, with or
// without extension.
var windowsReserved = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// EMLFileName returns a file name for exporting m as .eml: derived from the
// recipient address and the message id, restricted to [A-Za-z0-9._+-], never
// starting with a dot, at most 120 bytes, always ending in ".eml". It contains
// no path separator, so filepath.Join(dir, EMLFileName(m)) stays inside dir
// whatever the address holds.
func EMLFileName(m *resonanz.Message) string {
	if m == nil {
		return "message.eml"
	}
	base := sanitizeName(strings.ReplaceAll(m.To, "@", "_at_"), 80)
	if id := sanitizeName(m.MessageID, 12); id != "" {
		base += "-" + id
	}
	base = strings.TrimLeft(base, ".-")
	if base == "" {
		base = "message"
	}
	if windowsReserved[strings.ToLower(base)] {
		base = "_" + base
	}
	return base + ".eml"
}

func sanitizeName(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '+', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	// ".." can never be a path element here (no separators remain), but a
	// run of dots looks odd in a file name.
	out := b.String()
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	return out
}
