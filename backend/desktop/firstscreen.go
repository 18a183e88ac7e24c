package desktop

import (
	"bytes"
	_ "embed"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/frontend/src/lib/i18n"
)

// PrerenderedElement is the id of the first screen Go renders into the
// window's page (frontend/src/main.ts puts the UI's own in its place).
const PrerenderedElement = "resonanz-prerendered"

// screens are the desk's screens in navigation order (the UI's
// frontend/src/lib/stores/router.svelte.ts); the first screen's navigation
// names them.
var screens = []string{"recipients", "templates", "mailings", "reactions", "analysis", "target-groups", "surveys", "settings"}

// recipientTabs are the recipient screen's tabs (routes/Recipients.svelte).
var recipientTabs = []string{"table", "add", "lists", "attributes", "import"}

// rowHeight is the height of a row of the UI's virtual table in px
// (RecipientTableView.svelte).
const rowHeight = 40

// FirstRows is how many rows of the table the first screen shows: the UI's
// virtual table renders the rows of 600 px and 8 more before it has
// measured its viewport (RecipientTableView.svelte), enough for a window of
// full-HD height.
const FirstRows = 600/rowHeight + 8 + 1

//go:embed firstscreen.html
var firstScreenSource string

// firstScreenTemplate is firstscreen.html without its line breaks and the
// indentation after them (the UI's markup has none there); t is the
// catalogue of the page's language, set per render by Funcs on a clone.
var firstScreenTemplate = template.Must(template.New("firstscreen").Funcs(template.FuncMap{
	"t":    func(string, ...string) string { return "" },
	"date": func(time.Time) string { return "" },
	"sp":   func() string { return " " },
	"name": recipientName,
	"row":  func(i int) int { return i + 2 },
}).Parse(regexp.MustCompile(`\n\s*`).ReplaceAllString(firstScreenSource, "")))

// prerender renders the first screen of preloads (FirstScreen's: the table's
// first page, the lists, the system information, the saved language) as the
// UI would show it: the page paints it before its bundle has run (WebKitGTK
// paints nothing while the bundle runs, parses and mounts: some 200 ms on a
// 100k table). Nil when there is nothing to prerender: no saved language
// (the first start: the UI picks one from the browser and saves it), a
// damaged data file (the recovery screen), an empty table (the UI's
// welcome card, quick to show), or a preload missing.
func prerender(preloads []Preload) []byte {
	var (
		page  resonanz.RecipientPage
		lists []resonanz.List
		info  SystemInfo
		have  int // of the three
	)
	for _, p := range preloads {
		switch r := p.Result.(type) {
		case resonanz.RecipientPage:
			page = r
			have++
		case []resonanz.List:
			lists = r
			have++
		case SystemInfo:
			info = r
			have++
		}
	}
	lang := savedLanguage(preloads)
	if have != 3 || page.Total == 0 || info.Damaged != "" || lang == "" {
		return nil
	}
	data := firstScreenData{ID: PrerenderedElement, Lang: lang, Languages: resonanz.Languages, Screens: screens,
		Tabs: recipientTabs, Lists: lists, Info: info, RowCount: page.Total + 1, Height: page.Total * rowHeight}
	t := func(key string, params ...string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			m[params[i]] = params[i+1]
		}
		return i18n.T(lang, key, key, m)
	}
	if page.Total == 1 {
		data.Count = t("recipients.count.one")
	} else {
		data.Count = t("recipients.count.other", "count", formatNumber(lang, page.Total))
	}
	for _, c := range []struct{ id, key string }{{"email", "recipients.col.email"}, {"lastName", "recipients.col.name"}, {"createdAt", "recipients.col.created"}} {
		col := firstScreenColumn{ID: c.id, Label: t(c.key), Sort: "none"}
		if c.id == FirstPageFilter.Sort {
			col.Sort, col.Mark = "ascending", "▲"
		}
		col.Hint = t("recipients.sort.hint", "column", col.Label)
		data.Columns = append(data.Columns, col)
	}
	data.Rows = page.Recipients[:min(len(page.Recipients), FirstRows)]
	var out bytes.Buffer
	tmpl := template.Must(firstScreenTemplate.Clone()).Funcs(template.FuncMap{"t": t,
		"date": func(t time.Time) string { return formatDate(lang, t) }})
	if err := tmpl.Execute(&out, data); err != nil {
		return nil // a bug; the UI shows the first screen on its own
	}
	return out.Bytes()
}

type firstScreenData struct {
	ID        string
	Lang      string
	Languages []string
	Screens   []string
	Tabs      []string
	Lists     []resonanz.List
	Info      SystemInfo
	Count     string
	RowCount  int
	Height    int
	Columns   []firstScreenColumn
	Rows      []resonanz.Recipient // the table's rows (aria-rowindex: 2 on)
}

type firstScreenColumn struct{ ID, Label, Sort, Mark, Hint string }

// recipientName is the table's name column: title, first and last name.
func recipientName(r resonanz.Recipient) string {
	var parts []string
	for _, p := range []string{r.Title, r.FirstName, r.LastName} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// formatNumber formats n as the UI does for lang (Intl.NumberFormat of
// de-DE and en-GB): 100.000 or 100,000.
func formatNumber(lang string, n int) string { return resonanz.FormatDecimal(lang, strconv.Itoa(n)) }

// enMonths are en-GB's short month names in the UI's medium date style.
var enMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"}

// formatDate formats t in local time as the UI's formatDateTime(iso,
// false) does (Intl.DateTimeFormat, dateStyle medium): 05.09.2024 or
// 5 Sept 2024; "" for the zero time.
func formatDate(lang string, t time.Time) string {
	if t.IsZero() || t.UTC().Year() <= 1 {
		return ""
	}
	t = t.Local()
	if lang == "en" {
		return strconv.Itoa(t.Day()) + " " + enMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format("02.01.2006")
}
