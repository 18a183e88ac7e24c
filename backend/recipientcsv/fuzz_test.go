package recipientcsv_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// event is one Read result, for comparing two readers.
type event struct {
	Line   int
	Values []string
	Reason string
}

// FuzzReader checks that any input is read without panics, that every Read
// yields a row or a *RowError with increasing line numbers, that the reader
// reaches io.EOF having consumed the whole input, and that the results do
// not depend on how the input is split into reads. It runs with the default
// limits and with tiny ones.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"email\na@x.de\n",
		"\xEF\xBB\xBFE-Mail;Vorname\r\na@x.de;\"A\r\nB\"\r\n",
		"E-Mail;Nachname\na@x.de;M\xFCller\n",
		"email;first_name\n\"a@x.de;A\nb@x.de;B\n\"c\"x;C\n",
		"email\tname\n\na\x00b\tc\n",
		"sep=,\rEmail,Firstname\ra@example.com,Ann\r",
		"Name;E-Mail;;\n;;;\n\"\"\"\";\"x\" ;y;z\n",
	} {
		f.Add([]byte(s))
	}
	small := recipientcsv.Options{MaxFieldBytes: 8, MaxRowBytes: 16, MaxColumns: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []recipientcsv.Options{{}, small} {
			whole, errWhole := readEvents(t, bytes.NewReader(data), data, opt)
			split, errSplit := readEvents(t, iotest.HalfReader(iotest.OneByteReader(bytes.NewReader(data))), data, opt)
			if (errWhole == nil) != (errSplit == nil) || errWhole != nil && errWhole.Error() != errSplit.Error() {
				t.Fatalf("NewReader: %v with one read, %v with one-byte reads", errWhole, errSplit)
			}
			if !reflect.DeepEqual(whole, split) {
				t.Fatalf("results depend on read sizes:\n%+v\n%+v", whole, split)
			}
		}
	})
}

func readEvents(t *testing.T, src io.Reader, data []byte, opt recipientcsv.Options) ([]event, error) {
	rd, err := recipientcsv.NewReader(src, opt)
	if err != nil {
		var e *resonanz.Error
		if !errors.As(err, &e) || e.Code != resonanz.EINVALID || e.Message == "" {
			t.Fatalf("NewReader error %v is not a user-facing EINVALID error", err)
		}
		return nil, err
	}
	cols := rd.Columns()
	if len(cols) == 0 {
		t.Fatal("no columns")
	}
	maxLine := 1 + bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'})
	var events []event
	lastLine, lastPos := 0, rd.BytesRead()
	for {
		if len(events) > maxLine {
			t.Fatalf("more Reads than lines (%d)", maxLine)
		}
		row, err := rd.Read()
		if err == io.EOF {
			break
		}
		ev := event{Line: row.Line, Values: row.Values}
		var rowErr *recipientcsv.RowError
		switch {
		case errors.As(err, &rowErr):
			if rowErr.Line != row.Line || rowErr.Reason == "" {
				t.Fatalf("bad RowError %+v for row line %d", rowErr, row.Line)
			}
			ev.Reason = rowErr.Reason
		case err != nil:
			t.Fatalf("Read: %v", err)
		default:
			if len(row.Values) != len(cols) {
				t.Fatalf("row has %d values for %d columns", len(row.Values), len(cols))
			}
			for i, v := range row.Values {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || v != strings.TrimSpace(v) {
					t.Fatalf("bad value %q in column %+v", v, cols[i])
				}
			}
		}
		if ev.Line <= lastLine || ev.Line > maxLine {
			t.Fatalf("line %d after line %d (input has at most %d lines)", ev.Line, lastLine, maxLine)
		}
		if pos := rd.BytesRead(); pos < lastPos || pos > int64(len(data)) {
			t.Fatalf("BytesRead %d after %d (input has %d bytes)", pos, lastPos, len(data))
		}
		lastLine, lastPos = ev.Line, rd.BytesRead()
		events = append(events, ev)
	}
	if rd.BytesRead() != int64(len(data)) {
		t.Fatalf("BytesRead = %d at EOF, want %d", rd.BytesRead(), len(data))
	}
	return events, nil
}

// FuzzWriterRoundTrip checks that what Writer writes, Reader reads back.
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add("a@x.de", "Jürgen", "=1+1", byte(';'))
	f.Add("-x@y.de", "'@", "Zeile\nZeile \"2\"", byte('\t'))
	f.Add("''=", " ' ", "\r\n", byte(','))
	f.Fuzz(func(t *testing.T, email, name, note string, d byte) {
		in := []string{email, name, note}
		for _, v := range in {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f }) {
				return // the reader rejects control characters as binary data
			}
		}
		delim := []rune{',', ';', '\t'}[int(d)%3]
		var buf bytes.Buffer
		w, err := recipientcsv.NewWriter(&buf, []string{"email", "first_name", "note"}, recipientcsv.WriteOptions{Delimiter: delim, BOM: d&4 != 0})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		p := mustReadAll(t, buf.String(), recipientcsv.Options{Map: map[string]string{"note": "note"}})
		want := make([]string, len(in))
		empty := true
		for i, v := range in {
			// Values are trimmed and line breaks become LF.
			want[i] = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n"))
			empty = empty && want[i] == ""
		}
		if empty {
			if len(p.Rows)+len(p.Errors) != 0 {
				t.Fatalf("empty row read as %+v %+v", p.Rows, p.Errors)
			}
			return
		}
		if len(p.Errors) != 0 || len(p.Rows) != 1 {
			t.Fatalf("%q: rows %+v, errors %+v", buf.String(), p.Rows, p.Errors)
		}
		got := []string{p.Rows[0].Values["email"], p.Rows[0].Values["first_name"], p.Rows[0].Values["note"]}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read %q, want %q", buf.String(), got, want)
		}
	})
}
