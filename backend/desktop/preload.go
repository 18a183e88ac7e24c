package desktop

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/frontend/src/lib/i18n"
)

// Preload is an answer the desktop window's page carries from the start:
// the UI takes it for its first call of Service.Method with equal Args
// instead of asking Go (client.ts), which saves the first screen a round
// trip through the window's bridge after the bundle has run.
type Preload struct {
	Service string `json:"service"`
	Method  string `json:"method"`
	Args    []any  `json:"args"`
	Result  any    `json:"result"`
}

// PreloadElement is the id of the JSON script element in index.html that
// carries the preloads (client.ts reads it).
const PreloadElement = "resonanz-preload"

// MessagesElement is the id of the JSON script element in index.html that
// carries the catalogue of the language the page starts in, named by its
// data-lang attribute (frontend/src/lib/i18n/index.svelte.ts reads it).
const MessagesElement = "resonanz-messages"

// FirstPageFilter is the recipient table's first request: the UI's default
// query (frontend/src/lib/stores/recipientTable.svelte.ts: no search, any
// list, sorted by e-mail, the first page of 100).
var FirstPageFilter = resonanz.RecipientFilter{Offset: 0, Limit: 100, Sort: "email"}

// FirstScreen returns the preloads of the first screen: the recipient
// table's first page and total, and the four answers the shell and the
// table's filters ask for as they mount (the lists, the attribute
// definitions, the system information, the saved UI language, which the
// page also starts in). With them the first screen asks Go nothing until it
// has painted: no round trips through the window's bridge, and no queries
// (the lists' counts walk the memberships) competing with WebKit's first
// layout and paint. A function, not a method, so that it is not bound to
// the UI. A failing query has no preload (the UI asks and shows the error).
func FirstScreen(r *Recipients, sys *System, set *Settings) []Preload {
	var out []Preload
	add := func(service, method string, args []any, result any, err error) {
		if err == nil {
			out = append(out, Preload{Service: service, Method: method, Args: args, Result: result})
		}
	}
	page, err := r.Find(FirstPageFilter)
	add("Recipients", "Find", []any{FirstPageFilter}, page, err)
	lists, err := r.Lists()
	add("Recipients", "Lists", []any{}, lists, err)
	attrs, err := r.Attributes()
	add("Recipients", "Attributes", []any{}, attrs, err)
	info, err := sys.Info()
	add("System", "Info", []any{}, info, err)
	lang, err := set.GetLanguage()
	add("Settings", "GetLanguage", []any{}, lang, err)
	return out
}

// Prefetch starts load at once and returns a function for PreloadIndex:
// its first call returns that result (waiting for it if need be), later
// calls load afresh, so a reload shows current data. The window reads its
// first screen while WebKit starts (some 0.7 s), not when the page is
// requested; the table is a snapshot either way.
func Prefetch(load func() []Preload) func() []Preload {
	early := make(chan []Preload, 1)
	go func() { early <- load() }()
	var used atomic.Bool
	return func() []Preload {
		if used.CompareAndSwap(false, true) {
			return <-early
		}
		return load()
	}
}

// PreloadIndex serves index.html from assets with the answers of preloads
// (computed for each request of the page, so a reload shows fresh data) in
// a JSON script element at the end of its head; every other request goes to
// next. It is for the desktop window's asset server only: in browser mode
// the page is served to whoever holds the asset cookie, which must not open
// personal data (the bridge's API needs the token).
func PreloadIndex(next http.Handler, assets fs.FS, preloads func() []Preload, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || (r.URL.Path != "/" && r.URL.Path != "/index.html") {
			next.ServeHTTP(w, r)
			return
		}
		page, err := fs.ReadFile(assets, "index.html")
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if p := preloads(); len(p) > 0 {
			// json.Marshal escapes <, > and &, so the text cannot end the
			// script element.
			data, err := json.Marshal(p)
			if err != nil {
				log.Warn("preload", "err", err)
			} else {
				page = injectHead(page, `<script id="`+PreloadElement+`" type="application/json">`+string(data)+`</script>`)
			}
			// The first screen as the UI would show it (prerender), which
			// the page paints before the UI's bundle runs. Without one
			// (first start, empty table), the messages of the saved
			// language, which the UI starts in: parsed as JSON from the
			// page they take about 1 ms, loaded and run as their chunk after
			// the bundle 25-40 ms; painted 14-36 ms earlier in three sets of
			// alternating launches, 1 ms later in a fourth. Not beside the
			// first screen: the page would come 108 kB larger and paint 18
			// ms later (paired medians of 10), while the UI, which runs
			// after that paint, has them as early from their chunk.
			if lang := savedLanguage(p); lang != "" {
				prerendered := false
				if screen := prerender(p); screen != nil {
					page, prerendered = withPrerendered(page, screen, lang)
				}
				if text := i18n.ScriptJSON(lang); text != nil && !prerendered {
					page = injectHead(page, `<script id="`+MessagesElement+`" type="application/json" data-lang="`+lang+`">`+string(text)+`</script>`)
				}
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(page)
	})
}

// savedLanguage returns the language the preloads say the UI starts in ("" when none).
func savedLanguage(p []Preload) string {
	for _, x := range p {
		if x.Service == "Settings" && x.Method == "GetLanguage" {
			if lang, ok := x.Result.(string); ok && slices.Contains(resonanz.Languages, lang) {
				return lang
			}
		}
	}
	return ""
}

// injectHead puts element before </head> (at the end when there is none).
func injectHead(page []byte, element string) []byte {
	i := bytes.Index(page, []byte("</head>"))
	if i < 0 {
		return append(page, element...)
	}
	out := make([]byte, 0, len(page)+len(element))
	out = append(out, page[:i]...)
	out = append(out, element...)
	return append(out, page[i:]...)
}

var (
	moduleScript = regexp.MustCompile(`<script type="module" crossorigin src="(/assets/[^"<>]+\.js)"></script>`)
	htmlLang     = regexp.MustCompile(`<html lang="[a-z]+">`)
)

// withPrerendered puts screen (prerender's first screen) into the page's
// #app and its module scripts (the start bundle and the chunks it imports)
// after the first paint: WebKitGTK paints nothing while a page's module
// scripts are loaded and run, so with them in the head the prerendered
// screen would paint only after the UI had mounted (measured: no earlier).
// A small script loads them once two animation frames have passed (the
// screen has painted) and reports that paint to Go
// (System.FirstScreenPrerendered). The page is unchanged when it is not
// the build's (no #app, no module script): ok is false then.
func withPrerendered(page, screen []byte, lang string) (_ []byte, ok bool) {
	var srcs []string
	for _, m := range moduleScript.FindAllSubmatch(page, -1) {
		srcs = append(srcs, string(m[1]))
	}
	app := []byte(`<div id="app"></div>`)
	if len(srcs) == 0 || bytes.Count(page, app) != 1 {
		return page, false
	}
	list, err := json.Marshal(srcs) // asset paths: escaped for the script element
	if err != nil {
		return page, false
	}
	loader := `<script>requestAnimationFrame(() => requestAnimationFrame(() => {` +
		`const system = window.go?.desktop?.System;` +
		`system?.FirstScreenPrerendered({ navigationStart: performance.timeOrigin, document: performance.getEntriesByType('navigation')[0]?.responseEnd ?? 0, painted: performance.now() }).catch(() => {});` +
		`for (const src of ` + string(list) + `) import(src);` +
		`}));</script>`
	page = moduleScript.ReplaceAll(page, nil)
	page = htmlLang.ReplaceAll(page, []byte(`<html lang="`+lang+`">`))
	out := make([]byte, 0, len(page)+len(screen)+len(loader))
	i := bytes.Index(page, app) + len(app) - len("</div>")
	out = append(out, page[:i]...)
	out = append(out, screen...)
	out = append(out, "</div>"...)
	out = append(out, loader...)
	return append(out, page[i+len("</div>"):]...), true
}
