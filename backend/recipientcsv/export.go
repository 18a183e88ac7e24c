package recipientcsv

import (
	"context"
	"io"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// ExportRecipients writes the recipients matching filter as CSV, one column
// per attribute (builtin first), walking the table by key so memory stays
// flat however large the list is. It returns the number of rows written.
func ExportRecipients(ctx context.Context, w io.Writer, svc resonanz.RecipientService, defs []resonanz.AttributeDef, filter resonanz.RecipientFilter, opt WriteOptions) (int, error) {
	var columns, custom []string
	for _, d := range defs {
		columns = append(columns, d.Key)
		if !d.Builtin {
			custom = append(custom, d.Key)
		}
	}
	cw, err := NewWriter(w, columns, opt)
	if err != nil {
		return 0, err
	}
	filter.Limit, filter.Offset, filter.Sort, filter.AfterID = 1000, 0, "", 0
	n := 0
	row := make([]string, 0, len(columns))
	for {
		page, err := svc.FindRecipients(ctx, filter)
		if err != nil {
			return n, err
		}
		for _, r := range page.Recipients {
			row = append(row[:0], r.Email, r.FirstName, r.LastName, string(r.Gender), r.Title, r.Language)
			for _, k := range custom {
				row = append(row, r.Attributes[k])
			}
			if err := cw.Write(row); err != nil {
				return n, err
			}
			n++
		}
		if len(page.Recipients) < filter.Limit {
			break
		}
		filter.AfterID = page.Recipients[len(page.Recipients)-1].ID
	}
	return n, cw.Flush()
}
