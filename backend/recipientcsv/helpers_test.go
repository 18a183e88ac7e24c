package recipientcsv_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/resonanz/resonanz/backend/recipientcsv"
)

// parsed is everything a Reader produced from one input, in a shape that
// compares and renders as JSON well.
type parsed struct {
	Format    recipientcsv.Format     `json:"format"`
	Columns   []recipientcsv.Column   `json:"columns"`
	Rows      []parsedRow             `json:"rows"`
	Errors    []recipientcsv.RowError `json:"errors"`
	BytesRead int64                   `json:"bytesRead"`
}

type parsedRow struct {
	Line   int               `json:"line"`
	Values map[string]string `json:"values"`
}

// readAll reads data to the end. A NewReader error is returned as is; row
// errors are collected. It fails tb on anything else.
func readAll(tb testing.TB, data []byte, opt recipientcsv.Options) (parsed, error) {
	tb.Helper()
	rd, err := recipientcsv.NewReader(bytes.NewReader(data), opt)
	if err != nil {
		return parsed{}, err
	}
	p := parsed{Format: rd.Format(), Columns: rd.Columns(), Rows: []parsedRow{}, Errors: []recipientcsv.RowError{}}
	for i := 0; ; i++ {
		if i > len(data)+2 {
			tb.Fatalf("Read does not reach io.EOF")
		}
		row, err := rd.Read()
		if err == io.EOF {
			break
		}
		var rowErr *recipientcsv.RowError
		switch {
		case errors.As(err, &rowErr):
			p.Errors = append(p.Errors, *rowErr)
		case err != nil:
			tb.Fatalf("Read: unexpected error %v", err)
		default:
			p.Rows = append(p.Rows, parsedRow{Line: row.Line, Values: row.Map()})
		}
	}
	p.BytesRead = rd.BytesRead()
	return p, nil
}

// mustReadAll is readAll for inputs whose header must be fine.
func mustReadAll(tb testing.TB, data string, opt recipientcsv.Options) parsed {
	tb.Helper()
	p, err := readAll(tb, []byte(data), opt)
	if err != nil {
		tb.Fatalf("NewReader: %v", err)
	}
	return p
}

// asError is errors.As with a bool result, for compact conditions.
func asError[T error](err error, target *T) bool { return errors.As(err, target) }
