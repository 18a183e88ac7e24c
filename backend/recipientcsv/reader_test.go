package recipientcsv_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestNewReader_AutoMapping(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   []string // field per column
	}{
		{"german", "E-Mail;Vorname;Nachname;Anrede;Titel;Sprache", []string{"email", "first_name", "last_name", "gender", "title", "language"}},
		{"english", "Email Address,First name,Last name,Salutation,Title,Language", []string{"email", "first_name", "last_name", "gender", "title", "language"}},
		{"spelling variants", "e_mail-adresse;given_name;SURNAME;Geschlecht;Akad. Titel;lang", []string{"email", "first_name", "last_name", "gender", "title", "language"}},
		{"mailadresse and familienname", "Mailadresse;Familienname", []string{"email", "last_name"}},
		{"umlauts folded", "E-Mail;Straße;Größe", []string{"email", "", ""}},
		{"unknown headers ignored", "Kundennummer;Mail;Notiz", []string{"", "email", ""}},
		{"name is last name when alone", "Name;E-Mail", []string{"last_name", "email"}},
		{"name is ignored beside a last name", "Name;Nachname;E-Mail", []string{"", "last_name", "email"}},
		{"single column", "Email", []string{"email"}},
		{"empty header cells are ignored", "E-Mail;;", []string{"email", "", ""}},
		{"consent is never auto-mapped", "E-Mail;consent:tracking:opens", []string{"email", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustReadAll(t, tt.header+"\n", recipientcsv.Options{})
			if got := fieldsOf(p.Columns); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields = %q, want %q", got, tt.want)
			}
			for _, c := range p.Columns {
				if c.Auto != (c.Field != "") {
					t.Errorf("column %q: Auto = %v", c.Header, c.Auto)
				}
			}
		})
	}
}

func fieldsOf(cols []recipientcsv.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Field
	}
	return out
}

func TestNewReader_Fields(t *testing.T) {
	opt := recipientcsv.Options{Fields: []recipientcsv.Field{
		{Key: "company", Aliases: []string{"Firma", "Unternehmen"}},
		{Key: "first_name", Aliases: []string{"Rufname2"}},
		{Key: "consent:newsletter", Aliases: []string{"Newsletter"}},
	}}
	p := mustReadAll(t, "E-Mail;Firma;Rufname2;Newsletter;Company\n", recipientcsv.Options{Fields: opt.Fields[1:]})
	if got, want := fieldsOf(p.Columns), []string{"email", "", "first_name", "", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %q, want %q", got, want)
	}
	p = mustReadAll(t, "E-Mail;Unternehmen\n", opt)
	if got, want := fieldsOf(p.Columns), []string{"email", "company"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %q, want %q", got, want)
	}
}

func TestNewReader_Map(t *testing.T) {
	tests := []struct {
		name   string
		header string
		m      map[string]string
		want   []string
	}{
		{"map unknown header", "Adresse;X", map[string]string{"adresse ": "email"}, []string{"email", ""}},
		{"ignore with dash", "E-Mail;Vorname", map[string]string{"Vorname": "-"}, []string{"email", ""}},
		{"ignore with empty", "E-Mail;Vorname", map[string]string{"VORNAME": ""}, []string{"email", ""}},
		{"consent passes through", "E-Mail;Tracking", map[string]string{"Tracking": "consent:tracking:opens"}, []string{"email", "consent:tracking:opens"}},
		{"explicit wins over auto", "E-Mail;Privat", map[string]string{"Privat": "email"}, []string{"", "email"}},
		{"ignore one of two email columns", "E-Mail;Mail", map[string]string{"Mail": "-"}, []string{"email", ""}},
		{"ignore a duplicate spelling", "E-Mail;Email", map[string]string{"Email": "-"}, []string{"email", ""}},
		{"explicit last name disables weak name", "Name;Familie;Mail", map[string]string{"Familie": "last_name"}, []string{"", "last_name", "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustReadAll(t, tt.header+"\n", recipientcsv.Options{Map: tt.m})
			if got := fieldsOf(p.Columns); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields = %q, want %q", got, tt.want)
			}
			for _, c := range p.Columns {
				if _, explicit := tt.m[c.Header]; explicit && c.Auto {
					t.Errorf("column %q is mapped explicitly but Auto is set", c.Header)
				}
			}
		})
	}
}

func TestNewReader_Err(t *testing.T) {
	tests := []struct {
		name  string
		input string
		m     map[string]string
		key   string
		msg   string // substring of the message
	}{
		{"ErrEmpty", "", nil, "empty", "The file is empty."},
		{"ErrOnlyBOM", "\xEF\xBB\xBF", nil, "empty", "empty"},
		{"ErrOnlyBlankLines", "\n\r\n  \n;;\n", nil, "empty", "empty"},
		{"ErrNoEmail", "Vorname;Nachname\n", nil, "no_email",
			`No column holds the e-mail address; found headers: "Vorname", "Nachname"; map one with --map 'Header=email'.`},
		{"ErrEmailIgnored", "E-Mail;Name\n", map[string]string{"E-Mail": "-"}, "no_email", "No column holds the e-mail address"},
		{"ErrDuplicateHeader", "E-Mail;Name;e-mail\n", nil, "duplicate_header", `The header "E-Mail" appears twice (columns 1 and 3)`},
		{"ErrDuplicateNormalized", "E-Mail;Email\n", nil, "duplicate_header", `ignore one with --map 'Email=-'`},
		{"ErrDuplicateMapped", "E-Mail;Notiz;Notiz\n", map[string]string{"Notiz": "note"}, "duplicate_header", `"Notiz" appears twice`},
		{"ErrSameField", "E-Mail;Mail\n", nil, "duplicate_field", `The columns "E-Mail" (column 1) and "Mail" (column 2) are both mapped to the field "email"`},
		{"ErrSameFieldExplicit", "E-Mail;A;B\n", map[string]string{"A": "x", "B": "x"}, "duplicate_field", `"A" (column 2) and "B" (column 3)`},
		{"ErrMapUnknownHeader", "E-Mail;Name\n", map[string]string{"Mail-Adresse": "email"}, "map_unknown_header",
			`The mapping names the header "Mail-Adresse", but the file has no such column; found headers: "E-Mail", "Name".`},
		{"ErrHeaderQuote", "\"E-Mail\"x;Name\n", nil, "header", "line 1"},
		{"ErrHeaderUnclosed", "\"E-Mail;Name\nx@y.de;A\n", nil, "header", "never closed"},
		{"ErrHeaderBinary", "E-Mail\x00;Name\n", nil, "binary", "binary data"},
		{"ErrUTF16", "\xFF\xFEE\x00", nil, "utf16", "UTF-16"},
		{"ErrXLSX", "PK\x03\x04rest", nil, "spreadsheet", "spreadsheet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := recipientcsv.NewReader(strings.NewReader(tt.input), recipientcsv.Options{Map: tt.m})
			var e *resonanz.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *resonanz.Error", err)
			}
			if e.Code != resonanz.EINVALID || e.Key != "error.import.csv."+tt.key || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("err = %+v, want key %s and message containing %q", e, tt.key, tt.msg)
			}
		})
	}
}

func TestNewReader_ErrTooManyColumns(t *testing.T) {
	_, err := recipientcsv.NewReader(strings.NewReader("email,a,b,c\n"), recipientcsv.Options{MaxColumns: 3})
	if resonanz.ErrorCode(err) != resonanz.EINVALID || !strings.Contains(resonanz.ErrorMessage(err), "4 columns; at most 3") {
		t.Errorf("err = %v", err)
	}
}

func TestNewReader_ErrRead(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := recipientcsv.NewReader(iotest.ErrReader(boom), recipientcsv.Options{})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap %v", err, boom)
	}
}

func TestRead(t *testing.T) {
	type row = parsedRow
	type rerr struct {
		Line   int
		Reason string
	}
	v := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		input  string
		rows   []row
		errors []rerr
	}{
		{"OK", "E-Mail;Vorname\na@x.de;Anna\nb@x.de;Bernd\n",
			[]row{{2, v("email", "a@x.de", "first_name", "Anna")}, {3, v("email", "b@x.de", "first_name", "Bernd")}}, nil},
		{"header only", "E-Mail;Vorname\n", nil, nil},
		{"header only without newline", "E-Mail;Vorname", nil, nil},
		{"no final newline", "email\na@x.de", []row{{2, v("email", "a@x.de")}}, nil},
		{"values are trimmed", "email,first_name\n  a@x.de , \" Anna \" \n", []row{{2, v("email", "a@x.de", "first_name", "Anna")}}, nil},
		{"nbsp is trimmed", "email\na@x.de\u00a0\n", []row{{2, v("email", "a@x.de")}}, nil},
		{"ignored columns are left out", "E-Mail;Notiz;Vorname\na@x.de;geheim;Anna\n",
			[]row{{2, v("email", "a@x.de", "first_name", "Anna")}}, nil},
		{"crlf", "E-Mail;Vorname\r\na@x.de;Anna\r\nb@x.de;\"B\r\nC\"\r\n",
			[]row{{2, v("email", "a@x.de", "first_name", "Anna")}, {3, v("email", "b@x.de", "first_name", "B\nC")}}, nil},
		{"cr only", "E-Mail;Vorname\ra@x.de;Anna\rb@x.de;Bea\r",
			[]row{{2, v("email", "a@x.de", "first_name", "Anna")}, {3, v("email", "b@x.de", "first_name", "Bea")}}, nil},
		{"bom", "\xEF\xBB\xBFE-Mail;Vorname\na@x.de;Jürgen\n", []row{{2, v("email", "a@x.de", "first_name", "Jürgen")}}, nil},
		{"windows-1252", "E-Mail;Nachname\na@x.de;M\xFCller\nb@x.de;Stra\xDFer \x80\n",
			[]row{{2, v("email", "a@x.de", "last_name", "Müller")}, {3, v("email", "b@x.de", "last_name", "Straßer €")}}, nil},
		{"windows-1252 header", "E-Mail;Stra\xDFe\na@x.de;x\n", []row{{2, v("email", "a@x.de")}}, nil},
		{"embedded newlines", "email;first_name\n\"a@x.de\";\"Zeile 1\nZeile 2\n\nZeile 4\"\nb@x.de;B\n",
			[]row{{2, v("email", "a@x.de", "first_name", "Zeile 1\nZeile 2\n\nZeile 4")}, {6, v("email", "b@x.de", "first_name", "B")}}, nil},
		{"doubled quotes", "email;first_name\na@x.de;\"Hans \"\"Hansi\"\" M\"\n",
			[]row{{2, v("email", "a@x.de", "first_name", `Hans "Hansi" M`)}}, nil},
		{"bare quote in unquoted value is literal", "email;first_name\na@x.de;Hans \"Hansi\" M\n",
			[]row{{2, v("email", "a@x.de", "first_name", `Hans "Hansi" M`)}}, nil},
		{"delimiter inside quotes", "email,last_name\na@x.de,\"Meier, Dr.\"\n", []row{{2, v("email", "a@x.de", "last_name", "Meier, Dr.")}}, nil},
		{"empty lines are skipped", "\n\nemail;first_name\n\na@x.de;A\n\n   \n;\n ; \nb@x.de;B\n\n",
			[]row{{5, v("email", "a@x.de", "first_name", "A")}, {10, v("email", "b@x.de", "first_name", "B")}}, nil},
		{"excel sep line", "sep=;\nemail;first_name\na@x.de;A\n", []row{{3, v("email", "a@x.de", "first_name", "A")}}, nil},
		{"ragged rows", "email;first_name;last_name\na@x.de;A;B;C\nb@x.de;B\nc@x.de;C;D\n",
			[]row{{4, v("email", "c@x.de", "first_name", "C", "last_name", "D")}},
			[]rerr{{2, "row has 4 fields, the header has 3"}, {3, "row has 2 fields, the header has 3"}}},
		{"single column with stray delimiter", "email\na@x.de;x\n", []row{{2, v("email", "a@x.de;x")}}, nil},
		{"single column ragged", "email\na@x.de,x\nb@x.de\n", []row{{3, v("email", "b@x.de")}},
			[]rerr{{2, "row has 2 fields, the header has 1"}}},
		{"text after closing quote", "email;first_name\na@x.de;\"Anna\"x\nb@x.de;B\n",
			[]row{{3, v("email", "b@x.de", "first_name", "B")}},
			[]rerr{{2, `field 2 has text after its closing quote ("); double quotes inside a quoted value`}}},
		{"unclosed quote at the end", "email;first_name\na@x.de;A\nb@x.de;\"B\n",
			[]row{{2, v("email", "a@x.de", "first_name", "A")}},
			[]rerr{{3, `field 2 opens a quote (") that is never closed`}}},
		{"stray quote resynchronizes", "email;first_name\n\"a@x.de;A\nb@x.de;B\nc@x.de;C\n",
			[]row{{3, v("email", "b@x.de", "first_name", "B")}, {4, v("email", "c@x.de", "first_name", "C")}},
			[]rerr{{2, `field 1 opens a quote (") that is never closed`}}},
		{"stray quote closed by a later quote", "email;first_name\n\"a@x.de;A\nb@x.de;B\n\"c@x.de\";C\n",
			[]row{{3, v("email", "b@x.de", "first_name", "B")}, {4, v("email", "c@x.de", "first_name", "C")}},
			[]rerr{{2, `field 1 has text after its closing quote ("); double quotes inside a quoted value`}}},
		{"binary junk", "email;first_name\na@x.de;A\x00B\nb@x.de;\x01\x02\x03\nc@x.de;C\n",
			[]row{{4, v("email", "c@x.de", "first_name", "C")}},
			[]rerr{{2, "row contains binary data (control characters such as NUL bytes); is this really a CSV text file?"},
				{3, "row contains binary data (control characters such as NUL bytes); is this really a CSV text file?"}}},
		{"invalid utf-8 later in a utf-8 file", "email;first_name\na@x.de;J\xFCrgen\nb@x.de;Jürgen\n",
			[]row{{3, v("email", "b@x.de", "first_name", "Jürgen")}},
			nil}, // the sample is invalid, so this is read as windows-1252: see the next case
		{"formula escape is removed", "email;first_name\na@x.de;'=1+1\nb@x.de;'x\n",
			[]row{{2, v("email", "a@x.de", "first_name", "=1+1")}, {3, v("email", "b@x.de", "first_name", "'x")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustReadAll(t, tt.input, recipientcsv.Options{})
			if tt.rows == nil {
				tt.rows = []row{}
			}
			if tt.errors == nil {
				tt.errors = []rerr{}
			}
			if tt.name == "invalid utf-8 later in a utf-8 file" {
				// Read as windows-1252: the invalid byte is ü, the UTF-8 ü is mojibake.
				tt.rows = []row{{2, v("email", "a@x.de", "first_name", "Jürgen")}, {3, v("email", "b@x.de", "first_name", "JÃ¼rgen")}}
			}
			if !reflect.DeepEqual(p.Rows, tt.rows) {
				t.Errorf("rows:\n got %+v\nwant %+v", p.Rows, tt.rows)
			}
			errs := []rerr{}
			for _, e := range p.Errors {
				errs = append(errs, rerr{e.Line, e.Reason})
				// The desk shows the reason from the catalogues.
				if !strings.HasPrefix(e.Key, "error.import.row.") {
					t.Errorf("line %d: reason %q has key %q, want a catalogue key", e.Line, e.Reason, e.Key)
				}
			}
			if !reflect.DeepEqual(errs, tt.errors) {
				t.Errorf("errors:\n got %+v\nwant %+v", errs, tt.errors)
			}
			if p.BytesRead != int64(len(tt.input)) {
				t.Errorf("BytesRead = %d, want %d", p.BytesRead, len(tt.input))
			}
		})
	}
}

// TestRead_InvalidUTF8AfterSample covers a file whose first 64 KiB are UTF-8
// but which has a Windows-1252 byte later: that row is reported, not garbled.
func TestRead_InvalidUTF8AfterSample(t *testing.T) {
	var b strings.Builder
	b.WriteString("email;first_name\n")
	n := 0
	for b.Len() < recipientcsv.SniffBytes+100 {
		n++
		b.WriteString("a@x.de;Jürgen\n")
	}
	b.WriteString("b@x.de;J\xFCrgen\nc@x.de;C\n")
	p := mustReadAll(t, b.String(), recipientcsv.Options{})
	if p.Format.Encoding != "utf-8" || len(p.Rows) != n+1 || len(p.Errors) != 1 {
		t.Fatalf("format %v, %d rows, errors %v", p.Format, len(p.Rows), p.Errors)
	}
	if e := p.Errors[0]; e.Line != n+2 || !strings.Contains(e.Reason, "not valid UTF-8") {
		t.Errorf("error = %+v", e)
	}
}

func TestRead_Limits(t *testing.T) {
	t.Run("ErrFieldTooLong", func(t *testing.T) {
		in := "email;first_name\na@x.de;" + strings.Repeat("x", 101) + "\nb@x.de;\"" + strings.Repeat("y\n", 60) + "\"\nc@x.de;C\n"
		p := mustReadAll(t, in, recipientcsv.Options{MaxFieldBytes: 100})
		want := []recipientcsv.RowError{
			{Line: 2, Reason: "field 2 is longer than 100 bytes", Key: "error.import.row.fieldTooLong", Params: map[string]string{"column": "2", "max": "100"}},
			{Line: 3, Reason: "field 2 is longer than 100 bytes (is a closing quote missing?)", Key: "error.import.row.quotedFieldTooLong", Params: map[string]string{"column": "2", "max": "100"}},
		}
		// After the second error the reader resynchronizes on line 4: the 59
		// "y" lines are single-column rows, then the closing `"` line opens
		// a quote that runs into line 64 and beyond.
		if !reflect.DeepEqual(p.Errors[:2], want) {
			t.Errorf("errors = %+v", p.Errors)
		}
		if last := p.Rows[len(p.Rows)-1]; last.Line != 64 || last.Values["email"] != "c@x.de" {
			t.Errorf("last row = %+v, want c@x.de on line 64", last)
		}
	})
	t.Run("ErrRowTooLong", func(t *testing.T) {
		in := "email;first_name\n" + strings.Repeat("x", 5000) + "\nb@x.de;B\n"
		p := mustReadAll(t, in, recipientcsv.Options{MaxFieldBytes: 100, MaxRowBytes: 1000})
		if len(p.Errors) != 1 || p.Errors[0].Line != 2 || p.Errors[0].Reason != "row is longer than 1000 bytes" || p.Errors[0].Key != "error.import.row.tooLong" {
			t.Errorf("errors = %+v", p.Errors)
		}
		if len(p.Rows) != 1 || p.Rows[0].Line != 3 {
			t.Errorf("rows = %+v", p.Rows)
		}
		if p.BytesRead != int64(len(in)) {
			t.Errorf("BytesRead = %d, want %d", p.BytesRead, len(in))
		}
	})
	t.Run("ErrLongLineBeyondBuffer", func(t *testing.T) {
		in := "email;first_name\n" + strings.Repeat("x", 3*recipientcsv.DefaultMaxRowBytes) + "\nb@x.de;B\n"
		p := mustReadAll(t, in, recipientcsv.Options{})
		if len(p.Errors) != 1 || p.Errors[0].Line != 2 || len(p.Rows) != 1 || p.Rows[0].Line != 3 {
			t.Errorf("errors = %+v, rows = %+v", p.Errors, p.Rows)
		}
	})
}

func TestRead_RowAPI(t *testing.T) {
	rd, err := recipientcsv.NewReader(strings.NewReader("Notiz;E-Mail;Vorname\nn;a@x.de;Anna\n"), recipientcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := row.Values, []string{"n", "a@x.de", "Anna"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Values = %q, want %q", got, want)
	}
	if row.Get("email") != "a@x.de" || row.Get("first_name") != "Anna" || row.Get("last_name") != "" {
		t.Errorf("Get: %q %q %q", row.Get("email"), row.Get("first_name"), row.Get("last_name"))
	}
	if _, err := rd.Read(); err != io.EOF {
		t.Errorf("second Read: %v, want io.EOF", err)
	}
	if _, err := rd.Read(); err != io.EOF {
		t.Errorf("Read after EOF: %v, want io.EOF", err)
	}
}

// TestRead_OneByteReads feeds the input a byte at a time so every buffer
// boundary case is hit.
func TestRead_OneByteReads(t *testing.T) {
	in := "\xEF\xBB\xBFE-Mail;Vorname\r\n\r\na@x.de;\"A\r\nB\"\r\n\"b@x.de\"x;B\r\nc@x.de;C"
	want := mustReadAll(t, in, recipientcsv.Options{})
	rd, err := recipientcsv.NewReader(iotest.OneByteReader(strings.NewReader(in)), recipientcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for {
		row, err := rd.Read()
		if err == io.EOF {
			break
		}
		lines = append(lines, row.Line)
	}
	if !reflect.DeepEqual(lines, []int{3, 5, 6}) || len(want.Rows) != 2 || len(want.Errors) != 1 {
		t.Errorf("lines = %v, want [3 5 6]; rows %+v errors %+v", lines, want.Rows, want.Errors)
	}
	if rd.BytesRead() != int64(len(in)) {
		t.Errorf("BytesRead = %d, want %d", rd.BytesRead(), len(in))
	}
}

func TestRead_ErrRead(t *testing.T) {
	boom := errors.New("network gone")
	src := io.MultiReader(strings.NewReader("email\na@x.de\n\"b"), iotest.ErrReader(boom))
	rd, err := recipientcsv.NewReader(src, recipientcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := rd.Read(); err != nil || row.Get("email") != "a@x.de" {
		t.Fatalf("first Read = %+v, %v", row, err)
	}
	if _, err := rd.Read(); !errors.Is(err, boom) {
		t.Errorf("second Read error = %v, want %v", err, boom)
	}
}

// TestRead_StrayQuotesLinear reads a file in which every line both closes
// and opens a quoted value: each resynchronization would rescan up to
// MaxRowBytes, which took hours before the frontier rule made it linear.
func TestRead_StrayQuotesLinear(t *testing.T) {
	in := "email;name;x\n" + strings.Repeat("a\";\"b\n", 300_000)
	start := time.Now()
	p := mustReadAll(t, in, recipientcsv.Options{})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if len(p.Errors) != 300_000 || len(p.Rows) != 0 {
		t.Errorf("%d errors, %d rows; want one error per line", len(p.Errors), len(p.Rows))
	}
}

// TestRead_ResyncRegion: after a stray quote the swallowed lines are re-read
// line by line, but the last of them may still continue onto new lines, so
// a genuine multi-line value that closed the stray quote is read again.
func TestRead_ResyncRegion(t *testing.T) {
	in := "email;Vorname\n\"a@x.de;A\nb@x.de;B\nc@x.de;\"Zeile 1\nZeile 2\"\nd@x.de;D\n"
	p := mustReadAll(t, in, recipientcsv.Options{})
	lines := []int{}
	for _, r := range p.Rows {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{3, 4, 6}) || len(p.Errors) != 1 || p.Errors[0].Line != 2 {
		t.Fatalf("rows on lines %v, errors %+v", lines, p.Errors)
	}
	if got := p.Rows[1].Values["first_name"]; got != "Zeile 1\nZeile 2" {
		t.Errorf("first_name = %q", got)
	}
}

// TestNewReader_ErrMessage pins the error's shapes: callers strip the
// "recipientcsv: " prefix for users, or ask errors.As for the domain error.
func TestNewReader_ErrMessage(t *testing.T) {
	_, err := recipientcsv.NewReader(strings.NewReader(""), recipientcsv.Options{})
	var he *recipientcsv.HeaderError
	if !errors.As(err, &he) || he.Key != "error.import.csv.empty" || err.Error() != "recipientcsv: The file is empty." {
		t.Errorf("err = %#v", err)
	}
	if resonanz.ErrorCode(err) != resonanz.EINVALID || resonanz.ErrorMessage(err) != "The file is empty." {
		t.Errorf("ErrorCode = %q, ErrorMessage = %q", resonanz.ErrorCode(err), resonanz.ErrorMessage(err))
	}
}
