package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFirstBundle_OneFileNoCatalogue: what the window fetches before it can
// run anything is one script (WebKitGTK fetches a chunk behind a
// modulepreload link only after parsing the entry), and that script carries
// neither language's messages: each catalogue is a chunk of its own, loaded
// for the language the UI starts in (both were 155 kB of the first 382 kB).
func TestFirstBundle_OneFileNoCatalogue(t *testing.T) {
	page, err := fs.ReadFile(dist, "frontend/dist/index.html")
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for _, m := range regexp.MustCompile(`(?:src|href)="/?(assets/[^"]+\.js)"`).FindAllStringSubmatch(string(page), -1) {
		first = append(first, m[1])
	}
	if len(first) != 1 {
		t.Fatalf("index.html names %d scripts %v; want the first screen's code in one (vite.config.ts)", len(first), first)
	}
	all, err := fs.Glob(dist, "frontend/dist/assets/*.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"de", "en"} {
		markers := plainMessages(t, lang)
		var in []string
		for _, file := range all {
			b, err := fs.ReadFile(dist, file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), markers[0]) && strings.Contains(string(b), markers[1]) {
				in = append(in, path.Base(file))
			}
		}
		switch {
		case len(in) == 0:
			t.Errorf("%s: no script carries the messages %q", lang, markers[:2])
		case slices.Contains(in, path.Base(first[0])):
			t.Errorf("%s: the first bundle %s carries the catalogue", lang, first[0])
		}
	}
}

// plainMessages returns two long messages of lang's catalogue that the other
// language does not have and that a script carries as written (letters and
// spaces only, so no escaping changes them).
func plainMessages(t *testing.T, lang string) []string {
	t.Helper()
	read := func(l string) map[string]string {
		b, err := os.ReadFile("frontend/src/lib/i18n/" + l + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	other := map[string]string{"de": "en", "en": "de"}[lang]
	mine, theirs := read(lang), read(other)
	plain := regexp.MustCompile(`^[A-Za-z ]{30,}$`)
	var out []string
	for k, v := range mine {
		if plain.MatchString(v) && theirs[k] != v {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	if len(out) < 2 {
		t.Fatalf("%s.json has fewer than two plain messages to look for", lang)
	}
	return out[:2]
}

// TestSharedShadow_NoBlur: the desktop window paints on the CPU (no GPU
// compositing, window.go), where a blurred box shadow is costly: around the
// recipient table's card the old two-layer blur (2 px and 3 px) cost
// 150-250 ms of the first paint. The shared elevation shadow (--shadow in
// app.css: the table's card, the current navigation entry, menus) is drawn
// with offsets only.
func TestSharedShadow_NoBlur(t *testing.T) {
	css, err := os.ReadFile("frontend/src/app.css")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`--shadow:\s*([^;]+);`).FindSubmatch(css)
	if m == nil {
		t.Fatal("app.css declares no --shadow")
	}
	// Each layer is offset-x offset-y [blur [spread]] colour.
	for _, layer := range splitOutsideParens(string(m[1])) {
		var lengths []string
		for _, part := range strings.Fields(regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(layer, "()")) {
			if part != "" && (part[0] == '-' || part[0] >= '0' && part[0] <= '9') {
				lengths = append(lengths, part)
			}
		}
		if len(lengths) > 2 && lengths[2] != "0" && lengths[2] != "0px" {
			t.Errorf("--shadow layer %q is blurred (%s)", strings.TrimSpace(layer), lengths[2])
		}
	}
}

// splitOutsideParens splits s at the commas that are not inside parentheses.
func splitOutsideParens(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
