package ingest_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/resonanz/resonanz/backend/ingest"
)

// BenchmarkDecodeSendGrid decodes a generated 100k-event SendGrid array and
// reports events/s.
func BenchmarkDecodeSendGrid(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	if err := ingest.GenerateSendGrid(&buf, n, 1, nil); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := ingest.NewDecoder(bytes.NewReader(data), "sendgrid", ingest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("decoded %d events, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestGenerateSendGrid: deterministic, decodes cleanly, mixed types.
func TestGenerateSendGrid(t *testing.T) {
	var a, b bytes.Buffer
	if err := ingest.GenerateSendGrid(&a, 500, 7, nil); err != nil {
		t.Fatal(err)
	}
	_ = ingest.GenerateSendGrid(&b, 500, 7, nil)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed, different output")
	}
	evs, rows := decodeAll(t, a.Bytes(), ingest.Auto, ingest.Options{})
	if len(evs) != 500 || len(rows) > 0 {
		t.Fatalf("%d events, rows %v", len(evs), rows)
	}
	seen := map[string]bool{}
	keys := map[string]bool{}
	for _, ev := range evs {
		seen[string(ev.Type)+"/"+ev.LinkKind] = true
		if keys[ev.DedupeKey] {
			t.Fatalf("duplicate dedupe key %s", ev.DedupeKey)
		}
		keys[ev.DedupeKey] = true
	}
	for _, want := range []string{"delivered/", "opened/", "clicked/text", "clicked/image", "bounced/"} {
		if !seen[want] {
			t.Errorf("no %s event in %v", want, seen)
		}
	}
}
