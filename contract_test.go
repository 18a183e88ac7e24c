package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
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
	a, err := NewApp(context.Background(), t.TempDir(), Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ts := tsInterfaces(t)
	if len(ts) < 50 {
		t.Fatalf("read only %d interfaces from types.ts: has its form changed?", len(ts))
	}
	matched := 0
	for name, typ := range boundStructs(a.Bindings()) {
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

// nilLists returns the paths of the nil slices in v (what encoding/json
// writes as null) that the JSON encoding shows.
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
	a, err := NewApp(context.Background(), t.TempDir(), Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
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
