package recipientcsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// WriteOptions configure a Writer.
type WriteOptions struct {
	// Delimiter is ',', ';' or '\t'; zero means ','. German Excel expects ';'.
	Delimiter rune
	// BOM writes a UTF-8 byte order mark first, which Excel needs to read
	// umlauts in a CSV file correctly.
	BOM bool
}

// Writer writes CSV exports: UTF-8, CRLF line breaks, quotes where needed.
//
// Formula injection: a spreadsheet treats a cell starting with = + - @ (and
// after a tab or CR) as a formula, so a recipient who calls themselves
// "=HYPERLINK(...)" could run code in the exporter's spreadsheet. Writer
// therefore prefixes such values (header names too) with a single quote:
// "=1+1" is written as "'=1+1", "-5" as "'-5" and "'=1" as "”=1".
// Spreadsheets show the quote. Reader removes one leading quote from such
// values again unless Options.KeepFormulaEscape is set, so exports
// re-import to the same values. Line breaks inside values (LF, CRLF or CR)
// are written as CRLF.
type Writer struct {
	csv    *csv.Writer
	w      io.Writer
	n      int
	bom    bool
	buf    []string
	header []string
}

// NewWriter returns a Writer for rows of len(columns) values; the header
// line is written with the first Write or Flush.
func NewWriter(w io.Writer, columns []string, opt WriteOptions) (*Writer, error) {
	d := opt.Delimiter
	if d == 0 {
		d = ','
	}
	if !isDelimiter(d) {
		return nil, fmt.Errorf("recipientcsv: delimiter %q is not one of ',', ';' or tab", d)
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("recipientcsv: no columns to write")
	}
	cw := csv.NewWriter(w)
	cw.Comma = d
	cw.UseCRLF = true
	return &Writer{csv: cw, w: w, n: len(columns), bom: opt.BOM, header: columns, buf: make([]string, len(columns))}, nil
}

// Write writes one row; values must have one entry per column.
func (w *Writer) Write(values []string) error {
	if err := w.start(); err != nil {
		return err
	}
	if len(values) != w.n {
		return fmt.Errorf("recipientcsv: write: %d values for %d columns", len(values), w.n)
	}
	return w.write(values)
}

// Flush writes buffered data to the underlying writer and reports any error
// of an earlier Write.
func (w *Writer) Flush() error {
	if err := w.start(); err != nil {
		return err
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return fmt.Errorf("recipientcsv: write: %w", err)
	}
	return nil
}

// start writes the BOM and the header once.
func (w *Writer) start() error {
	if w.header == nil {
		return nil
	}
	h := w.header
	w.header = nil
	if w.bom {
		if _, err := io.WriteString(w.w, "\uFEFF"); err != nil {
			return fmt.Errorf("recipientcsv: write: %w", err)
		}
	}
	return w.write(h)
}

func (w *Writer) write(values []string) error {
	for i, v := range values {
		if strings.IndexByte(v, '\r') >= 0 {
			// encoding/csv with UseCRLF drops every CR; keep CR-only line
			// breaks as line breaks instead.
			v = crlf.Replace(v)
		}
		if needsEscape(v) {
			v = "'" + v
		}
		w.buf[i] = v
	}
	if err := w.csv.Write(w.buf); err != nil {
		return fmt.Errorf("recipientcsv: write: %w", err)
	}
	return nil
}

var crlf = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// needsEscape reports whether a spreadsheet could read v as a formula: v
// starts, after blanks, with = + - @, or with a tab or line break followed
// by more text. Leading quotes are skipped too, so a value that already
// looks escaped gets another quote and Reader's unescaping gives it back
// unchanged.
func needsEscape(v string) bool {
	v = strings.TrimLeftFunc(v, func(r rune) bool {
		return r == '\'' || unicode.IsSpace(r) && r != '\t' && r != '\r' && r != '\n'
	})
	if v == "" {
		return false
	}
	switch v[0] {
	case '=', '+', '-', '@':
		return true
	case '\t', '\r', '\n':
		return strings.TrimSpace(v) != ""
	}
	return false
}
