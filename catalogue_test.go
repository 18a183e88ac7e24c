package main

import (
	"encoding/json"
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

// catalogueKey is what a catalogue key Go sends looks like: errors,
// import reasons and warnings, quarantine reasons (reason.) and the texts
// of ledger entries the program writes itself (ledger.).
var catalogueKey = regexp.MustCompile(`^(error|import|reason|ledger)\.[A-Za-z0-9_:]+(\.[A-Za-z0-9_:]+)+$`)

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
				} else if hasKeyPrefix(s) && strings.HasSuffix(s, ".") && !strings.Contains(s, " ") {
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

// hasKeyPrefix reports whether s starts like a catalogue key Go sends.
func hasKeyPrefix(s string) bool {
	for _, p := range []string{"error.", "import.", "reason.", "ledger."} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
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
// key (an error, an import reason or warning, a quarantine reason, a ledger
// wording or evidence) that de.json or en.json lacks. The keys are
// collected from the code, not listed by hand.
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
// error without a catalogue key: calls of resonanz.Errorf, and *Error and
// RowError literals (a rejected row's reason) without Key.
func keylessErrors(t *testing.T) map[string]int {
	_, files := goSources(t)
	counts := map[string]int{}
	for path, f := range files {
		inResonanz := f.Name.Name == "resonanz"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				// resonanz.Errorf itself (kept for tests, which may build keyless errors)
				return !(inResonanz && n.Name.Name == "Errorf")
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
				if typ, ok := n.Type.(*ast.Ident); ok && typ.Name == "RowError" {
					name = "RowError" // recipientcsv's own row error
				}
				if name != "Error" && name != "RowError" {
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

// TestCatalogue_ErrorsHaveKeys fails when the program builds a user-facing
// error without a catalogue key (resonanz.Errorf, or an *Error literal
// without Key): every error a user can see is shown in their language.
// Build them with resonanz.E (tests may still use Errorf).
func TestCatalogue_ErrorsHaveKeys(t *testing.T) {
	counts := keylessErrors(t)
	paths := make([]string, 0, len(counts))
	for p := range counts {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, path := range paths {
		t.Errorf("%s builds %d user-facing errors without an i18n key; build them with resonanz.E (key, English text, params) and add the de/en texts", path, counts[path])
	}
}

// TestCatalogue_EnglishTextsMatch fails when a resonanz.E or resonanz.T
// call's English message differs from the en.json text under its key: the
// command line (which prints the message) and the English UI say the same.
func TestCatalogue_EnglishTextsMatch(t *testing.T) {
	fset, files := goSources(t)
	en := readCatalogue(t, "en")
	n := 0
	for _, f := range files {
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == "resonanz" {
					name = fn.Sel.Name
				}
			case *ast.Ident:
				if f.Name.Name == "resonanz" {
					name = fn.Name
				}
			}
			// resonanz.E(code, key, message, …), resonanz.T(key, message, …)
			first := map[string]int{"E": 1, "T": 0}
			i, ok := first[name]
			if !ok || len(call.Args) < i+2 {
				return true
			}
			key, ok1 := stringLit(call.Args[i])
			msg, ok2 := stringLit(call.Args[i+1])
			if !ok1 || !ok2 {
				return true
			}
			n++
			if en[key] != msg {
				t.Errorf("%s: %s says %q in Go but %q in en.json", fset.Position(call.Pos()), key, msg, en[key])
			}
			return true
		})
	}
	if n < 100 {
		t.Fatalf("found only %d resonanz.E calls; is the collector broken?", n)
	}
}

// stringLit returns the value of a string literal (or a + of literals).
func stringLit(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringLit(e.X)
		b, ok2 := stringLit(e.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

// auditActions collects the audit log actions the program writes: the
// action argument of appendAudit, DB.audit and finishRun calls, and string
// literals assigned to a variable named action (prefixes for actions built
// at run time, like "survey."+status).
func auditActions(t *testing.T) (actions, prefixes map[string]string) {
	fset, files := goSources(t)
	actions, prefixes = map[string]string{}, map[string]string{}
	arg := map[string]int{"appendAudit": 4, "audit": 1, "finishRun": 4}
	add := func(e ast.Expr) {
		if s, ok := stringLit(e); ok {
			actions[s] = fset.Position(e.Pos()).String()
		} else if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			if s, ok := stringLit(b.X); ok {
				prefixes[s] = fset.Position(e.Pos()).String()
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if i, ok := arg[name]; ok && len(n.Args) > i {
					add(n.Args[i])
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name == "action" && i < len(n.Rhs) {
						add(n.Rhs[i])
					}
				}
			}
			return true
		})
	}
	return actions, prefixes
}

// TestCatalogue_HasEveryAuditAction fails when the program can write an
// audit log entry whose action has no sentence in de.json or en.json (the
// log would show a raw key like mailing.create).
func TestCatalogue_HasEveryAuditAction(t *testing.T) {
	actions, prefixes := auditActions(t)
	if len(actions) < 25 {
		t.Fatalf("found only %d audit actions; is the collector broken?", len(actions))
	}
	for _, lang := range []string{"de", "en"} {
		cat := readCatalogue(t, lang)
		for a, where := range actions {
			if _, ok := cat["audit.action."+a]; !ok {
				t.Errorf("%s.json has no audit.action.%s (%s)", lang, a, where)
			}
		}
		for p, where := range prefixes {
			found := false
			for k := range cat {
				found = found || strings.HasPrefix(k, "audit.action."+p)
			}
			if !found {
				t.Errorf("%s.json has no audit.action.%s* (%s)", lang, p, where)
			}
		}
	}
}

// settingNames collects the setting names the program saves through
// SetValue (each becomes a settings.update audit entry naming it): the
// name argument as a string literal or as a string constant declared in
// the program's sources.
func settingNames(t *testing.T) map[string]string {
	fset, files := goSources(t)
	consts := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := stringLit(vs.Values[i]); ok {
							consts[n.Name] = s
						}
					}
				}
			}
		}
	}
	names := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 3 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "SetValue" {
				return true
			}
			arg := call.Args[1]
			name, ok := stringLit(arg)
			switch a := arg.(type) {
			case *ast.Ident:
				name, ok = consts[a.Name]
			case *ast.SelectorExpr:
				name, ok = consts[a.Sel.Name]
			}
			if !ok {
				t.Errorf("%s: SetValue's setting name is not a literal or a constant; the audit log could not name it in words", fset.Position(arg.Pos()))
				return true
			}
			names[name] = fset.Position(arg.Pos()).String()
			return true
		})
	}
	return names
}

// TestCatalogue_HasEverySettingLabel fails when the program can save a
// setting whose audit entry ("Settings changed: {subject}") would show the
// raw setting name (branding.logo) instead of words in de.json or en.json.
func TestCatalogue_HasEverySettingLabel(t *testing.T) {
	names := settingNames(t)
	if len(names) < 6 {
		t.Fatalf("found only %d setting names; is the collector broken?", len(names))
	}
	for _, lang := range []string{"de", "en"} {
		cat := readCatalogue(t, lang)
		for name, where := range names {
			if _, ok := cat["audit.setting."+name]; !ok {
				t.Errorf("%s.json has no audit.setting.%s (%s)", lang, name, where)
			}
		}
	}
}
