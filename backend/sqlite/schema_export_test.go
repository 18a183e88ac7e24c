package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// SchemaGoldenJSON returns the golden file's content for migrations, made by
// replaying them: the objects sorted by type and name, one per line.
func SchemaGoldenJSON(ctx context.Context, migrations fs.FS) ([]byte, error) {
	ms, err := loadMigrations(migrations)
	if err != nil {
		return nil, err
	}
	s, err := replaySchema(ctx, migrations)
	if err != nil {
		return nil, err
	}
	objs := make([]goldenObject, 0, len(s))
	for _, o := range s {
		objs = append(objs, goldenObject{Type: o.typ, Name: o.name, SQL: o.sql})
	}
	slices.SortFunc(objs, func(a, b goldenObject) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name))
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"migrations\": %q,\n  \"objects\": [\n", migrationsKey(ms))
	for i, o := range objs {
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false) // readable: CHECK (n >= 0), not \u003e=
		if err := enc.Encode(o); err != nil {
			return nil, err
		}
		b.WriteString("    ")
		b.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
		if i < len(objs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes(), nil
}
