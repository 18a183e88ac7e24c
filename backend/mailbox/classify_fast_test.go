package mailbox_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/mailbox"
)

// TestClassify_HeaderOnlyIsFull: a message classified from its header
// alone (no report parts possible, not from a mail system, no bounce
// subject) gets the verdict the full parse gives. Every corpus message is
// compared as it is and in variants that move it onto the header-only
// path (a person's sender and subject, no Content-Type), with LF and CRLF
// line ends.
func TestClassify_HeaderOnlyIsFull(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	addr := testAddresses(t)
	person := func(raw []byte) []byte {
		return withHeader(raw, []string{"Return-Path", "X-Failed-Recipients"},
			map[string]string{"From": "Anna Müller <anna@example.org>", "Subject": "Re: Neue Reisen"})
	}
	variants := []struct {
		name string
		edit func([]byte) []byte
	}{
		{"AsIs", func(b []byte) []byte { return b }},
		{"Person", person},
		{"NoContentType", func(b []byte) []byte { return withHeader(b, []string{"Content-Type"}, nil) }},
		{"PersonNoContentType", func(b []byte) []byte { return withHeader(person(b), []string{"Content-Type"}, nil) }},
		{"PersonHTML", func(b []byte) []byte {
			return withHeader(person(b), []string{"Content-Type"}, map[string]string{"Content-Type": "text/html; charset=utf-8"})
		}},
	}
	variants = append(variants, struct {
		name string
		edit func([]byte) []byte
	}{"PersonBounceSubjectPlain", func(b []byte) []byte {
		return withHeader(person(b), []string{"Content-Type"}, map[string]string{"Subject": "Undelivered Mail Returned to Sender"})
	}})
	// Messages whose body decides although the sender is a person.
	extra := map[string]string{
		"top-level-delivery-status": "From: Anna <anna@example.org>\nSubject: Re: Neue Reisen\nContent-Type: message/delivery-status\n\n" +
			"Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; bernd@example.org\nAction: failed\nStatus: 5.1.1\n",
		"top-level-feedback-report": "From: Anna <anna@example.org>\nSubject: Re: Neue Reisen\nContent-Type: message/feedback-report\n\n" +
			"Feedback-Type: abuse\nOriginal-Rcpt-To: bernd@example.org\n",
		"top-level-rfc822-headers": "From: mailer-daemon@example.org\nSubject: Hinweis\nContent-Type: text/rfc822-headers\n\n" +
			"Message-ID: <m1.r3@sonne.example>\nX-Resonanz-Mailing: 1\n",
		"subject-only-text-bounce": "From: Anna <anna@example.org>\nSubject: Unzustellbar: Neue Reisen\n\n" +
			"Die Nachricht konnte nicht zugestellt werden an bernd@example.org: 550 5.1.1 unbekannt\n",
	}
	headerOnly := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		extra[strings.TrimSuffix(filepath.Base(f), ".eml")] = string(raw)
	}
	for file, text := range extra {
		raw := []byte(text)
		f := file + ".eml"
		for _, vr := range variants {
			for _, crlf := range []bool{false, true} {
				msg := vr.edit(raw)
				if crlf {
					msg = bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n"))
				}
				name := strings.TrimSuffix(filepath.Base(f), ".eml") + "/" + vr.name
				if crlf {
					name += "/CRLF"
				}
				fast, ferr := mailbox.Classify(bytes.NewReader(msg), addr)
				full, uerr := mailbox.ClassifyFull(bytes.NewReader(msg), addr)
				if (ferr == nil) != (uerr == nil) || !reflect.DeepEqual(fast, full) {
					t.Errorf("%s: header-only path %+v (%v), full parse %+v (%v)", name, fast, ferr, full, uerr)
				}
				if ferr == nil && mailbox.HeaderOnly(msg, addr) {
					headerOnly++
				}
			}
		}
	}
	if headerOnly < 20 {
		t.Errorf("only %d messages took the header-only path: the test compares too little", headerOnly)
	}
}

// withHeader returns the message with the header fields drop removed and
// set's fields put first.
func withHeader(raw []byte, drop []string, set map[string]string) []byte {
	head, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		head, body = raw, nil
	}
	var out []string
	for k, v := range set {
		out = append(out, k+": "+v)
	}
	skipping := false
	for _, line := range strings.Split(string(head), "\n") {
		if skipping && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			continue
		}
		skipping = false
		name, _, _ := strings.Cut(line, ":")
		for _, d := range append(drop, keys(set)...) {
			if strings.EqualFold(strings.TrimSpace(name), d) {
				skipping = true
			}
		}
		if !skipping {
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, "\n") + "\n\n" + string(body))
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
