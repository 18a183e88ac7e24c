package render_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

var attrs = []resonanz.AttributeDef{
	{Key: "birthday", Label: "Birthday", Type: resonanz.AttrDate},
	{Key: "bonus_points", Label: "Bonus points", Type: resonanz.AttrNumber},
	{Key: "city", Label: "City", Type: resonanz.AttrText},
	{Key: "customer_since", Label: "Customer since", Type: resonanz.AttrDate},
}

func anna() *resonanz.Recipient {
	return &resonanz.Recipient{Email: "anna@example.org", FirstName: "anna", LastName: "Müller", Title: "Dr.",
		Gender: resonanz.GenderFemale, Language: "de",
		Attributes: map[string]string{"birthday": "1980-04-02", "bonus_points": "1234567.5", "city": "Köln"}}
}

// subject renders src as a subject line for r.
func subject(t *testing.T, src string, r *resonanz.Recipient, o render.Options) (string, error) {
	t.Helper()
	tpl, err := render.Compile(resonanz.Template{Subject: src, Body: "x"}, attrs)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	res, err := tpl.Execute(r, o)
	return res.Subject, err
}

func TestPlaceholders(t *testing.T) {
	empty := &resonanz.Recipient{Email: "x@example.org", Language: "en"}
	en := anna()
	en.Language = "en"
	tests := []struct {
		name, src string
		r         *resonanz.Recipient
		want      string
	}{
		{"plain", "{{ last_name }}", anna(), "Müller"},
		{"email", "{{email}}", anna(), "anna@example.org"},
		{"custom", "{{ city }}", anna(), "Köln"},
		{"missing custom", "[{{ city }}]", empty, "[]"},
		{"default used", `{{ first_name | default:"Kundin" }}`, empty, "Kundin"},
		{"default unused", `{{ first_name | default:"Kundin" }}`, anna(), "anna"},
		{"prefix/suffix with title", `Frau {{ title | suffix:" " }}{{ last_name }}`, anna(), "Frau Dr. Müller"},
		{"suffix without title", `Frau {{ title | suffix:" " }}{{ last_name }}`, &resonanz.Recipient{LastName: "Müller"}, "Frau Müller"},
		{"prefix", `Hallo{{ first_name | prefix:" " }}!`, empty, "Hallo!"},
		{"prefix set", `Hallo{{ first_name | prefix:" " }}!`, anna(), "Hallo anna!"},
		{"capitalize", "{{ first_name | capitalize }}", anna(), "Anna"},
		{"capitalize umlaut", "{{ city | lower | capitalize }}", &resonanz.Recipient{Attributes: map[string]string{"city": "öHRINGEN"}}, "Öhringen"},
		{"upper", "{{ last_name | upper }}", anna(), "MÜLLER"},
		{"lower", "{{ last_name | lower }}", anna(), "müller"},
		{"date default medium de", "{{ birthday | date }}", anna(), "2. Apr. 1980"},
		{"date short de", `{{ birthday | date:"short" }}`, anna(), "02.04.1980"},
		{"date long de", `{{ birthday | date:"long" }}`, anna(), "2. April 1980"},
		{"date iso", `{{ birthday | date:"iso" }}`, anna(), "1980-04-02"},
		{"date short en", `{{ birthday | date:"short" }}`, en, "02/04/1980"},
		{"date long en", `{{ birthday | date:"long" }}`, en, "2 April 1980"},
		{"date empty default", `{{ customer_since | date:"long" | default:"bald" }}`, anna(), "bald"},
		{"number de", `{{ bonus_points | number:"2" }}`, anna(), "1.234.567,50"},
		{"number en", `{{ bonus_points | number:"0" }}`, en, "1,234,568"},
		{"number as stored", `{{ bonus_points | number }}`, anna(), "1.234.567,5"},
		{"number negative", `{{ bonus_points | number:"1" }}`, &resonanz.Recipient{Attributes: map[string]string{"bonus_points": "-1234"}}, "-1.234,0"},
		{"values are trimmed", `[{{ first_name }}]`, &resonanz.Recipient{FirstName: "  Anna "}, "[Anna]"},
		{"salutation", `{{ salutation }}`, anna(), "Sehr geehrte Frau Dr. Müller"},
		{"salutation informal", `{{ salutation "informal" | suffix:"," }}`, anna(), "Hallo anna,"},
		{"language fallback", `{{ salutation }}`, &resonanz.Recipient{Language: "fr"}, "Sehr geehrte Damen und Herren"},
		{"escaped tag", `\{{ first_name }}`, anna(), "{{ first_name }}"},
		{"gender", `{{ gender }}`, anna(), "f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subject(t, tt.src, tt.r, render.Options{})
			if err != nil || got != tt.want {
				t.Errorf("%s = %q, %v; want %q", tt.src, got, err, tt.want)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got, err := subject(t, `{{ last_name | required }}`, anna(), render.Options{})
		if err != nil || got != "Müller" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("ErrSkip", func(t *testing.T) {
		_, err := subject(t, `Hallo {{ last_name | required }}`, &resonanz.Recipient{Email: "x@example.org"}, render.Options{})
		var se *render.SkipError
		if !errors.Is(err, render.ErrSkip) || !errors.As(err, &se) || se.Key != "last_name" || !strings.Contains(se.Reason, "last_name") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("InUntakenBranch", func(t *testing.T) {
		_, err := subject(t, `{{ if city = "Berlin" }}{{ last_name | required }}{{ end }}`, &resonanz.Recipient{}, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("InBody", func(t *testing.T) {
		tpl, err := render.Compile(resonanz.Template{Subject: "Hi", Body: "# Hallo\n\nIhr Code: {{ city | required }}\n"}, attrs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tpl.Execute(&resonanz.Recipient{}, render.Options{}); !errors.Is(err, render.ErrSkip) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSalutationDefaults(t *testing.T) {
	r := func(lang string, g resonanz.Gender, title, first, last string) *resonanz.Recipient {
		return &resonanz.Recipient{Language: lang, Gender: g, Title: title, FirstName: first, LastName: last}
	}
	tests := []struct {
		name  string
		block string
		r     *resonanz.Recipient
		want  string
	}{
		{"de f", "formal", r("de", "f", "", "Anna", "Müller"), "Sehr geehrte Frau Müller"},
		{"de f Dr.", "formal", r("de", "f", "Dr.", "Anna", "Müller"), "Sehr geehrte Frau Dr. Müller"},
		{"de m Prof. Dr.", "formal", r("de", "m", "Prof. Dr.", "Jan", "Schmidt"), "Sehr geehrter Herr Prof. Dr. Schmidt"},
		{"de m", "formal", r("de", "m", "", "Jan", "Schmidt"), "Sehr geehrter Herr Schmidt"},
		{"de d", "formal", r("de", "d", "", "Alex", "Weber"), "Guten Tag Alex Weber"},
		{"de d Dr.", "formal", r("de", "d", "Dr.", "Alex", "Weber"), "Guten Tag Dr. Alex Weber"},
		{"de d without first name", "formal", r("de", "d", "", "", "Weber"), "Sehr geehrte Damen und Herren"},
		{"de missing gender", "formal", r("de", "", "", "Alex", "Weiß"), "Guten Tag Alex Weiß"},
		{"de missing gender Dr.", "formal", r("de", "", "Dr.", "Alex", "Weiß"), "Guten Tag Dr. Alex Weiß"},
		{"de missing gender and first name", "formal", r("de", "", "", "", "Weiß"), "Sehr geehrte Damen und Herren"},
		{"de missing gender and last name", "formal", r("de", "", "", "Alex", ""), "Sehr geehrte Damen und Herren"},
		{"de nothing known", "formal", r("de", "", "", "", ""), "Sehr geehrte Damen und Herren"},
		{"de missing last name", "formal", r("de", "f", "Dr.", "Anna", ""), "Sehr geehrte Damen und Herren"},
		{"de last name spaces only", "formal", r("de", "m", "", "", "   "), "Sehr geehrte Damen und Herren"},
		{"de informal", "informal", r("de", "f", "", "Anna", "Müller"), "Hallo Anna"},
		{"de informal no name", "informal", r("de", "f", "", "", "Müller"), "Hallo"},
		{"en f", "formal", r("en", "f", "", "Jane", "Smith"), "Dear Ms Smith"},
		{"en m", "formal", r("en", "m", "", "John", "Smith"), "Dear Mr Smith"},
		{"en Dr.", "formal", r("en", "f", "Dr.", "Jane", "Smith"), "Dear Dr. Smith"},
		{"en d", "formal", r("en", "d", "", "Sam", "Lee"), "Dear Sam Lee"},
		{"en missing gender", "formal", r("en", "", "", "Alex", "Weiß"), "Hello Alex Weiß"},
		{"en missing gender Dr.", "formal", r("en", "", "Dr.", "Alex", "Weiß"), "Hello Dr. Alex Weiß"},
		{"en missing gender and first name", "formal", r("en", "", "", "", "Lee"), "Dear Sir or Madam"},
		{"en nothing known", "formal", r("en", "", "", "", ""), "Dear Sir or Madam"},
		{"en missing last name", "formal", r("en", "m", "", "Sam", ""), "Dear Sir or Madam"},
		{"en informal", "informal", r("en", "m", "", "Sam", "Lee"), "Hi Sam"},
		{"en informal no name", "informal", r("en", "m", "", "", "Lee"), "Hi"},
		{"regional language", "formal", r("en-GB", "f", "", "Jane", "Smith"), "Dear Ms Smith"},
		{"mailing language", "formal", r("", "f", "", "Jane", "Schmidt"), "Sehr geehrte Frau Schmidt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subject(t, `{{ salutation "`+tt.block+`" }}`, tt.r, render.Options{})
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCustomSalutation(t *testing.T) {
	tpl, err := render.Compile(resonanz.Template{Subject: `{{ salutation "team" }}`, Body: "x", Language: "en",
		Salutations: []resonanz.SalutationBlock{{Name: "team", Language: "en", Rules: []resonanz.SalutationRule{
			{Requires: []string{"first_name"}, Text: "Hey {{ first_name | capitalize }}"}, {Text: "Hey there"}}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := tpl.Execute(&resonanz.Recipient{FirstName: "lee", Language: "de"}, render.Options{})
	if res.Subject != "Hey Lee" { // no German "team" block: the mailing's language applies
		t.Fatalf("got %q", res.Subject)
	}
}

func TestEvalSalutation(t *testing.T) {
	var formal resonanz.SalutationBlock
	for _, b := range render.DefaultSalutations() {
		if b.Name == "formal" && b.Language == "de" {
			formal = b
		}
	}
	got, err := render.EvalSalutation(formal, []resonanz.Recipient{
		{Gender: "f", Title: "Dr.", LastName: "Müller"}, {Gender: "m", LastName: "Schmidt"}, {FirstName: "Alex", LastName: "Weiß"}, {}})
	if err != nil {
		t.Fatal(err)
	}
	want := []render.SalutationSample{{"Sehr geehrte Frau Dr. Müller", 0}, {"Sehr geehrter Herr Schmidt", 1}, {"Guten Tag Alex Weiß", 3}, {"Sehr geehrte Damen und Herren", 4}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := render.EvalSalutation(resonanz.SalutationBlock{Name: "x", Language: "de",
		Rules: []resonanz.SalutationRule{{Text: "{{ if x }}"}}}, nil); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Fatalf("bad rule: err = %v", err)
	}
}

func TestConditions(t *testing.T) {
	r := anna()
	r.Attributes["customer_since"] = "2019-05-01"
	groups := func(g string) bool { return g == "Stammkunden" }
	tests := []struct {
		cond string
		want bool
	}{
		{`city = "Köln"`, true},
		{`city = "köln"`, true},
		{`city == "Berlin"`, false},
		{`city != "Berlin"`, true},
		{`city ≠ "Köln"`, false},
		{`city contains "öl"`, true},
		{`city contains "x"`, false},
		{`city empty`, false},
		{`city not empty`, true},
		{`title empty`, false},
		{`customer_since empty`, false},
		{`birthday before "1990-01-01"`, true},
		{`birthday before 01.01.1970`, false},
		{`birthday after "1979-12-31"`, true},
		{`customer_since after "2020-01-01"`, false},
		{`zip before "2020-01-01"`, false},
		{`bonus_points > 1000`, true},
		{`bonus_points > "1.234.567,5"`, false},
		{`bonus_points < 1e3`, false},
		{`bonus_points < 2000000`, true},
		{`gender = "f"`, true},
		{`language = de`, true},
		{`in "Stammkunden"`, true},
		{`in "Neukunden"`, false},
		{`not in "Neukunden"`, true},
		{`not in "Stammkunden"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			tpl, err := render.Compile(resonanz.Template{Subject: "{{ if " + tt.cond + " }}yes{{ else }}no{{ end }}", Body: "x"}, nil)
			if err != nil {
				if tt.cond == `bonus_points < 1e3` {
					return // not a number: rejected at compile time
				}
				t.Fatal(err)
			}
			res, _ := tpl.Execute(r, render.Options{InGroup: groups})
			if got := res.Subject == "yes"; got != tt.want {
				t.Errorf("%s: got %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
	t.Run("ElseIfAndNesting", func(t *testing.T) {
		src := `{{ if city = "Berlin" }}B{{ else if city = "Köln" }}K{{ if in "Stammkunden" }}+{{ else }}-{{ end }}{{ else }}?{{ end }}`
		for _, tc := range []struct {
			city string
			in   bool
			want string
		}{{"Berlin", true, "B"}, {"Köln", true, "K+"}, {"Köln", false, "K-"}, {"Ulm", true, "?"}} {
			rr := anna()
			rr.Attributes["city"] = tc.city
			got, _ := subject(t, src, rr, render.Options{InGroup: func(string) bool { return tc.in }})
			if got != tc.want {
				t.Errorf("%s/%v: got %q, want %q", tc.city, tc.in, got, tc.want)
			}
		}
	})
	t.Run("NilInGroup", func(t *testing.T) {
		got, _ := subject(t, `{{ if in "A" }}in{{ else }}out{{ end }}`, anna(), render.Options{})
		if got != "out" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("BlockConditions", func(t *testing.T) {
		body := "Start\n\n{{ if in \"VIP\" }}\n## Nur für VIPs\n\n- eins\n- zwei\n{{ else }}\nFür alle anderen.\n{{ end }}\n\nEnde\n"
		tpl, err := render.Compile(resonanz.Template{Subject: "s", Body: body}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := tpl.Groups(); len(got) != 1 || got[0] != "VIP" {
			t.Errorf("Groups = %v", got)
		}
		vip, _ := tpl.Execute(anna(), render.Options{InGroup: func(string) bool { return true }})
		other, _ := tpl.Execute(anna(), render.Options{})
		if !strings.Contains(vip.HTML, "<h2>Nur für VIPs</h2>\n<ul>\n<li>eins</li>") || strings.Contains(vip.HTML, "anderen") {
			t.Errorf("vip HTML:\n%s", vip.HTML)
		}
		if strings.Contains(other.HTML, "VIP") || !strings.Contains(other.HTML, "<p>Für alle anderen.</p>") || strings.Contains(other.HTML, "<p></p>") {
			t.Errorf("other HTML:\n%s", other.HTML)
		}
		if want := "Start\n\nFür alle anderen.\n\nEnde\n"; other.Text != want {
			t.Errorf("other text = %q, want %q", other.Text, want)
		}
	})
}

func TestLinks(t *testing.T) {
	body := "[![Hero](https://cdn.example.org/hero.jpg)](https://example.org/a){name=\"Hero\" tags=\"Abenteuerreisen, Studienreisen\"}\n\n" +
		"Text [hier](https://example.org/b?u={{ email }}&x=1 \"Titel\") und <https://example.org/c>.\n\n" +
		"[Bild als Text](https://example.org/d){kind=image} {nicht ein Attribut}\n\n" +
		"[kein Attribut](https://example.org/e) {name=\"x\"} \\{auch nicht}\n"
	tpl, err := render.Compile(resonanz.Template{Subject: "s", Body: body}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	links := tpl.Links()
	want := []resonanz.LinkMeta{
		{Index: 0, URL: "https://example.org/a", Name: "Hero", Kind: "image", Tags: []string{"Abenteuerreisen", "Studienreisen"}},
		{Index: 1, URL: "https://example.org/b?u={{ email }}&x=1", Name: "hier", Kind: "text"},
		{Index: 2, URL: "https://example.org/c", Name: "https://example.org/c", Kind: "text"},
		{Index: 3, URL: "https://example.org/d", Name: "Bild als Text", Kind: "image"},
		{Index: 4, URL: "https://example.org/e", Name: "kein Attribut", Kind: "text"},
	}
	if len(links) != len(want) {
		t.Fatalf("links = %+v", links)
	}
	for i := range want {
		if links[i].Index != want[i].Index || links[i].URL != want[i].URL || links[i].Name != want[i].Name ||
			links[i].Kind != want[i].Kind || strings.Join(links[i].Tags, "|") != strings.Join(want[i].Tags, "|") {
			t.Errorf("link %d = %+v, want %+v", i, links[i], want[i])
		}
	}
	var calls []string
	res, err := tpl.Execute(anna(), render.Options{
		RewriteLink: func(l resonanz.LinkMeta, u string) string {
			calls = append(calls, l.Name+"="+u)
			return "https://t.example.net/c/" + string(rune('0'+l.Index)) + "?u=" + u
		},
		RewriteImage: func(u string) string { return "https://t.example.net/i?u=" + u },
		OpenPixelURL: "https://t.example.net/o/abc",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 10 || calls[1] != "hier=https://example.org/b?u=anna%40example.org&x=1" {
		t.Errorf("rewriter calls = %q", calls)
	}
	for _, s := range []string{
		`<a href="https://t.example.net/c/0?u=https://example.org/a" target="_blank"><img src="https://t.example.net/i?u=https://cdn.example.org/hero.jpg" alt="Hero"`,
		`<a href="https://t.example.net/c/1?u=https://example.org/b?u=anna%40example.org&amp;x=1" title="Titel" target="_blank">hier</a>`,
		`</a> {nicht ein Attribut}</p>`,
		`</a> {name=&#34;x&#34;} {auch nicht}</p>`,
		`<img src="https://t.example.net/o/abc" width="1" height="1"`,
	} {
		if !strings.Contains(res.HTML, s) {
			t.Errorf("HTML lacks %s\n%s", s, res.HTML)
		}
	}
	if strings.Index(res.HTML, "t.example.net/o/abc") > strings.Index(res.HTML, "</body>") {
		t.Error("open pixel after </body>")
	}
	for _, s := range []string{"Hero (https://t.example.net/c/0?u=https://example.org/a)", "hier (https://t.example.net/c/1?u=https://example.org/b?u=anna%40example.org&x=1)", "und https://t.example.net/c/2?u=https://example.org/c."} {
		if !strings.Contains(strings.ReplaceAll(res.Text, "\n", " "), s) {
			t.Errorf("text lacks %q\n%s", s, res.Text)
		}
	}
	plain, _ := tpl.Execute(anna(), render.Options{})
	if !strings.Contains(plain.HTML, `href="https://example.org/b?u=anna%40example.org&amp;x=1"`) || strings.Contains(plain.HTML, "width=\"1\"") {
		t.Errorf("without options:\n%s", plain.HTML)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		tpl  resonanz.Template
		want string
	}{
		{"unknown placeholder", resonanz.Template{Body: "# Hallo\n\nLiebe {{ first_name }},\nwie geht es, {{ frist_name }}?"},
			`line 4, column 17: unknown placeholder "frist_name"`},
		{"column counts runes", resonanz.Template{Body: "Grüße {{ x }}"}, `line 1, column 10: unknown placeholder "x"`},
		{"subject", resonanz.Template{Subject: "Hi {{ nam }}"}, `subject: line 1, column 7: unknown placeholder "nam"`},
		{"unknown filter", resonanz.Template{Body: "{{ first_name | shout }}"}, `line 1, column 17: unknown filter "shout"`},
		{"date on text", resonanz.Template{Body: "{{ city | date }}"}, `line 1, column 11: city is not a date attribute`},
		{"bad date format", resonanz.Template{Body: `{{ birthday | date:"fancy" }}`}, `unknown date format "fancy"`},
		{"number decimals", resonanz.Template{Body: `{{ bonus_points | number:"x" }}`}, `give the number of decimals`},
		{"default needs value", resonanz.Template{Body: `{{ city | default }}`}, `line 1, column 11: the filter default needs a value`},
		{"unclosed tag", resonanz.Template{Body: "a\n  {{ city "}, `line 2, column 3: unclosed {{`},
		{"unterminated string", resonanz.Template{Body: `{{ city | default:"x }}`}, `line 1, column 19: unterminated string`},
		{"empty tag", resonanz.Template{Body: "{{ }}"}, `empty tag`},
		{"javascript link", resonanz.Template{Body: "Text\n\nKlick [hier](javascript:alert(1))"},
			`line 3, column 14: the link URL "javascript:alert(1)" is not allowed`},
		{"data image", resonanz.Template{Body: "![x](data:image/png;base64,AAAA)"}, `line 1, column 6: the image URL "data:image/png;base64,AAAA" is not allowed`},
		{"relative link", resonanz.Template{Body: "[x](/pfad)"}, `the link URL "/pfad" is not allowed`},
		{"mailto image", resonanz.Template{Body: "![x](mailto:a@example.org)"}, `the image URL`},
		{"placeholder host", resonanz.Template{Body: "[x](https://{{ city }}.example.org/)"}, `line 1, column 5: placeholders are only allowed in the path`},
		{"placeholder as URL", resonanz.Template{Body: "[x]({{ city }})"}, `is not allowed`},
		{"raw html", resonanz.Template{Body: "Hallo <b>Welt</b>"}, `line 1, column 7: HTML is not allowed`},
		{"html block", resonanz.Template{Body: "x\n\n<div>\nA\n</div>"}, `line 3, column 1: HTML is not allowed`},
		{"if without end", resonanz.Template{Body: "a\n{{ if city empty }}\nb"}, `line 2, column 1: {{ if }} without {{ end }}`},
		{"end without if", resonanz.Template{Body: "a {{ end }}"}, `line 1, column 3: {{ end }} without {{ if }}`},
		{"else after else", resonanz.Template{Body: "{{ if city empty }}a{{ else }}b{{ else }}c{{ end }}"}, `column 32: {{ else }} after {{ else }}`},
		{"crossing blocks", resonanz.Template{Body: "- a {{ if city empty }}\n- b {{ end }}"}, `line 2, column 5: {{ end }} must be in the same block`},
		{"bad operator", resonanz.Template{Body: "{{ if city like \"x\" }}{{ end }}"}, `column 12: unknown operator "like"`},
		{"bad date value", resonanz.Template{Body: "{{ if birthday before \"soon\" }}{{ end }}"}, `column 23: "soon" is not a date`},
		{"unknown group syntax", resonanz.Template{Body: "{{ if in }}{{ end }}"}, `expected a target group name`},
		{"unknown salutation", resonanz.Template{Body: `{{ salutation "frech" }}`}, `unknown salutation block "frech"`},
		{"content outside layout", resonanz.Template{Body: `{{ content }}`}, `{{ content }} can only be used in the layout`},
		{"layout without content", resonanz.Template{Body: "x", Layout: "<html></html>"}, `{{ content }} exactly once`},
		{"layout with content twice", resonanz.Template{Body: "x", Layout: "<html>\n{{ content }}\n <p>{{ content }}</html>"}, `layout: line 3, column 5: {{ content }} a second time`},
		{"layout content in condition", resonanz.Template{Body: "x", Layout: "<html>{{ if city empty }}{{ content }}{{ end }}</html>"}, `layout: line 1, column 26: {{ content }} must not be inside a condition`},
		{"link attrs unknown key", resonanz.Template{Body: `[a](https://e.org){id="x"}`}, `line 1, column 20: unknown link attribute "id"`},
		{"link attrs unclosed", resonanz.Template{Body: `[a](https://e.org){name="x"`}, `line 1, column 19: unclosed {`},
		{"link attrs kind", resonanz.Template{Body: `[a](https://e.org){kind=video}`}, `kind must be text or image`},
		{"invalid UTF-8", resonanz.Template{Body: "a\n\xff"}, `line 2, column 1: the text is not valid UTF-8`},
		{"marker rune", resonanz.Template{Body: "a\U000F0001"}, `unsupported character`},
		{"condition in URL", resonanz.Template{Body: `[a](https://e.org/{{ if city empty }}x{{ end }})`}, `conditions are not allowed in a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.tpl.Subject == "" {
				tt.tpl.Subject = "s"
			}
			_, err := render.Compile(tt.tpl, attrs)
			if resonanz.ErrorCode(err) != resonanz.EINVALID || !strings.Contains(resonanz.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v\nwant message containing %q", err, tt.want)
			}
		})
	}
	t.Run("UnknownAllowedWithoutAttrs", func(t *testing.T) {
		if _, err := render.Compile(resonanz.Template{Subject: "s", Body: "{{ frist_name }}"}, nil); err != nil {
			t.Fatal(err)
		}
	})
}
