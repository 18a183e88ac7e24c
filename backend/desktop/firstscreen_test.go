package desktop_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/golden"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// firstScreenFixture returns the preloads of a first screen in lang: 1,234
// recipients (30 on the first page, more than the screen shows), names
// with a title, markup, an apostrophe and an ampersand, or none, created on
// a day of each month at noon UTC (the same day in any time zone within
// ±11 h), two lists, one with markup in its name.
func firstScreenFixture(t *testing.T, lang string) []desktop.Preload {
	t.Helper()
	page := resonanz.RecipientPage{Total: 1234}
	for i := range 30 {
		r := resonanz.Recipient{ID: int64(i + 1), Email: fmt.Sprintf("person%02d@example.org", i),
			CreatedAt: time.Date(2024, time.Month(i%12+1), 5+i%20, 12, 0, 0, 0, time.UTC)}
		switch i % 4 {
		case 0:
			r.Title, r.FirstName, r.LastName = "Dr.", "Anna", "Müller"
		case 1:
			r.FirstName = "<b>Ben</b>"
		case 3:
			r.LastName = "O'Brien & Söhne"
		}
		r.UpdatedAt = r.CreatedAt
		page.Recipients = append(page.Recipients, r)
	}
	lists := []resonanz.List{{ID: 1, Name: "Newsletter"}, {ID: 2, Name: "Kunden & <Partner>"}}
	attrs, err := newRecipients(t, nil).Attributes()
	if err != nil {
		t.Fatal(err)
	}
	info := desktop.SystemInfo{Version: "1.2.3", DataDir: "/home/ada/.local/share/resonanz",
		DBPath: "/home/ada/.local/share/resonanz/resonanz.db", Mode: "desktop", SchemaVersion: 17}
	return []desktop.Preload{
		{Service: "Recipients", Method: "Find", Args: []any{desktop.FirstPageFilter}, Result: page},
		{Service: "Recipients", Method: "Lists", Args: []any{}, Result: lists},
		{Service: "Recipients", Method: "Attributes", Args: []any{}, Result: attrs},
		{Service: "System", Method: "Info", Args: []any{}, Result: info},
		{Service: "Settings", Method: "GetLanguage", Args: []any{}, Result: lang},
	}
}

// TestPrerender_Golden: the first screen Go renders, in German and
// English, is testdata/firstscreen.<lang>.html; the preloads it was made
// from are testdata/firstscreen.<lang>.preloads.json. The UI's test
// (frontend/src/firstScreen.test.ts) renders the UI's first screen from
// those preloads and compares it with the same file, so the two cannot
// drift apart. Markup in a name or list name stays text.
func TestPrerender_Golden(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		preloads := firstScreenFixture(t, lang)
		data, err := json.MarshalIndent(preloads, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "testdata/firstscreen."+lang+".preloads.json", append(data, '\n'))
		got := desktop.Prerender(preloads)
		if got == nil {
			t.Fatalf("%s: nothing prerendered", lang)
		}
		golden.Assert(t, "testdata/firstscreen."+lang+".html", append(got, '\n'))
		for _, bad := range []string{"<b>", "<Partner>"} {
			if strings.Contains(string(got), bad) {
				t.Errorf("%s: %q is markup in the page", lang, bad)
			}
		}
		if n := strings.Count(string(got), `data-testid="recipient-row"`); n != desktop.FirstRows {
			t.Errorf("%s: %d rows, want %d", lang, n, desktop.FirstRows)
		}
	}
}

// TestPrerender_Nothing: no prerendered screen where the UI shows another
// first screen or cannot be matched: no saved language, an empty table,
// a damaged data file, a preload missing.
func TestPrerender_Nothing(t *testing.T) {
	with := func(change func(p []desktop.Preload) []desktop.Preload) []desktop.Preload {
		return change(firstScreenFixture(t, "de"))
	}
	cases := map[string][]desktop.Preload{
		"no language": with(func(p []desktop.Preload) []desktop.Preload { p[4].Result = ""; return p }),
		"empty table": with(func(p []desktop.Preload) []desktop.Preload {
			p[0].Result = resonanz.RecipientPage{Recipients: []resonanz.Recipient{}}
			return p
		}),
		"damaged": with(func(p []desktop.Preload) []desktop.Preload {
			p[3].Result = desktop.SystemInfo{Mode: "desktop", Damaged: "kaputt"}
			return p
		}),
		"no lists": with(func(p []desktop.Preload) []desktop.Preload { return append(p[:1], p[2:]...) }),
		"none":     nil,
	}
	for name, p := range cases {
		if got := desktop.Prerender(p); got != nil {
			t.Errorf("%s: prerendered %.80s…", name, got)
		}
	}
}

// TestPrerender_Count: one recipient is counted in the singular; few
// recipients fill as many rows.
func TestPrerender_Count(t *testing.T) {
	p := firstScreenFixture(t, "de")
	page := p[0].Result.(resonanz.RecipientPage)
	page.Total, page.Recipients = 1, page.Recipients[:1]
	p[0].Result = page
	got := string(desktop.Prerender(p))
	if !strings.Contains(got, `data-testid="recipients-total">1 Empfänger</p>`) || strings.Count(got, `data-testid="recipient-row"`) != 1 {
		t.Errorf("one recipient: %s", got)
	}
}

func TestFormatNumberAndDate(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{{"de", 0, "0"}, {"de", 999, "999"}, {"de", 1000, "1.000"}, {"de", 100000, "100.000"}, {"de", 1234567, "1.234.567"},
		{"en", 1000, "1,000"}, {"en", 100000, "100,000"}, {"de", -1234, "-1.234"}} {
		if got := desktop.FormatNumber(tc.lang, tc.n); got != tc.want {
			t.Errorf("FormatNumber(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	local := time.Local
	time.Local = time.UTC // formatDate shows local time
	defer func() { time.Local = local }()
	day := time.Date(2024, 9, 5, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang string
		t    time.Time
		want string
	}{{"de", day, "05.09.2024"}, {"en", day, "5 Sept 2024"}, {"en", day.AddDate(0, 4, 0), "5 Jan 2025"}, {"de", time.Time{}, ""}} {
		if got := desktop.FormatDate(tc.lang, tc.t); got != tc.want {
			t.Errorf("FormatDate(%s, %v) = %q, want %q", tc.lang, tc.t, got, tc.want)
		}
	}
}

// builtPage is index.html as vite builds it (vite.config.ts: the start
// bundle and the chunks it imports as module scripts, the style sheet).
const builtPage = `<!doctype html>
<html lang="en">
  <head>
    <title>Resonanz</title>
    <script type="module" crossorigin src="/assets/start-AbC_12.js"></script>
    <script type="module" crossorigin src="/assets/de-Xy9.js"></script>
    <link rel="stylesheet" crossorigin href="/assets/start-D7.css">
  </head>
  <body>
    <div id="app"></div>
  </body>
</html>
`

// TestPreloadIndex_Prerendered: with a saved language and recipients the
// window's page carries the first screen in #app and loads its module
// scripts only after that has painted (a script that reports the paint to
// Go, then imports them), in the saved language, without the messages;
// without a first screen the built page keeps its scripts.
func TestPreloadIndex_Prerendered(t *testing.T) {
	preloads := firstScreenFixture(t, "de")
	serve := func(p []desktop.Preload) string {
		assets := fstest.MapFS{"index.html": {Data: []byte(builtPage)}}
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		return get(t, desktop.PreloadIndex(next, assets, func() []desktop.Preload { return p }, slog.New(slog.DiscardHandler)), "/")
	}
	body := serve(preloads)
	screen := string(desktop.Prerender(preloads))
	head, rest, _ := strings.Cut(body, "</head>")
	for _, want := range []string{`<html lang="de">`, `<link rel="stylesheet" crossorigin href="/assets/start-D7.css">`, `id="resonanz-preload"`} {
		if !strings.Contains(head, want) {
			t.Errorf("the head lacks %s:\n%s", want, head)
		}
	}
	if strings.Contains(body, `id="resonanz-messages"`) {
		t.Error("the page carries the messages beside the first screen (it would paint later; the UI loads them after the paint)")
	}
	if strings.Contains(body, `<script type="module"`) {
		t.Errorf("a module script stayed in the page (it would run before the first paint):\n%.600s", head)
	}
	if !strings.Contains(rest, `<div id="app">`+screen+`</div><script>requestAnimationFrame(`) {
		t.Errorf("#app does not carry the first screen followed by the loader:\n%.300s", rest)
	}
	loader := rest[strings.Index(rest, "<script>"):]
	for _, want := range []string{`System;`, `FirstScreenPrerendered({`, `for (const src of ["/assets/start-AbC_12.js","/assets/de-Xy9.js"]) import(src);`} {
		if !strings.Contains(loader, want) {
			t.Errorf("the loader lacks %s:\n%s", want, loader)
		}
	}

	// No first screen (no saved language): the built page with its scripts.
	preloads[4].Result = ""
	if body := serve(preloads); strings.Contains(body, "resonanz-prerendered") || strings.Count(body, `<script type="module"`) != 2 || !strings.Contains(body, `<div id="app"></div>`) {
		t.Errorf("without a first screen the page changed:\n%s", body)
	}
}

// TestFirstScreenHooks: the prerendered screen's paint is the first screen
// shown; the UI's own report is then the ready one. Without a prerendered
// screen the UI's report is both, shown first. Each runs once.
func TestFirstScreenHooks(t *testing.T) {
	for _, prerendered := range []bool{true, false} {
		sys, _ := firstScreenFacades()
		var calls []string
		desktop.OnFirstScreen(sys, func(tm desktop.StartTimings, pre bool) {
			calls = append(calls, fmt.Sprintf("shown %v %v", tm.Painted, pre))
		}, func(tm desktop.StartTimings) {
			calls = append(calls, fmt.Sprintf("ready %v", tm.Painted))
		})
		if prerendered {
			_ = sys.FirstScreenPrerendered(desktop.StartTimings{Painted: 200})
			_ = sys.FirstScreenPrerendered(desktop.StartTimings{Painted: 201})
		}
		_ = sys.FirstScreen(desktop.StartTimings{Painted: 300})
		_ = sys.FirstScreen(desktop.StartTimings{Painted: 301})
		want := "shown 300 false,ready 300"
		if prerendered {
			want = "shown 200 true,ready 300"
		}
		if got := strings.Join(calls, ","); got != want {
			t.Errorf("prerendered %v: %s, want %s", prerendered, got, want)
		}
	}
}
