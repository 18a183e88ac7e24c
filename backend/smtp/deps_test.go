package smtp_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the dependency rule: backend/smtp (and smtptest) use
// the standard library, go-mail and backend/resonanz only.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("smtptest/*.go")
	for _, name := range append(files, more...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			switch {
			case !strings.Contains(first, "."): // standard library
			case strings.HasPrefix(path, "github.com/wneessen/go-mail"):
				if strings.HasPrefix(name, "smtptest") {
					t.Errorf("%s imports %s: the test server must not depend on the client", name, path)
				}
			case path == "github.com/resonanz/resonanz/backend/resonanz":
			default:
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
