package recipientcsv_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

// TestGolden reads every testdata/*.csv (with the Options in a sibling
// NAME.options.json, if any) and compares the columns, rows and errors, or
// the NewReader error, with testdata/NAME.golden.json.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".csv")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var opt recipientcsv.Options
			if b, err := os.ReadFile(filepath.Join("testdata", name+".options.json")); err == nil {
				if err := json.Unmarshal(b, &opt); err != nil {
					t.Fatal(err)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}

			var out any
			p, err := readAll(t, data, opt)
			if err != nil {
				var e *resonanz.Error
				if !errors.As(err, &e) {
					t.Fatalf("NewReader: %v", err)
				}
				out = map[string]string{"code": e.Code, "key": e.Key, "message": e.Message}
			} else {
				out = p
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')

			goldenfile.Assert(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
}
