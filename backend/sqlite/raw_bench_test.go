package sqlite_test

import (
	"fmt"
	"testing"
)

// BenchmarkRawInsert100k is the in-run baseline for imports: a plain
// prepared-statement bulk insert of the same number of rows.
func BenchmarkRawInsert100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		db := MustOpenDB(b)
		b.StartTimer()
		tx, _ := db.SQL().Begin()
		st, err := tx.Prepare(`INSERT INTO recipient (email, email_key, first_name, last_name, gender, title, language, attrs, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for i := range 100_000 {
			e := fmt.Sprintf("person%d@example.org", i)
			if _, err := st.Exec(e, e, "Anna", "Müller", "f", "Dr.", "", "{}", 1, 1); err != nil {
				b.Fatal(err)
			}
		}
		tx.Commit()
	}
}
