package recipientcsv_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestWriteRejected(t *testing.T) {
	// Windows-1252, semicolons, as German Excel writes it.
	file := []byte("Anrede;Vorname;E-Mail\r\nFrau;J\xfcrgen;anna@example.org\r\nHerr;Uwe;uwe.lang@gmx..de\r\nFamilie;\"kaputt\"x;x@example.org\r\n")
	rejected := []resonanz.RowError{
		{Line: 3, Reason: "domain", Key: "error.recipient.email.domain"},
		{Line: 4, Reason: "quote"},
	}
	var out bytes.Buffer
	n, err := recipientcsv.WriteRejected(&out, bytes.NewReader(file), recipientcsv.Options{}, rejected, "Grund",
		func(r resonanz.RowError) string { return "Zeile " + string(rune('0'+r.Line)) + ": " + r.Reason })
	if err != nil || n != 2 {
		t.Fatalf("WriteRejected = %d, %v", n, err)
	}
	want := "\ufeffAnrede;Vorname;E-Mail;Grund\r\nHerr;Uwe;uwe.lang@gmx..de;Zeile 3: domain\r\n;;;Zeile 4: quote\r\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// The file imports again with the same mapping: the reason column is not mapped.
	rd, err := recipientcsv.NewReader(strings.NewReader(out.String()), recipientcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rd.Columns() {
		if c.Header == "Grund" && c.Field != "" {
			t.Errorf("reason column mapped to %q", c.Field)
		}
	}
}

func TestMapSeveralConsentPurposes(t *testing.T) {
	file := []byte("E-Mail,Einwilligung\nanna@example.org,ja\n")
	opt := recipientcsv.Options{Map: map[string]string{
		"Einwilligung": "consent:newsletter:Kunden" + recipientcsv.FieldSeparator + "consent:tracking:clicks",
	}}
	rd, err := recipientcsv.NewReader(bytes.NewReader(file), opt)
	if err != nil {
		t.Fatal(err)
	}
	c := rd.Columns()[1]
	if c.Field != "consent:newsletter:Kunden" || len(c.Also) != 1 || c.Also[0] != "consent:tracking:clicks" {
		t.Errorf("column %+v", c)
	}
	row, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	if m := row.Map(); m["consent:newsletter:Kunden"] != "ja" || m["consent:tracking:clicks"] != "ja" {
		t.Errorf("row %v", m)
	}

	t.Run("ErrNotConsent", func(t *testing.T) {
		opt := recipientcsv.Options{Map: map[string]string{"Einwilligung": "first_name" + recipientcsv.FieldSeparator + "consent:tracking:clicks"}}
		if _, err := recipientcsv.NewReader(bytes.NewReader(file), opt); err == nil || !strings.Contains(err.Error(), "only consent purposes") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrTwoColumnsOnePurpose", func(t *testing.T) {
		file := []byte("E-Mail,A,B\nanna@example.org,ja,ja\n")
		opt := recipientcsv.Options{Map: map[string]string{"A": "consent:tracking:opens", "B": "consent:tracking:clicks" + recipientcsv.FieldSeparator + "consent:tracking:opens"}}
		if _, err := recipientcsv.NewReader(bytes.NewReader(file), opt); err == nil || !strings.Contains(err.Error(), "both mapped") {
			t.Errorf("err = %v", err)
		}
	})
}
