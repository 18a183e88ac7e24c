package mailbox_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/resonanz/resonanz/backend/mailbox"
)

// BenchmarkClassify classifies each message of testdata/corpus (one
// sub-benchmark per message): the sync's CPU cost per message beside the
// fetch and the store.
func BenchmarkClassify(b *testing.B) {
	files, err := filepath.Glob("testdata/corpus/*.eml")
	if err != nil || len(files) == 0 {
		b.Fatalf("no corpus: %v", err)
	}
	addr := testAddresses(b)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		raw = bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n")) // as IMAP delivers it
		b.Run(filepath.Base(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mailbox.Classify(bytes.NewReader(raw), addr)
			}
		})
	}
}
