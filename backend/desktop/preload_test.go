package desktop_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
)

const page = `<!doctype html><html><head><title>Resonanz</title></head><body><div id="app"></div></body></html>`

func preloadServer(preloads func() []desktop.Preload) http.Handler {
	assets := fstest.MapFS{"index.html": {Data: []byte(page)}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "next "+r.URL.Path) })
	return desktop.PreloadIndex(next, assets, preloads, slog.New(slog.DiscardHandler))
}

func get(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, rec.Code)
	}
	return rec.Body.String()
}

var (
	preloadElement  = regexp.MustCompile(`<script id="resonanz-preload" type="application/json">(.*?)</script><script id="resonanz-messages"`)
	messagesElement = regexp.MustCompile(`<script id="resonanz-messages" type="application/json" data-lang="(de|en)">(.*?)</script></head>`)
)

// TestPreloadIndex: the window's page carries the first screen's data in
// its head, recomputed per request; a name that looks like markup stays
// data; other requests pass through.
func TestPreloadIndex(t *testing.T) {
	r := newRecipients(t, nil)
	if _, err := r.Create(resonanz.Recipient{Email: "ada@example.org", FirstName: "</script><script>alert(1)</script>"}); err != nil {
		t.Fatal(err)
	}
	sys, set := firstScreenFacades()
	h := preloadServer(func() []desktop.Preload { return desktop.FirstScreen(r, sys, set) })
	for _, path := range []string{"/", "/index.html"} {
		body := get(t, h, path)
		m := preloadElement.FindStringSubmatch(body)
		if m == nil || strings.Count(body, "</script>") != 2 {
			t.Fatalf("GET %s: not one preload and one messages element in the head:\n%s", path, body)
		}
		var all []struct {
			Service, Method string
			Args, Result    json.RawMessage
		}
		if err := json.Unmarshal([]byte(m[1]), &all); err != nil {
			t.Fatal(err)
		}
		got := make([]struct {
			Service, Method string
			Args            []resonanz.RecipientFilter
			Result          resonanz.RecipientPage
		}, 1)
		if len(all) > 0 {
			got[0].Service, got[0].Method = all[0].Service, all[0].Method
			if json.Unmarshal(all[0].Args, &got[0].Args) != nil || json.Unmarshal(all[0].Result, &got[0].Result) != nil {
				t.Fatalf("GET %s: the first preload is not the table's page: %s", path, m[1])
			}
		}
		if len(all) != 5 || got[0].Service != "Recipients" || got[0].Method != "Find" || len(got[0].Args) != 1 ||
			got[0].Args[0].Limit != 100 || got[0].Args[0].Sort != "email" || got[0].Result.Total != 1 ||
			got[0].Result.Recipients[0].FirstName != "</script><script>alert(1)</script>" {
			t.Errorf("GET %s: preloads %+v", path, got)
		}
	}
	if _, err := r.Create(resonanz.Recipient{Email: "grace@example.org"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(get(t, h, "/"), `"total":2`) {
		t.Error("a reload does not carry fresh data")
	}
	if got := get(t, h, "/assets/index.js"); got != "next /assets/index.js" {
		t.Errorf("an asset: %q", got)
	}
	if got := get(t, preloadServer(func() []desktop.Preload { return nil }), "/"); got != page {
		t.Errorf("no preloads: the page changed: %s", got)
	}
}

// firstScreenFacades returns the system and settings façades of the first
// screen's preloads: version "1.2.3", the saved language "de".
func firstScreenFacades() (*desktop.System, *desktop.Settings) {
	ctx := context.Background()
	sys := desktop.NewSystem(ctx, desktop.SystemInfo{Version: "1.2.3", Mode: "desktop"}, nil, nil)
	set := desktop.NewSettings(ctx, &jsonSettings{values: map[string][]byte{resonanz.SettingLanguage: []byte(`"de"`)}}, nil)
	return sys, set
}

// TestFirstScreen: the page carries every answer the first screen asks Go
// for as it mounts (the table's first page, the lists with their counts,
// the attribute definitions, the system information, the saved language),
// each for the arguments the UI calls with (none but the page's filter), so
// the first screen makes no round trip before it has painted.
func TestFirstScreen(t *testing.T) {
	r := newRecipients(t, nil)
	if _, err := r.CreateList(resonanz.List{Name: "Kunden"}); err != nil {
		t.Fatal(err)
	}
	sys, set := firstScreenFacades()
	data, err := json.Marshal(desktop.FirstScreen(r, sys, set))
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Service, Method string
		Args            []json.RawMessage
		Result          json.RawMessage
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := []struct{ call, args, result string }{
		{"Recipients.Find", `"limit":100,"sort":"email"}]`, `"total":0`},
		{"Recipients.Lists", `[]`, `"name":"Kunden"`},
		{"Recipients.Attributes", `[]`, `"key":"email"`},
		{"System.Info", `[]`, `"version":"1.2.3"`},
		{"Settings.GetLanguage", `[]`, `"de"`},
	}
	if len(got) != len(want) {
		t.Fatalf("%d preloads, want %d: %s", len(got), len(want), data)
	}
	for i, w := range want {
		g := got[i]
		args, _ := json.Marshal(g.Args)
		if g.Service+"."+g.Method != w.call || !strings.HasSuffix(string(args), w.args) || !strings.Contains(string(g.Result), w.result) {
			t.Errorf("preload %d: %s.%s(%s) = %s; want %s(%s) with %s", i, g.Service, g.Method, args, g.Result, w.call, w.args, w.result)
		}
	}
}

// TestFirstPageFilter_IsTheTablesFirstRequest: the preload is only taken
// for a call with equal arguments, so Go's filter must be the table's
// default query (frontend/src/lib/stores/recipientTable.svelte.ts).
func TestFirstPageFilter_IsTheTablesFirstRequest(t *testing.T) {
	src, err := os.ReadFile("../../frontend/src/lib/stores/recipientTable.svelte.ts")
	if err != nil {
		t.Fatal(err)
	}
	f := desktop.FirstPageFilter
	for _, want := range []string{
		`PageSize = ` + strconv.Itoa(f.Limit) + `;`,
		`query = $state<TableQuery>({ search: '', listId: 0, status: '', sort: '` + f.Sort + `' });`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("recipientTable.svelte.ts has no %q: Go's FirstPageFilter and the table's first request differ", want)
		}
	}
	if f.Search != "" || f.ListID != 0 || f.Status != "" || f.Offset != 0 || f.Rule != nil || f.IDs != nil || f.AfterID != 0 {
		t.Errorf("FirstPageFilter %+v is not the unfiltered first page", f)
	}
}

// TestPrefetch: the first page is read at once, its first request gets that
// read, a reload reads again.
func TestPrefetch(t *testing.T) {
	loads := make(chan int, 3)
	n := 0
	get := desktop.Prefetch(func() []desktop.Preload {
		n++
		loads <- n
		return []desktop.Preload{{Result: n}}
	})
	if got := <-loads; got != 1 {
		t.Fatalf("first load %d", got)
	}
	if p := get(); p[0].Result != 1 {
		t.Errorf("first request: %v, want the prefetched read", p[0].Result)
	}
	if p := get(); p[0].Result != 2 {
		t.Errorf("reload: %v, want a fresh read", p[0].Result)
	}
}

// TestPreloadIndex_Messages: the page carries the catalogue of the saved
// language (all of it, as JSON that cannot end its script element), none
// when no language was saved (the UI picks one from the browser and loads
// it), and none without preloads.
func TestPreloadIndex_Messages(t *testing.T) {
	r := newRecipients(t, nil)
	sys, set := firstScreenFacades()
	for _, lang := range []string{"de", "en"} {
		if _, err := set.SaveLanguage(lang); err != nil {
			t.Fatal(err)
		}
		body := get(t, preloadServer(func() []desktop.Preload { return desktop.FirstScreen(r, sys, set) }), "/")
		m := messagesElement.FindStringSubmatch(body)
		if m == nil || m[1] != lang {
			t.Fatalf("%s: no messages element of the language at the end of the head:\n%.400s", lang, body)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(m[2]), &got); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		want := map[string]string{}
		raw, err := os.ReadFile("../../frontend/src/lib/i18n/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || got["screen.recipients.title"] != want["screen.recipients.title"] {
			t.Errorf("%s: %d messages, want %d (title %q)", lang, len(got), len(want), got["screen.recipients.title"])
		}
		if strings.ContainsAny(m[2], "<>&") {
			t.Errorf("%s: the catalogue's text carries markup characters unescaped", lang)
		}
	}
	ctx := context.Background()
	none := desktop.NewSettings(ctx, &jsonSettings{values: map[string][]byte{}}, nil)
	body := get(t, preloadServer(func() []desktop.Preload { return desktop.FirstScreen(r, sys, none) }), "/")
	if strings.Contains(body, "resonanz-messages") || !strings.Contains(body, "resonanz-preload") {
		t.Errorf("no saved language: %.400s", body)
	}
}
