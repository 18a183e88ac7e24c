package recipientcsv_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestSniff(t *testing.T) {
	long := strings.Repeat("a", recipientcsv.SniffBytes-len("email\n")-1) // the "ü" below straddles the 64 KiB boundary
	tests := []struct {
		name  string
		input string
		want  recipientcsv.Format
	}{
		{"comma", "email,first_name\nx@y.de,X\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ','}},
		{"semicolon", "E-Mail;Vorname;Nachname\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"tab", "E-Mail\tVorname\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: '\t'}},
		{"most columns wins", "a,b,c;d\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ','}},
		{"tie prefers semicolon", "a,b;c\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"tie prefers comma over tab", "a,b\tc\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ','}},
		{"quoted delimiters do not count", "\"Name, voll\";E-Mail\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"single column", "email\nx@y.de\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ','}},
		{"blank lines before header", "\n;;\n  \nE-Mail;Name\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"excel sep line", "sep=\t\nE-Mail,Name;X\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: '\t'}},
		{"bom", "\xEF\xBB\xBFE-Mail;Name\n", recipientcsv.Format{Encoding: "utf-8-bom", Delimiter: ';'}},
		{"utf-8 umlaut", "E-Mail;Name\nx@y.de;Müller\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"windows-1252 umlaut", "E-Mail;Name\nx@y.de;M\xFCller\n", recipientcsv.Format{Encoding: "windows-1252", Delimiter: ';'}},
		{"crlf", "E-Mail;Name\r\nx@y.de;A\r\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"cr only", "E-Mail;Name\rx@y.de;A\r", recipientcsv.Format{Encoding: "utf-8", Delimiter: ';'}},
		{"utf-8 char cut at the sample boundary", "email\n" + long + "ü\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ','}},
		{"invalid byte right before the boundary", "email\n" + long + "\xFC\n", recipientcsv.Format{Encoding: "windows-1252", Delimiter: ','}},
		{"invalid utf-8 after the sample is not looked at", "email\n" + long + "a\xFC\n", recipientcsv.Format{Encoding: "utf-8", Delimiter: ','}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := recipientcsv.Sniff(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("Sniff: %v", err)
			}
			if got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSniff_Err(t *testing.T) {
	tests := []struct {
		name, input, key string
	}{
		{"utf-16", "\xFF\xFEE\x00-\x00", "error.import.csv.utf16"},
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00", "error.import.csv.spreadsheet"},
		{"xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "error.import.csv.spreadsheet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := recipientcsv.Sniff(bytes.NewReader([]byte(tt.input)))
			var e *resonanz.Error
			if !asError(err, &e) || e.Key != tt.key || e.Code != resonanz.EINVALID {
				t.Fatalf("Sniff error = %v, want key %s", err, tt.key)
			}
		})
	}
}

// TestSniff_MatchesReader checks that Sniff and NewReader agree.
func TestSniff_MatchesReader(t *testing.T) {
	for _, in := range []string{"E-Mail;Name\n", "email\tname\n", "email\n", "E-Mail,Name\nx@y.de,M\xFCller\n"} {
		f, err := recipientcsv.Sniff(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		p := mustReadAll(t, in, recipientcsv.Options{})
		if p.Format != f {
			t.Errorf("%q: Sniff = %v, NewReader = %v", in, f, p.Format)
		}
	}
}
