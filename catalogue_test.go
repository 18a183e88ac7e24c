package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateKeyless = flag.Bool("update-keyless", false, "rewrite testdata/keyless-errors.txt")

// catalogueKey is what a catalogue key Go sends looks like.
var catalogueKey = regexp.MustCompile(`^(error|import)\.[A-Za-z0-9_:]+(\.[A-Za-z0-9_:]+)+$`)

// goSources parses every non-test Go file of the program (this package and
// backend/), skipping test helpers' packages.
func goSources(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, root := range []string{".", "backend"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if root == "." && path != "." || strings.Contains(path, "testdata") || strings.HasSuffix(path, "test") && path != "." {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			files[path] = f
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return fset, files
}

// keyHelper is a function that builds a catalogue key from a prefix and
// one of its string arguments.
type keyHelper struct {
	prefix string
	arg    int
	suffix string
}

// keyHelpers are the key-building helpers by "directory/file:function"
// ("directory/*:function" for every file of the package).
var keyHelpers = map[string]keyHelper{
	"backend/recipientcsv/*:invalid":    {"error.import.csv.", 0, ""},
	"backend/resonanz/attribute.go:bad": {"error.attribute.value.", 0, ""},
	"backend/resonanz/*:surveyField":    {"error.survey.", 1, ""},
	"backend/smtp/mime.go:fieldErr":     {"error.mail.", 0, ".invalid"},
	"backend/smtp/config.go:cfgErr":     {"error.smtp.", 0, ".invalid"},
	"backend/smtp/mailer.go:mk":         {"error.smtp.", 1, ""},
}

// emittedKeys collects the catalogue keys the Go code can send: every
// string literal shaped like a key, the keys the helpers above build from
// their literal arguments, and the prefixes of keys built at run time.
func emittedKeys(t *testing.T) (keys map[string][]string, prefixes map[string][]string) {
	fset, files := goSources(t)
	keys, prefixes = map[string][]string{}, map[string][]string{}
	for path, f := range files {
		dir, file := filepath.Split(filepath.ToSlash(path))
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				pos := fset.Position(n.Pos()).String()
				if catalogueKey.MatchString(s) {
					keys[s] = append(keys[s], pos)
				} else if (strings.HasPrefix(s, "error.") || strings.HasPrefix(s, "import.")) && strings.HasSuffix(s, ".") && !strings.Contains(s, " ") {
					prefixes[s] = append(prefixes[s], pos)
				}
			case *ast.CallExpr:
				id, ok := n.Fun.(*ast.Ident)
				if !ok {
					return true
				}
				h, ok := keyHelpers[dir+file+":"+id.Name]
				if !ok {
					h, ok = keyHelpers[dir+"*:"+id.Name]
				}
				if !ok || len(n.Args) <= h.arg {
					return true
				}
				arg, ok := n.Args[h.arg].(*ast.BasicLit)
				if !ok || arg.Kind != token.STRING {
					return true
				}
				s, _ := strconv.Unquote(arg.Value)
				key := h.prefix + s + h.suffix
				keys[key] = append(keys[key], fset.Position(n.Pos()).String())
			}
			return true
		})
	}
	return keys, prefixes
}

func readCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("frontend", "src", "lib", "i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCatalogue_HasEveryKeyGoSends fails when the Go code can send an i18n
// key (an error, an import reason or warning) that de.json or en.json
// lacks. The keys are collected from the code, not listed by hand.
func TestCatalogue_HasEveryKeyGoSends(t *testing.T) {
	keys, prefixes := emittedKeys(t)
	if len(keys) < 100 {
		t.Fatalf("found only %d keys in the Go code; is the collector broken?", len(keys))
	}
	for _, lang := range []string{"de", "en"} {
		cat := readCatalogue(t, lang)
		var missing []string
		for k, where := range keys {
			if _, ok := cat[k]; !ok {
				missing = append(missing, fmt.Sprintf("%s (%s)", k, where[0]))
			}
		}
		for p, where := range prefixes {
			found := false
			for k := range cat {
				if strings.HasPrefix(k, p) {
					found = true
					break
				}
			}
			if !found {
				missing = append(missing, fmt.Sprintf("%s* (%s)", p, where[0]))
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("%s.json lacks %d keys the Go code sends:\n  %s", lang, len(missing), strings.Join(missing, "\n  "))
		}
	}
}

// keylessErrors counts, per file, the places that build a user-facing
// error without a catalogue key: calls of resonanz.Errorf and *Error
// literals without Key.
func keylessErrors(t *testing.T) map[string]int {
	_, files := goSources(t)
	counts := map[string]int{}
	for path, f := range files {
		inResonanz := f.Name.Name == "resonanz"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "resonanz" && fn.Sel.Name == "Errorf" {
						counts[filepath.ToSlash(path)]++
					}
				case *ast.Ident:
					if inResonanz && fn.Name == "Errorf" {
						counts[filepath.ToSlash(path)]++
					}
				}
			case *ast.CompositeLit:
				name := ""
				switch typ := n.Type.(type) {
				case *ast.SelectorExpr:
					if x, ok := typ.X.(*ast.Ident); ok && x.Name == "resonanz" {
						name = typ.Sel.Name
					}
				case *ast.Ident:
					if inResonanz {
						name = typ.Name
					}
				}
				if name != "Error" {
					return true
				}
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Key" {
							return true
						}
					}
				}
				counts[filepath.ToSlash(path)]++
			}
			return true
		})
	}
	return counts
}

// TestCatalogue_ErrorsHaveKeys fails when a file builds more user-facing
// errors without a catalogue key than testdata/keyless-errors.txt allows:
// the known places (English only in the German desk) may only become
// fewer; a new error needs a key. go test -run ErrorsHaveKeys -update-keyless
// rewrites the list after places were fixed.
func TestCatalogue_ErrorsHaveKeys(t *testing.T) {
	counts := keylessErrors(t)
	const list = "testdata/keyless-errors.txt"
	if *updateKeyless {
		var b strings.Builder
		b.WriteString("# Places per file that build a user-facing error without an i18n key (ratchet: may only go down).\n")
		paths := make([]string, 0, len(counts))
		for p := range counts {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, p := range paths {
			fmt.Fprintf(&b, "%s %d\n", p, counts[p])
		}
		if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]int{}
	total := 0
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		path, n, _ := strings.Cut(line, " ")
		allowed[path], _ = strconv.Atoi(n)
	}
	for path, n := range counts {
		total += n
		if n > allowed[path] {
			t.Errorf("%s builds %d user-facing errors without an i18n key (allowed: %d); give the new one a Key (and de/en texts)", path, n, allowed[path])
		}
	}
	t.Logf("%d places still build an error without a key", total)
}
