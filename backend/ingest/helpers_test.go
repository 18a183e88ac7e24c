package ingest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/resonanz"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

// decodeAll reads every event; row errors are collected, other errors fail.
func decodeAll(tb testing.TB, data []byte, provider string, opt ingest.Options) ([]resonanz.ProviderEvent, []resonanz.RowError) {
	tb.Helper()
	d, err := ingest.NewDecoder(bytes.NewReader(data), provider, opt)
	if err != nil {
		tb.Fatalf("NewDecoder: %v", err)
	}
	var evs []resonanz.ProviderEvent
	var rows []resonanz.RowError
	for {
		ev, err := d.Next()
		var re *resonanz.RowError
		switch {
		case err == io.EOF:
			return evs, rows
		case errors.As(err, &re):
			rows = append(rows, *re)
		case err != nil:
			tb.Fatalf("Next: %v", err)
		default:
			evs = append(evs, ev)
		}
	}
}

// golden compares v, as indented JSON, with testdata/name.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	goldenfile.Assert(t, filepath.Join("testdata", name+".golden.json"), got)
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
