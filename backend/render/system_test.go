package render_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// listenerURLs is a SystemURL func like the sender's, with a URL that
// needs escaping in HTML.
func listenerURLs(kind, slug string) string {
	if kind == render.SystemSurvey {
		if slug != "leserumfrage" {
			return ""
		}
		return "https://news.example.org/s/TOKEN?a=1&b=<2>"
	}
	return "https://news.example.org/" + kind[:1] + "/TOKEN"
}

func TestSystemLinks(t *testing.T) {
	body := "Ihre Meinung: [Zur Umfrage]({{ survey_url \"leserumfrage\" }})\n\n" +
		"Profil: {{ profile_url }}\n\n" +
		"[Abmelden]({{ unsubscribe_url }}) · [Insel](https://reisen.example.org/insel)\n\n" +
		"    Code: {{ profile_url }}\n"
	tpl, err := render.Compile(resonanz.Template{Subject: "S", Body: body, Language: "de"}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.SystemLinks(); len(got) != 3 || got[0] != (render.SystemLink{Kind: "profile"}) ||
		got[1] != (render.SystemLink{Kind: "survey", Slug: "leserumfrage"}) || got[2] != (render.SystemLink{Kind: "unsubscribe"}) {
		t.Errorf("SystemLinks = %+v", got)
	}
	if s := tpl.Surveys(); len(s) != 1 || s[0] != "leserumfrage" {
		t.Errorf("Surveys = %v", s)
	}
	// System links are not links of the mailing: no report row, never tracked.
	if len(tpl.Links()) != 1 || tpl.Links()[0].URL != "https://reisen.example.org/insel" {
		t.Errorf("Links = %+v", tpl.Links())
	}

	t.Run("WithListener", func(t *testing.T) {
		rewritten := 0
		res, err := tpl.Execute(anna(), render.Options{SystemURL: listenerURLs, RewriteLink: func(l resonanz.LinkMeta, u string) string {
			rewritten++
			return u
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`<a href="https://news.example.org/s/TOKEN?a=1&amp;b=&lt;2&gt;" target="_blank">Zur Umfrage</a>`,
			`Profil: https://news.example.org/p/TOKEN`,
			`<a href="https://news.example.org/u/TOKEN" target="_blank">Abmelden</a>`,
			`Code: https://news.example.org/p/TOKEN`,
			// The default layout's footer, in the recipient's language.
			`<a href="https://news.example.org/p/TOKEN" style="color:#6b7280;" target="_blank">Profil und Einstellungen</a> · <a href="https://news.example.org/u/TOKEN"`,
		} {
			if !strings.Contains(res.HTML, want) {
				t.Errorf("HTML lacks %s\n%s", want, res.HTML)
			}
		}
		for _, want := range []string{
			"Ihre Meinung: Zur Umfrage (https://news.example.org/s/TOKEN?a=1&b=<2>)",
			"Abmelden (https://news.example.org/u/TOKEN)",
			"----\nProfil und Einstellungen: https://news.example.org/p/TOKEN\nAbmelden: https://news.example.org/u/TOKEN",
		} {
			if !strings.Contains(res.Text, want) {
				t.Errorf("text lacks %q\n%s", want, res.Text)
			}
		}
		if rewritten != 2 {
			t.Errorf("RewriteLink called %d times, want 2 (the ordinary link only)", rewritten)
		}
		r := anna()
		r.Language = "en"
		res, _ = tpl.Execute(r, render.Options{SystemURL: listenerURLs})
		if !strings.Contains(res.HTML, ">Profile and settings</a> · <a") || !strings.Contains(res.Text, "Unsubscribe: https://") {
			t.Error("English footer missing")
		}
	})

	t.Run("WithoutListener", func(t *testing.T) {
		res, err := tpl.Execute(anna(), render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.HTML, `<a href="" target="_blank">Zur Umfrage</a>`) || strings.Contains(res.HTML, "footer") ||
			strings.Contains(res.Text, "----\n") {
			t.Errorf("without a listener: %s\n%s", res.HTML, res.Text)
		}
	})

	t.Run("CustomLayout", func(t *testing.T) {
		for _, tc := range []struct {
			layout     string
			wantFooter bool
		}{
			{`<html><body>{{ content }}<p><a href="{{ profile_url }}">Profil</a></p></body></html>`, false},
			{`<html><body>{{ content }}{{ footer }}</body></html>`, true},
		} {
			tpl, err := render.Compile(resonanz.Template{Subject: "S", Body: "Hallo", Layout: tc.layout}, attrs)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := tpl.Execute(anna(), render.Options{SystemURL: listenerURLs})
			if tc.wantFooter != strings.Contains(res.HTML, `class="footer"`) || tc.wantFooter != strings.Contains(res.Text, "Abmelden: https://") {
				t.Errorf("layout %q: footer %v in\n%s\n%s", tc.layout, tc.wantFooter, res.HTML, res.Text)
			}
			if !tc.wantFooter && !strings.Contains(res.HTML, `<a href="https://news.example.org/p/TOKEN">Profil</a>`) {
				t.Errorf("layout link: %s", res.HTML)
			}
		}
	})

	t.Run("AttributeOfTheSameName", func(t *testing.T) {
		defs := append([]resonanz.AttributeDef{{Key: "profile_url", Label: "Profil", Type: resonanz.AttrText}}, attrs...)
		tpl, err := render.Compile(resonanz.Template{Subject: "S", Body: "{{ profile_url }}"}, defs)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := tpl.Execute(&resonanz.Recipient{Attributes: map[string]string{"profile_url": "mine"}}, render.Options{SystemURL: listenerURLs})
		if !strings.Contains(res.Text, "mine") || len(tpl.SystemLinks()) != 0 {
			t.Errorf("attribute profile_url: %q", res.Text)
		}
	})
}

func TestSystemLinkErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tpl   resonanz.Template
		field string
		msg   string
	}{
		{"in subject", resonanz.Template{Subject: "{{ profile_url }}", Body: "x"}, "subject", "line 1, column 4: {{ profile_url }} can only be used in the body or the layout"},
		{"in preheader", resonanz.Template{Subject: "s", Preheader: "{{ unsubscribe_url }}", Body: "x"}, "preheader", "can only be used in the body or the layout"},
		{"survey without slug", resonanz.Template{Subject: "s", Body: "[x]({{ survey_url }})"}, "body", `survey_url needs the survey's short name in quotes`},
		{"bad slug", resonanz.Template{Subject: "s", Body: `{{ survey_url "Umfrage 1" }}`}, "body", `"Umfrage 1" is not a survey short name`},
		{"filter", resonanz.Template{Subject: "s", Body: `{{ profile_url | upper }}`}, "body", `unexpected "|" after profile_url`},
		{"inside a URL", resonanz.Template{Subject: "s", Body: `[x](https://a.example/?next={{ profile_url }})`}, "body", "must be the whole URL of a link"},
		{"footer in body", resonanz.Template{Subject: "s", Body: `{{ footer }}`}, "body", "{{ footer }} can only be used in the layout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render.Compile(tc.tpl, attrs)
			var e *resonanz.Error
			if !errors.As(err, &e) || e.Field != tc.field || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("got %v, want %s: …%s", err, tc.field, tc.msg)
			}
		})
	}
}
