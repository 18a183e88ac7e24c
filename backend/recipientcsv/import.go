package recipientcsv

import (
	"context"
	"errors"
	"io"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// AttributeFields turns custom attribute definitions into auto-mapping
// fields: a column headed with the attribute's key or label maps to it.
func AttributeFields(defs []resonanz.AttributeDef) []Field {
	var out []Field
	for _, d := range defs {
		if !d.Builtin {
			out = append(out, Field{Key: d.Key, Aliases: []string{d.Label}})
		}
	}
	return out
}

// Import reads CSV from r and imports it with imp: the mapped fields are
// checked first (nothing is written when the mapping is unusable), then the
// rows stream into the importer. size is the input's length for progress
// (0 if unknown). It returns the result and the column mapping used.
func Import(ctx context.Context, r io.Reader, size int64, imp resonanz.RecipientImporter, opt Options, ropt resonanz.RecipientImport, progress func(resonanz.ImportProgress)) (resonanz.ImportResult, []Column, error) {
	rd, err := NewReader(r, opt)
	if err != nil {
		return resonanz.ImportResult{}, nil, err // a *HeaderError wrapping a coded *resonanz.Error
	}
	var mapped []string
	for _, c := range rd.Columns() {
		mapped = append(mapped, c.Fields()...)
	}
	if err := imp.CheckFields(ctx, mapped, ropt); err != nil {
		return resonanz.ImportResult{}, rd.Columns(), err
	}
	var report func(resonanz.ImportProgress)
	if progress != nil {
		report = func(p resonanz.ImportProgress) {
			p.Bytes, p.TotalBytes = rd.BytesRead(), size
			progress(p)
		}
	}
	res, err := imp.ImportRecipients(ctx, &rowSource{rd: rd}, ropt, report)
	return res, rd.Columns(), err
}

// rowSource adapts a Reader to resonanz.RowSource. It fills one map for
// every row (the RowSource contract allows it), which spares a 100k-row
// import 100k maps.
type rowSource struct {
	rd     *Reader
	values map[string]string
}

func (s *rowSource) Next() (resonanz.ImportRow, error) {
	row, err := s.rd.Read()
	var rowErr *RowError
	if errors.As(err, &rowErr) {
		return resonanz.ImportRow{}, &resonanz.RowError{Line: rowErr.Line, Reason: rowErr.Reason, Key: rowErr.Key, Params: rowErr.Params}
	} else if err != nil {
		return resonanz.ImportRow{}, err
	}
	if s.values == nil {
		s.values = row.Map()
	} else {
		clear(s.values)
		row.mapInto(s.values)
	}
	return resonanz.ImportRow{Line: row.Line, Values: s.values}, nil
}
