package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"net/textproto"
	"strings"

	gosmtp "github.com/wneessen/go-mail/smtp"
)

// sendPipelined sends one rendered message with RFC 2920 PIPELINING over
// go-mail's exported textproto connection: MAIL, RCPT and DATA go out in one
// write and their replies are read together, then the dot-stuffed body and
// the final reply: two round trips per message instead of four. It returns
// nil when the server accepted the message, a *textproto.Error for an SMTP
// reply (the session is reset and usable afterwards) or another error when
// the connection is broken. from and to are envelope addresses in angle
// brackets.
func sendPipelined(sc *gosmtp.Client, from, to string, body []byte) error {
	t := sc.Text
	tw := t.Writer.W
	tw.WriteString("MAIL FROM:")
	tw.WriteString(from)
	tw.WriteString("\r\nRCPT TO:")
	tw.WriteString(to)
	tw.WriteString("\r\nDATA\r\n")
	if err := tw.Flush(); err != nil {
		return err
	}
	var first error
	for _, want := range []int{250, 25, 354} {
		_, _, err := t.ReadResponse(want)
		if err != nil {
			var te *textproto.Error
			if !errors.As(err, &te) {
				return err // broken connection
			}
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		// MAIL may have succeeded; end the transaction so the next message
		// starts clean.
		if _, err := tw.WriteString("RSET\r\n"); err != nil {
			return err
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if _, _, err := t.ReadResponse(250); err != nil {
			var te *textproto.Error
			if !errors.As(err, &te) {
				return err
			}
		}
		return first
	}
	writeDotStuffed(tw, body)
	tw.WriteString(".\r\n")
	if err := tw.Flush(); err != nil {
		return err
	}
	_, _, err := t.ReadResponse(250)
	return err
}

// writeDotStuffed writes body with CRLF line ends, doubling a leading dot on
// every line (RFC 5321 4.5.2), and ends it with CRLF.
func writeDotStuffed(w *bufio.Writer, body []byte) {
	for len(body) > 0 {
		line := body
		rest := []byte(nil)
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, rest = body[:i], body[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > 0 && line[0] == '.' {
			w.WriteByte('.')
		}
		w.Write(line)
		w.WriteString("\r\n")
		body = rest
	}
}

// isASCII reports whether s needs no SMTPUTF8.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// enhancedCode returns the "x.y.z" prefix of an SMTP reply text, if any.
func enhancedCode(msg string) string {
	code, _, _ := strings.Cut(msg, " ")
	parts := strings.Split(code, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0][0] < '2' || parts[0][0] > '5' {
		return ""
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return code
}
