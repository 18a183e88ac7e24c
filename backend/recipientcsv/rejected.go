package recipientcsv

import (
	"errors"
	"io"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// WriteRejected writes the rows of an import that were rejected as a new
// CSV file in the file's own layout (its header, columns and delimiter, as
// UTF-8 with BOM) plus a last column reasonHeader holding the reason, so
// the file can be fixed and imported again: the reason column is not
// mapped by the import. src is the imported file read again from its
// start, with the same opt. reason turns a rejection into the text
// written (the caller's language). A row that could not be read at all
// keeps its line number in the reason and empty values. It returns how
// many rows it wrote.
func WriteRejected(w io.Writer, src io.Reader, opt Options, rejected []resonanz.RowError, reasonHeader string, reason func(resonanz.RowError) string) (int, error) {
	byLine := make(map[int]resonanz.RowError, len(rejected))
	for _, r := range rejected {
		byLine[r.Line] = r
	}
	rd, err := NewReader(src, opt)
	if err != nil {
		return 0, err
	}
	cols := rd.Columns()
	header := make([]string, 0, len(cols)+1)
	for _, c := range cols {
		header = append(header, c.Header)
	}
	header = append(header, reasonHeader)
	cw, err := NewWriter(w, header, WriteOptions{Delimiter: rd.Format().Delimiter, BOM: true})
	if err != nil {
		return 0, err
	}
	written := 0
	values := make([]string, len(header))
	for len(byLine) > 0 {
		row, err := rd.Read()
		var rowErr *RowError
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil && !errors.As(err, &rowErr) {
			return written, err
		}
		rej, ok := byLine[row.Line]
		if !ok {
			continue
		}
		delete(byLine, row.Line)
		clear(values)
		copy(values, row.Values) // nil for an unreadable row
		values[len(values)-1] = reason(rej)
		if err := cw.Write(values); err != nil {
			return written, err
		}
		written++
	}
	// Rejections on lines the second reading did not meet (should not
	// happen with the same file) are still written, so none is lost.
	for _, r := range rejected {
		if _, ok := byLine[r.Line]; ok {
			clear(values)
			values[len(values)-1] = reason(r)
			if err := cw.Write(values); err != nil {
				return written, err
			}
			written++
		}
	}
	return written, cw.Flush()
}
