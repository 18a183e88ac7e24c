package recipientcsv_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/recipientcsv"
)

// benchData returns a deterministic German Excel style file: n rows of six
// columns, some quoted, some with umlauts.
func benchData(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\xEF\xBB\xBFAnrede;Titel;Vorname;Nachname;E-Mail;Sprache\r\n")
	first := []string{"Anna", "Jürgen", "Zoë", "Hans-Peter", "Marie"}
	last := []string{"Müller", "Schmidt", "\"Meier; jun.\"", "Weiß", "von der Heide"}
	for i := range n {
		gender, title := "Frau", ""
		if i%2 == 1 {
			gender = "Herr"
		}
		if i%7 == 0 {
			title = "Dr."
		}
		fmt.Fprintf(&b, "%s;%s;%s;%s;person%d@example.de;de\r\n", gender, title, first[i%len(first)], last[i%len(last)], i)
	}
	return b.Bytes()
}

// countRows reads data to the end and counts the rows; row errors fail tb.
func countRows(tb testing.TB, data []byte) int {
	rd, err := recipientcsv.NewReader(bytes.NewReader(data), recipientcsv.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		_, err := rd.Read()
		if err == io.EOF {
			return n
		} else if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// BenchmarkRead100k reads 100,000 rows of 6 columns (about 5 MB).
func BenchmarkRead100k(b *testing.B) {
	const rows = 100_000
	data := benchData(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if n := countRows(b, data); n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// plainRead reads data with encoding/csv alone (no decoding, mapping or
// validation): the in-run baseline of TestRead_Speed.
func plainRead(tb testing.TB, data []byte) int {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ';'
	r.ReuseRecord = true
	n := -1 // the header
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n
		} else if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// TestRead_Speed guards the requirement that 100k rows read well under
// 150 ms on this project's reference machine (2 cores). A loaded machine
// reads slower, so the bound is also scaled by an in-run baseline: plain
// encoding/csv over the same bytes. The reader may take at most 150 ms or
// readSpeedRatio times the baseline, whichever is larger (quiet: about
// 1.5–2× the baseline). The best of up to 20 interleaved runs counts, since
// on a shared machine single runs are stretched by others' bursts; a reader
// that is really slow is slow in every one of them. It is skipped in
// -short mode and under the race detector's slowdown it only logs.
func TestRead_Speed(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	const readSpeedRatio = 3
	data := benchData(100_000)
	best, base := time.Hour, time.Hour
	limit := func() time.Duration { return max(150*time.Millisecond, readSpeedRatio*base) }
	for i := 0; i < 20 && (i < 3 || best > limit()); i++ {
		start := time.Now()
		if n := plainRead(t, data); n != 100_000 {
			t.Fatalf("baseline: %d rows", n)
		}
		base = min(base, time.Since(start))
		start = time.Now()
		if n := countRows(t, data); n != 100_000 {
			t.Fatalf("%d rows", n)
		}
		best = min(best, time.Since(start))
	}
	t.Logf("100k rows in %v; encoding/csv alone %v (ratio %.2f); limit %v", best, base, float64(best)/float64(base), limit())
	if best > limit() && !raceEnabled {
		t.Errorf("reading 100k rows took %v, want well under %v (encoding/csv alone: %v)", best, limit(), base)
	}
}
