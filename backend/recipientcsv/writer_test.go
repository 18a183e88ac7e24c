package recipientcsv_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/recipientcsv"
)

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := recipientcsv.NewWriter(&buf, []string{"E-Mail", "Vorname", "Notiz"}, recipientcsv.WriteOptions{Delimiter: ';', BOM: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range [][]string{
		{"a@x.de", "Jürgen", "=HYPERLINK(\"http://evil\")"},
		{"b@x.de", "+49 30 1234", "-5"},
		{"c@x.de", "@SUM(A1)", "Zeile 1\nZeile 2; mit \"Zitat\""},
		{"d@x.de", "\tTab", "x=1"},
	} {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFE-Mail;Vorname;Notiz\r\n" +
		"a@x.de;Jürgen;\"'=HYPERLINK(\"\"http://evil\"\")\"\r\n" +
		"b@x.de;'+49 30 1234;'-5\r\n" +
		"c@x.de;'@SUM(A1);\"Zeile 1\r\nZeile 2; mit \"\"Zitat\"\"\"\r\n" +
		"d@x.de;'\tTab;x=1\r\n"
	if got := buf.String(); got != want {
		t.Errorf("output:\n%q\nwant\n%q", got, want)
	}
}

func TestWriter_HeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	w, err := recipientcsv.NewWriter(&buf, []string{"email"}, recipientcsv.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "email\r\n" {
		t.Errorf("output = %q", buf.String())
	}
}

func TestWriter_Err(t *testing.T) {
	if _, err := recipientcsv.NewWriter(&bytes.Buffer{}, []string{"a"}, recipientcsv.WriteOptions{Delimiter: '|'}); err == nil {
		t.Error("NewWriter accepted '|'")
	}
	if _, err := recipientcsv.NewWriter(&bytes.Buffer{}, nil, recipientcsv.WriteOptions{}); err == nil {
		t.Error("NewWriter accepted no columns")
	}
	w, _ := recipientcsv.NewWriter(&bytes.Buffer{}, []string{"a", "b"}, recipientcsv.WriteOptions{})
	if err := w.Write([]string{"x"}); err == nil {
		t.Error("Write accepted 1 value for 2 columns")
	}
}

// TestWriter_RoundTrip writes values with every delimiter and reads them back.
func TestWriter_RoundTrip(t *testing.T) {
	rows := [][]string{
		{"a@x.de", "Jürgen", "Müller-Lüdenscheidt", "=1+1"},
		{"b@x.de", "Anna \"Nanni\"", "Meier, Dr.; jun.", "-"},
		{"c@x.de", "", "Zeile 1\nZeile 2", "@home"},
		{"d@x.de", "'quoted'", "\t+tab", "x"},
	}
	for _, d := range []rune{',', ';', '\t'} {
		for _, bom := range []bool{false, true} {
			var buf bytes.Buffer
			w, err := recipientcsv.NewWriter(&buf, []string{"email", "first_name", "last_name", "note"}, recipientcsv.WriteOptions{Delimiter: d, BOM: bom})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			p := mustReadAll(t, buf.String(), recipientcsv.Options{Map: map[string]string{"note": "note"}})
			wantEnc := "utf-8"
			if bom {
				wantEnc = "utf-8-bom"
			}
			if p.Format != (recipientcsv.Format{Encoding: wantEnc, Delimiter: d}) {
				t.Errorf("%q bom=%v: format %v", d, bom, p.Format)
			}
			if len(p.Errors) != 0 || len(p.Rows) != len(rows) {
				t.Fatalf("%q bom=%v: errors %v, %d rows", d, bom, p.Errors, len(p.Rows))
			}
			for i, r := range rows {
				// The reader trims values, so the leading tab goes.
				want := map[string]string{"email": r[0], "first_name": r[1], "last_name": strings.TrimSpace(r[2]), "note": r[3]}
				if !reflect.DeepEqual(p.Rows[i].Values, want) {
					t.Errorf("%q bom=%v row %d: %q, want %q", d, bom, i, p.Rows[i].Values, want)
				}
			}
		}
	}
}
