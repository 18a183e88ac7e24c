package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// BenchmarkImportRecipients100k imports 100k new recipients onto a list,
// the store side of the CSV import target (≤ 1.5 s including parsing).
func BenchmarkImportRecipients100k(b *testing.B) {
	const n = 100_000
	vals := make([]map[string]string, n)
	for i := range vals {
		vals[i] = map[string]string{"email": fmt.Sprintf("person%d@example.org", i), "first_name": "Anna",
			"last_name": fmt.Sprintf("Müller%d", i%977), "gender": "Frau", "title": "Dr."}
	}
	for b.Loop() {
		b.StopTimer()
		db := MustOpenDB(b)
		b.StartTimer()
		res, err := sqlite.NewImportService(db).ImportRecipients(context.Background(), src(vals...), resonanz.RecipientImport{ListName: "News"}, nil)
		if err != nil || res.Created != n {
			b.Fatal(res.Created, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
