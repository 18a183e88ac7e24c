package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDependencyRule keeps the layout honest: the domain imports only the
// standard library (and golang.org/x, the Go project's own extensions, for
// IDNA); adapters import the domain and not each other, except the edge
// (desktop), which composes the adapters it presents. Only package main
// (app.go) wires everything.
func TestDependencyRule(t *testing.T) {
	const mod = "github.com/resonanz/resonanz/"
	allowed := map[string][]string{
		"backend/resonanz":          {},
		"backend/bulk":              {},                                     // runtime tuning for bulk work, used by the edges
		"backend/golden":            {},                                     // test support: golden files with -update and a line diff
		"backend/nettest":           {},                                     // test support: network checks (slowloris, a reverse proxy)
		"backend/sqlite/sqlitetest": {"backend/sqlite", "backend/resonanz"}, // test support: MustOpenDB
		"backend/sqlite":            {"backend/resonanz"},
		"backend/recipientcsv":      {"backend/resonanz"},
		"frontend/src/lib/i18n":     {},                                            // the desk's catalogues (de.json, en.json) for Go
		"backend/report":            {"backend/resonanz", "frontend/src/lib/i18n"}, // the desk's catalogues
		"backend/render":            {"backend/resonanz"},
		"backend/ingest":            {"backend/resonanz"},
		"backend/listener":          {"backend/resonanz"},
		"backend/portal":            {"backend/resonanz", "backend/listener"}, // the use cases behind the listener's pages
		"backend/relay":             {"backend/resonanz", "backend/listener"}, // the relay's store implements the listener's interfaces
		"backend/analysis":          {"backend/resonanz"},
		"backend/send":              {"backend/resonanz", "backend/render", "backend/smtp"}, // composes rendering and the message formats
		"backend/smtp":              {"backend/resonanz"},
		"backend/keyring":           {"backend/resonanz"},
		"backend/webkitenv":         {},                                                                                                                                                                                                                                   // the window's WebKitGTK start-up switches (the window and make bench's bare window)
		"backend/mailbox":           {"backend/resonanz"},                                                                                                                                                                                                                 // IMAP (go-imap) and MIME (go-message) adapter + pure classifier
		"backend/desktop":           {"backend/resonanz", "backend/bulk", "backend/recipientcsv", "backend/report", "backend/ingest", "backend/render", "backend/analysis", "backend/send", "backend/smtp", "backend/relay", "backend/listener", "frontend/src/lib/i18n"}, // relay: the Relays façade presents relay.Relays
	}
	for pkg, want := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, std, _ := strings.Cut(line, " ")
			switch {
			case std == "true", path == mod+pkg:
			case strings.HasPrefix(path, mod):
				if !slices.Contains(want, strings.TrimPrefix(path, mod)) {
					t.Errorf("%s imports %s", pkg, strings.TrimPrefix(path, mod))
				}
			case pkg == "backend/resonanz" && !strings.HasPrefix(path, "golang.org/x/"):
				t.Errorf("the domain imports %s", path)
			}
		}
	}
}

// TestCommandLineAvoidsTheWindow keeps the use cases out of the window
// layer: of package main only the wiring (app.go) and the window files
// import backend/desktop, so the command line reaches every use case
// through a service in backend/; and backend/desktop exports no function
// but constructors and the edge's own hooks (a "function, not a method,
// so that it is not bound" that the command line calls is a use case in
// the wrong home).
func TestCommandLineAvoidsTheWindow(t *testing.T) {
	const desktopPath = `"github.com/resonanz/resonanz/backend/desktop"`
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "app.go" || strings.HasPrefix(name, "window") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == desktopPath {
				t.Errorf("%s imports backend/desktop: call a service in backend/ (wiring goes in app.go)", name)
			}
		}
	}
	// The window's start-up preload (preload.go) is the window's own asset
	// hook: nothing the command line needs.
	hooks := []string{"Throttle", "HTTPStatus", "MarkDamaged", "OnFirstScreen", "FirstScreen", "Prefetch", "PreloadIndex"}
	pkgFiles, err := filepath.Glob("backend/desktop/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pkgFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || strings.HasPrefix(fn.Name.Name, "New") || slices.Contains(hooks, fn.Name.Name) {
				continue
			}
			t.Errorf("%s: backend/desktop exports func %s: a use case belongs in a service in backend/, not in the window's façades", name, fn.Name.Name)
		}
	}
}

// TestRootHoldsNoUseCases keeps package main to the command line, the
// window and wiring, as far as a machine can tell: no database/sql (or the
// driver), no SQL text, of backend/sqlite only construction (New…, Open…,
// the service and store types for fields) and the start-up lifecycle
// (file name, integrity check), no raw handle (DB.SQL), and no loop over
// people: a use case that walks recipients, members or an audience lives
// in a service in backend/.
func TestRootHoldsNoUseCases(t *testing.T) {
	// start-up lifecycle: the data file, its integrity check, and merging
	// the hits a crashed listener left in the inbox
	lifecycle := []string{"FileName", "BackupDirName", "CheckFile", "Damage", "UpToDate", "DB", "Options", "LeftHits", "MergeLeftHits"}
	construction := regexp.MustCompile(`^(New|Open)|(Service|Store|Dir|Journal|Changes)$`)
	for _, f := range parseNonTest(t, "*.go") {
		checkNoUseCases(t, f, func(n *ast.SelectorExpr) {
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "sqlite" && !construction.MatchString(n.Sel.Name) && !slices.Contains(lifecycle, n.Sel.Name) {
				t.Errorf("%s: package main uses sqlite.%s: call a service (construction goes in app.go)", f.fset.Position(n.Pos()), n.Sel.Name)
			}
		})
	}
}

// TestWindowHoldsNoUseCases keeps the bound façades to delegation (the
// issue "one home for each use case"): backend/desktop holds no SQL and
// no loop over people, neither a range over recipients nor a loop that
// pages through them (FindRecipients, AudiencePage, … called in a loop),
// so whatever the command line may need is in a service in backend/.
func TestWindowHoldsNoUseCases(t *testing.T) {
	for _, f := range parseNonTest(t, "backend/desktop/*.go") {
		checkNoUseCases(t, f, func(*ast.SelectorExpr) {})
	}
}

// parsedFile is a parsed Go file with its file set, for positions.
type parsedFile struct {
	*ast.File
	fset *token.FileSet
	name string
}

// parseNonTest parses the Go files matching pattern, tests left out.
func parseNonTest(t *testing.T, pattern string) []parsedFile {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []parsedFile
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parsedFile{File: f, fset: fset, name: name})
	}
	if len(out) == 0 {
		t.Fatalf("no Go files match %s", pattern)
	}
	return out
}

// checkNoUseCases reports what marks a use case in a file of the edge: the
// database/sql package (or the driver), SQL text, the store's raw handle
// (.SQL), and loops over people (a range over recipients, members, an
// audience; a loop that pages through them). selector sees every
// selector expression for the caller's own rules.
func checkNoUseCases(t *testing.T, f parsedFile, selector func(*ast.SelectorExpr)) {
	t.Helper()
	sqlText := regexp.MustCompile(`^\s*(SELECT\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|PRAGMA\s|CREATE\s|WITH\s+\w+\s+AS\b)`)
	people := regexp.MustCompile(`(?i)(recipient|member|people|person|audience|subscriber)s?$`)
	pager := regexp.MustCompile(`(?i)(recipient|member|people|person|audience|subscriber)s?(Page)?$`)
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "database/sql" || strings.Contains(p, "go-sqlite3") {
			t.Errorf("%s imports %s: SQL belongs in backend/sqlite", f.name, p)
		}
	}
	// pagesPeople reports a call in body to a method that returns people
	// (FindRecipients, AudiencePage, …).
	pagesPeople := func(body ast.Node) (string, bool) {
		var found string
		ast.Inspect(body, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok && found == "" {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && pager.MatchString(sel.Sel.Name) {
					found = sel.Sel.Name
				}
			}
			return found == ""
		})
		return found, found != ""
	}
	ast.Inspect(f.File, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				if s, err := strconv.Unquote(n.Value); err == nil && sqlText.MatchString(s) {
					t.Errorf("%s: SQL text at the edge: %.40q", f.fset.Position(n.Pos()), s)
				}
			}
		case *ast.SelectorExpr:
			selector(n)
			if n.Sel.Name == "SQL" {
				t.Errorf("%s: the store's raw handle (.SQL) at the edge", f.fset.Position(n.Pos()))
			}
		case *ast.RangeStmt:
			var last string
			switch x := n.X.(type) {
			case *ast.Ident:
				last = x.Name
			case *ast.SelectorExpr:
				last = x.Sel.Name
			}
			if people.MatchString(last) {
				t.Errorf("%s: loops over %s: a use case over people belongs in a service in backend/", f.fset.Position(n.Pos()), last)
			}
			if call, ok := pagesPeople(n.Body); ok {
				t.Errorf("%s: a loop calls %s: paging through people is a use case for a service in backend/", f.fset.Position(n.Pos()), call)
			}
		case *ast.ForStmt:
			if call, ok := pagesPeople(n.Body); ok {
				t.Errorf("%s: a loop calls %s: paging through people is a use case for a service in backend/", f.fset.Position(n.Pos()), call)
			}
		}
		return true
	})
}
