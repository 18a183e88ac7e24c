package main

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// The frontend mirrors the bound façades' Go types by hand in
// frontend/src/lib/api/types.ts. These tests keep both sides honest: a
// field added, renamed or dropped on one side only fails here.

// tsInterfaces parses the exported interfaces of types.ts into their field
// names (optional fields without the "?").
func tsInterfaces(t *testing.T) map[string][]string {
	t.Helper()
	src, err := os.ReadFile("frontend/src/lib/api/types.ts")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	head := regexp.MustCompile(`^export interface (\w+)(?: extends ([\w, ]+))? \{$`)
	field := regexp.MustCompile(`^  (\w+)(\??):`)
	var name string
	extends := map[string][]string{}
	for _, line := range strings.Split(string(src), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			name = m[1]
			out[name] = []string{}
			if m[2] != "" {
				for _, e := range strings.Split(m[2], ",") {
					extends[name] = append(extends[name], strings.TrimSpace(e))
				}
			}
			continue
		}
		if line == "}" {
			name = ""
			continue
		}
		if m := field.FindStringSubmatch(line); m != nil && name != "" {
			out[name] = append(out[name], m[1])
		}
	}
	for n, bases := range extends {
		for _, b := range bases {
			out[n] = append(out[n], out[b]...)
		}
	}
	return out
}

// jsonFields returns the JSON names of a struct's fields (embedded structs
// flattened, "-" left out).
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// boundStructs returns every named struct type the bound façades take or
// return, directly or inside another.
func boundStructs(bindings []any) map[string]reflect.Type {
	seen := map[reflect.Type]bool{}
	out := map[string]reflect.Type{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] || t == reflect.TypeFor[time.Time]() {
			return
		}
		seen[t] = true
		if t.Name() != "" {
			out[t.Name()] = t
		}
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				walk(t.Field(i).Type)
			}
		}
	}
	for _, b := range bindings {
		bt := reflect.TypeOf(b)
		for i := 0; i < bt.NumMethod(); i++ {
			mt := bt.Method(i).Type
			for j := 1; j < mt.NumIn(); j++ {
				walk(mt.In(j))
			}
			for j := 0; j < mt.NumOut(); j++ {
				walk(mt.Out(j))
			}
		}
	}
	return out
}

// TestContract_TypesMatch: every Go struct the façades exchange that
// types.ts declares has the same JSON fields there.
func TestContract_TypesMatch(t *testing.T) {
	a := newCLIApp(t)
	ts := tsInterfaces(t)
	if len(ts) < 50 {
		t.Fatalf("read only %d interfaces from types.ts: has its form changed?", len(ts))
	}
	matched := 0
	for name, typ := range boundStructs(a.Bindings()) {
		if n, ok := tsNames[typ.String()]; ok {
			name = n
		}
		fields, ok := ts[name]
		if !ok {
			continue
		}
		matched++
		goFields := jsonFields(typ)
		for _, f := range goFields {
			if !slices.Contains(fields, f) {
				t.Errorf("%s (%s): Go sends %q, types.ts does not declare it", name, typ.PkgPath(), f)
			}
		}
		for _, f := range fields {
			if !slices.Contains(goFields, f) {
				t.Errorf("%s (%s): types.ts declares %q, Go has no such field", name, typ.PkgPath(), f)
			}
		}
	}
	if matched < 50 {
		t.Errorf("only %d Go types found in types.ts", matched)
	}
}

// nilLists returns the paths of the nil slices and maps in v (what
// encoding/json writes as null) that the JSON encoding shows.
func nilLists(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return nilLists(v.Elem(), path)
	case reflect.Slice:
		if v.IsNil() {
			if v.Type().Elem().Kind() == reflect.Uint8 { // []byte and json.RawMessage
				return nil
			}
			return []string{path}
		}
		var out []string
		for i := 0; i < v.Len(); i++ {
			out = append(out, nilLists(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return []string{path}
		}
		var out []string
		for _, k := range v.MapKeys() {
			out = append(out, nilLists(v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k))...)
		}
		return out
	case reflect.Struct:
		var out []string
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || (strings.Contains(opts, "omitempty") && v.Field(i).IsZero()) {
				continue
			}
			out = append(out, nilLists(v.Field(i), path+"."+f.Name)...)
		}
		return out
	}
	return nil
}

// TestContract_NoNullLists: what the read-only façade methods return on an
// empty store holds no null (the frontend would need `?? []` for it).
func TestContract_NoNullLists(t *testing.T) {
	a := newCLIApp(t)
	// Methods without arguments that act (start, stop, connect, quit) are
	// not called.
	acting := []string{"StartListener", "StopListener", "TestSMTP", "FirstScreen", "Sync", "TestConnection", "Quit"}
	for _, b := range a.Bindings() {
		v := reflect.ValueOf(b)
		for i := 0; i < v.NumMethod(); i++ {
			m := v.Type().Method(i)
			if m.Type.NumIn() != 1 || m.Type.NumOut() != 2 || slices.Contains(acting, m.Name) {
				continue
			}
			name := v.Type().Elem().Name() + "." + m.Name
			out := v.Method(i).Call(nil)
			if err, _ := out[1].Interface().(error); err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			for _, path := range nilLists(out[0], name) {
				t.Errorf("%s is a nil list: it reaches the frontend as null", path)
			}
		}
	}
}

// tsNames are the Go types the frontend knows under another name.
var tsNames = map[string]string{
	"desktop.ImportFileRequest": "ImportRequest",
	"send.Preview":              "MailPreview",
	"resonanz.RowError":         "RejectedRow",
	"relay.Pairing":             "RelayPairing",
	"relay.SyncResult":          "RelaySyncResult",
	"relay.Problem":             "RelayProblem",
	"relay.AutoStatus":          "AutoPublishStatus",
	"relay.SyncProgress":        "RelaySyncProgress",
	"relay.CollectResult":       "RelayCollectResult",
	"relay.PublishResult":       "RelayPublishResult",
}

// tsType is how the typed call stubs (frontend/src/lib/api/facades.ts)
// write the Go type t.
func tsType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // base64
		}
		return tsType(t.Elem()) + "[]"
	case reflect.Map:
		return "Record<" + tsType(t.Key()) + ", " + tsType(t.Elem()) + ">"
	case reflect.Pointer:
		return tsType(t.Elem()) + " | null"
	}
	if n, ok := tsNames[t.String()]; ok {
		return n
	}
	return t.Name()
}

// stubSignature is one method of facades.ts: its parameter types (the
// argument wrappers resolved) and its result type.
type stubSignature struct {
	params []string
	result string
}

// splitTop splits s at the commas outside <…>, (…) and {…}.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '<', '(', '{':
			depth++
		case '>', ')', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// tsAliases reads the `export type X = …;` aliases of types.ts.
func tsAliases(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("frontend/src/lib/api/types.ts")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export type (\w+) = ([^;]+);$`).FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// readStubs parses facades.ts into "Service.Method" → signature. A stub is
// one line: `  Method: (a: A, b: B): Promise<R> => call('Service', 'Method', a, b),`
// inside `export const Service = {`.
func readStubs(t *testing.T) map[string]stubSignature {
	t.Helper()
	src, err := os.ReadFile("frontend/src/lib/api/facades.ts")
	if err != nil {
		t.Fatal(err)
	}
	aliases := tsAliases(t)
	// An argument may leave fields out (Go reads them as zero values):
	// Pick<T, …>, Omit<T, …> and ToGo<T> are T. A type alias is what it
	// stands for.
	wrapped := regexp.MustCompile(`^(?:Pick|Omit|ToGo)<(\w+)(?:,.*)?>$`)
	argType := func(s string) string {
		if m := wrapped.FindStringSubmatch(s); m != nil {
			s = m[1]
		}
		if base, nullable := strings.CutSuffix(s, " | null"); nullable {
			if a, ok := aliases[base]; ok {
				base = a
			}
			return base + " | null"
		}
		if a, ok := aliases[s]; ok {
			return a
		}
		return s
	}
	head := regexp.MustCompile(`^export const (\w+) = \{$`)
	stub := regexp.MustCompile(`^  (\w+): \((.*)\): Promise<(.+)> =>\s*call\('(\w+)', '(\w+)'((?:, \w+)*)\),$`)
	out := map[string]stubSignature{}
	var service string
	for i, line := range strings.Split(string(src), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			service = m[1]
			continue
		}
		if line == "};" {
			service = ""
			continue
		}
		if service == "" || !strings.HasPrefix(line, "  ") || strings.HasPrefix(strings.TrimSpace(line), "/") || strings.HasPrefix(strings.TrimSpace(line), "*") {
			continue
		}
		m := stub.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("facades.ts:%d: not a stub line of the form `  Method: (a: A): Promise<R> => call('%s', 'Method', a),`", i+1, service)
			continue
		}
		if m[4] != service || m[5] != m[1] {
			t.Errorf("facades.ts:%d: %s.%s calls %s.%s", i+1, service, m[1], m[4], m[5])
		}
		var sig stubSignature
		var names []string
		for _, p := range splitTop(m[2]) {
			name, typ, ok := strings.Cut(p, ": ")
			if !ok {
				t.Errorf("facades.ts:%d: parameter %q has no type", i+1, p)
				continue
			}
			names = append(names, name)
			sig.params = append(sig.params, argType(typ))
		}
		passed := strings.TrimPrefix(m[6], ", ")
		if strings.Join(names, ", ") != passed {
			t.Errorf("facades.ts:%d: %s.%s passes (%s), not its parameters (%s)", i+1, service, m[1], passed, strings.Join(names, ", "))
		}
		sig.result = m[3]
		out[service+"."+m[1]] = sig
	}
	return out
}

// TestContract_Stubs: facades.ts has one typed stub per bound façade
// method, with Go's argument and result types, and nothing else. A method
// added, renamed or retyped on one side only fails here, with the line to
// write.
func TestContract_Stubs(t *testing.T) {
	a := newCLIApp(t)
	stubs := readStubs(t)
	bound := map[string]bool{}
	for _, b := range a.Bindings() {
		bt := reflect.TypeOf(b)
		service := bt.Elem().Name()
		for i := 0; i < bt.NumMethod(); i++ {
			m := bt.Method(i)
			name := service + "." + m.Name
			bound[name] = true
			var want stubSignature
			var params, args []string
			for j := 1; j < m.Type.NumIn(); j++ {
				typ := tsType(m.Type.In(j))
				want.params = append(want.params, typ)
				params = append(params, fmt.Sprintf("a%d: %s", j, typ))
				args = append(args, fmt.Sprintf("a%d", j))
			}
			want.result = "void"
			if m.Type.NumOut() == 2 {
				want.result = tsType(m.Type.Out(0))
			}
			line := fmt.Sprintf("  %s: (%s): Promise<%s> => call('%s', '%s'%s),", m.Name, strings.Join(params, ", "), want.result, service, m.Name, strings.Join(append([]string{""}, args...), ", "))
			got, ok := stubs[name]
			if !ok {
				t.Errorf("%s has no stub in facades.ts; add to `export const %s = {`:\n%s", name, service, line)
				continue
			}
			// A map or slice argument may be null (Go reads an empty one).
			for j, p := range got.params {
				if j < len(want.params) && p == want.params[j]+" | null" {
					if k := m.Type.In(j + 1).Kind(); k == reflect.Map || k == reflect.Slice {
						got.params[j] = want.params[j]
					}
				}
			}
			if !slices.Equal(got.params, want.params) || got.result != want.result {
				t.Errorf("%s: facades.ts says (%s): %s, Go says (%s): %s; write:\n%s", name,
					strings.Join(got.params, ", "), got.result, strings.Join(want.params, ", "), want.result, line)
			}
		}
	}
	for name := range stubs {
		if !bound[name] {
			t.Errorf("facades.ts has a stub %s, but Go binds no such method", name)
		}
	}
}

// goEvents reads the event catalogue of backend/resonanz/events.go: the
// constants named Event….
func goEvents(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "backend/resonanz/events.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && strings.HasPrefix(n.Name, "Event") {
					v, _ := strconv.Unquote(lit.Value)
					out[v] = n.Name
				}
			}
		}
	}
	return out
}

// TestContract_Events: Go and the frontend share one catalogue of event
// names (backend/resonanz/events.go, frontend/src/lib/api/eventNames.ts),
// and Go emits no name outside it.
func TestContract_Events(t *testing.T) {
	goNames := goEvents(t)
	if len(goNames) < 5 {
		t.Fatalf("read only %d events from backend/resonanz/events.go: has its form changed?", len(goNames))
	}
	src, err := os.ReadFile("frontend/src/lib/api/eventNames.ts")
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]string{}
	body, _, _ := strings.Cut(string(src), "} as const;")
	for _, m := range regexp.MustCompile(`(?m)^  (\w+): '([^']+)',$`).FindAllStringSubmatch(body, -1) {
		ts[m[2]] = m[1]
	}
	for v, name := range goNames {
		if _, ok := ts[v]; !ok {
			t.Errorf("Go emits %q (resonanz.%s); eventNames.ts does not name it", v, name)
		}
	}
	for v, name := range ts {
		if _, ok := goNames[v]; !ok {
			t.Errorf("eventNames.ts names %q (Events.%s); Go sends no such event (backend/resonanz/events.go)", v, name)
		}
	}
	// A literal name at an emit is a name outside the catalogue.
	literal := regexp.MustCompile(`(\.Emit|EventsEmit|Throttle)\(([^,()]+, )?"|"[a-z]+:(progress|done)`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "node_modules" || d.Name() == "frontend" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.FromSlash("backend/resonanz/events.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); literal.MatchString(code) {
				t.Errorf("%s:%d emits an event by a literal name; use a constant of backend/resonanz/events.go: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContract_NoNullListsWithData: the reads with arguments, on a store with
// one of each thing (a person without attributes or reactions, a mailing
// without links, a survey question without choices, an import with no
// rejected rows, an opt-in without tracking consents, settings saved with
// no trusted proxies and no mailbox folders, a confirmation run without
// errors), send no null lists either: the frontend has no `?? []` for
// what Go guarantees.
func TestContract_NoNullListsWithData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, list := newSendingApp(t, dir)
	defer a.Close()
	r, err := a.recipients.Create(resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.subscriptionSvc.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja"); err != nil {
		t.Fatal(err)
	}
	m, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: list.ID, Subject: "Neu", Body: "Hallo [Reisen](https://example.org/reisen)\n"})
	if err != nil {
		t.Fatal(err)
	}
	rule := resonanz.Condition{Kind: "list", ListID: list.ID}
	g, err := a.analysis.SaveTargetGroup(resonanz.TargetGroup{Name: "Alle", Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.surveys.Save(resonanz.Survey{Name: "Umfrage", Slug: "umfrage", Title: "Wie?", Questions: []resonanz.Question{{Type: "text", Text: "Was?"}}})
	if err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(csv, []byte("email\nben@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// one open of a stranger, no campaign: quarantined, no rejected lines
	log := filepath.Join(dir, "log.csv")
	if err := os.WriteFile(log, []byte("Email Address;Event;Time\nnobody@example.org;open;2025-03-18T09:30:15Z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reactions := desktop.ReactionImportRequest{Source: log, Provider: "auto"}
	// a person waiting for a confirmation on another list, who ticked no
	// tracking consent on the form
	waiting, err := a.listSvc.CreateList(ctx, resonanz.List{Name: "Wartend"})
	if err != nil {
		t.Fatal(err)
	}
	carl, err := a.recipients.Create(resonanz.Recipient{Email: "carl@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.optInSvc.RequestOptIn(ctx, carl.ID, waiting.ID, "Ja", resonanz.WebClient{}); err != nil {
		t.Fatal(err)
	}
	blocks, err := a.mailings.Salutations()
	if err != nil || len(blocks) == 0 {
		t.Fatal(blocks, err)
	}
	filter := resonanz.RecipientFilter{Limit: 10}
	calls := []struct {
		name string
		args []any
	}{
		{"Recipients.Detail", []any{r.ID}},
		{"Recipients.Detail", []any{carl.ID}},
		// empty lists saved: trusted proxies, mailbox folders; a list with
		// nobody waiting gets no confirmation mail and no errors
		{"Settings.SaveListener", []any{resonanz.ListenerSettings{PublicURL: "https://news.example.org"}}},
		{"Settings.GetListener", nil},
		{"Mailbox.SaveSettings", []any{desktop.SaveMailboxRequest{}}},
		{"Mailbox.GetSettings", nil},
		{"Recipients.SendConfirmations", []any{desktop.SendConfirmationsRequest{ListID: list.ID, OpID: "contract"}}},
		{"Recipients.Export", []any{r.ID}},
		{"Recipients.Find", []any{filter}},
		{"Recipients.Lists", nil},
		{"Recipients.Attributes", nil},
		{"Recipients.PreviewImport", []any{csv, map[string]string(nil)}},
		{"Recipients.ImportFile", []any{desktop.ImportFileRequest{Source: csv, Options: resonanz.RecipientImport{ListName: list.Name}}}},
		{"Recipients.Imports", nil},
		{"Mailings.Get", []any{m.Mailing.ID}},
		{"Mailings.List", nil},
		{"Mailings.Salutations", nil},
		{"Mailings.SalutationSamples", []any{blocks[0], []int64(nil)}},
		{"Mailings.Audience", []any{m.Mailing.ID, int64(0)}},
		{"Analysis.MailingStats", []any{m.Mailing.ID}},
		{"Analysis.MailingStats", []any{int64(0)}},
		{"Analysis.Timeline", []any{m.Mailing.ID}},
		{"Analysis.Compare", nil},
		{"Analysis.TargetGroups", nil},
		{"Analysis.RuleMembers", []any{g.Rule, filter}},
		{"Surveys.Get", []any{s.ID}},
		{"Surveys.Results", []any{s.ID}},
		{"Surveys.List", nil},
		{"Reactions.PreviewFile", []any{reactions}},
		{"Reactions.ImportFile", []any{reactions}},
		{"Reactions.Quarantine", []any{int64(0)}},
		{"Reactions.RematchQuarantine", []any{[]int64{}}},
		{"Backups.Status", nil},
		{"System.AuditLog", []any{10}},
	}
	methods := map[string]reflect.Value{}
	for _, b := range a.Bindings() {
		v := reflect.ValueOf(b)
		for i := 0; i < v.NumMethod(); i++ {
			methods[v.Type().Elem().Name()+"."+v.Type().Method(i).Name] = v.Method(i)
		}
	}
	for _, c := range calls {
		fn, ok := methods[c.name]
		if !ok {
			t.Errorf("no bound method %s", c.name)
			continue
		}
		in := make([]reflect.Value, len(c.args))
		for i, arg := range c.args {
			in[i] = reflect.ValueOf(arg)
			if arg == nil || (in[i].Kind() == reflect.Map || in[i].Kind() == reflect.Slice) && in[i].IsNil() {
				in[i] = reflect.Zero(fn.Type().In(i))
			}
		}
		out := fn.Call(in)
		if err, _ := out[1].Interface().(error); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for _, path := range nilLists(out[0], c.name) {
			t.Errorf("%s is a nil list: it reaches the frontend as null", path)
		}
	}
}
