package render_test

import (
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestLayoutPlaceholderContexts: placeholders in a layout are HTML-escaped,
// which is right in text and quoted ordinary attributes only. In a URL
// attribute (javascript: links), an event handler, a style attribute or
// element (a remote beacon past the consent gate), a script, an unquoted
// attribute or the tag itself, saving the layout is refused at the
// placeholder's line and column. System links are our own URLs: they may
// stand in href.
func TestLayoutPlaceholderContexts(t *testing.T) {
	const head = "<html>\n<body>\n"
	for _, tc := range []struct {
		name, layout string
		at           string // "line L, column C" of the refusal; "" = accepted
	}{
		{"OK/Text", `<p>Hallo {{ first_name }}</p>{{ content }}`, ""},
		{"OK/QuotedAttribute", `<img alt="{{ first_name }}" title='{{ last_name }}' src="https://x.example/a.png">{{ content }}`, ""},
		{"OK/Lang", `<html lang="{{ lang }}"><title>{{ subject }}</title>{{ content }}`, ""},
		{"OK/SystemLinkInHref", `<a href="{{ unsubscribe_url }}">ab</a> <a href='{{ profile_url }}'>p</a>{{ content }}`, ""},
		{"OK/Comment", `<!-- {{ first_name }} -->{{ content }}`, ""},
		{"OK/StyleElementWithoutPlaceholder", `<style>p{color:red}</style><p>{{ first_name }}</p>{{ content }}`, ""},
		{"OK/AfterScript", `<script>var a = 1;</script><p>{{ first_name }}</p>{{ content }}`, ""},
		{"OK/Footer", `{{ content }}<div class="f">{{ footer }}</div>`, ""},
		{"ErrHref", `<a href="{{ first_name }}">x</a>{{ content }}`, "line 3, column 10"},
		{"ErrHrefQueryPart", `<a href="https://x.example/?n={{ email }}">x</a>{{ content }}`, "line 3, column 31"},
		{"ErrSrc", `<img src='{{ first_name }}'>{{ content }}`, "line 3, column 11"},
		{"ErrSystemLinkNotAtStart", `<a href="x{{ unsubscribe_url }}">x</a>{{ content }}`, "line 3, column 11"},
		{"ErrUnquoted", "<p>\n<img alt={{ first_name }}>{{ content }}", "line 4, column 10"},
		{"ErrEventHandler", `<p onmouseover="{{ first_name }}">x</p>{{ content }}`, "line 3, column 17"},
		{"ErrStyleAttribute", `<p style="background:url({{ first_name }})">x</p>{{ content }}`, "line 3, column 26"},
		{"ErrStyleElement", `<style>p{background:url({{ first_name }})}</style>{{ content }}`, "line 3, column 25"},
		{"ErrScript", `<script>var n = "{{ first_name }}";</script>{{ content }}`, "line 3, column 18"},
		{"ErrScriptUpperCase", `<SCRIPT type="x">{{ last_name }}</SCRIPT>{{ content }}`, "line 3, column 18"},
		{"ErrInTag", `<p {{ first_name }}>x</p>{{ content }}`, "line 3, column 4"},
		{"ErrTagName", `<{{ first_name }}>x{{ content }}`, "line 3, column 2"},
		{"ErrAttributeName", `<p data-{{ first_name }}="1">x</p>{{ content }}`, "line 3, column 9"},
		{"ErrMetaRefresh", `<meta http-equiv="refresh" content="0;url={{ first_name }}">{{ content }}`, "line 3, column 43"},
		{"ErrContentInAttribute", `<p title="{{ content }}">x</p>`, "line 3, column 11"},
		{"ErrSrcset", `<img srcset="{{ first_name }} 2x">{{ content }}`, "line 3, column 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render.Compile(resonanz.Template{Subject: "S", Body: "Text", Layout: head + tc.layout, Language: "de"}, nil)
			if tc.at == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *resonanz.Error
			if err == nil || !asError(err, &re) || re.Field != "layout" || re.Code != resonanz.EINVALID || !strings.Contains(re.Message, tc.at) {
				t.Fatalf("got %v, want a refusal at %s", err, tc.at)
			}
		})
	}
}

func asError(err error, re **resonanz.Error) bool {
	e, ok := err.(*resonanz.Error)
	*re = e
	return ok
}
