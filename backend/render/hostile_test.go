package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestHostileValues checks that recipient values are data: never parsed as
// template or Markdown, escaped in HTML, and never breaking the subject.
func TestHostileValues(t *testing.T) {
	tpl, err := render.Compile(resonanz.Template{
		Subject:   `Hallo {{ last_name }}`,
		Preheader: `{{ first_name }}`,
		Body:      "# {{ salutation }}\n\n*{{ last_name }}* [Link](https://example.org/p?n={{ last_name }}) ![{{ last_name }}](https://example.org/i.png)\n",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Ä", 100000)
	tests := []struct {
		name, value   string
		html          string // must appear in the HTML part
		textInSubject string // must appear in the subject
	}{
		{"go template", "{{.Secret}}", "{{.Secret}}", "{{.Secret}}"},
		{"our placeholder", "{{ first_name }}", "{{ first_name }}", "{{ first_name }}"},
		{"salutation tag", `{{ salutation "informal" }}`, "{{ salutation &#34;informal&#34; }}", `{{ salutation "informal" }}`},
		{"condition tag", "{{ if in \"x\" }}", "{{ if in &#34;x&#34; }}", "{{ if in \"x\" }}"},
		{"script", "<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "<script>alert('x')</script>"},
		{"attribute breakout", `" onerror="alert(1)`, `alt="&#34; onerror=&#34;alert(1)"`, `" onerror="alert(1)`},
		{"markdown", "**fett** [x](javascript:alert(1))", "**fett** [x](javascript:alert(1))", "**fett** [x](javascript:alert(1))"},
		{"html entity", "&amp; &lt;", "&amp;amp; &amp;lt;", "&amp; &lt;"},
		{"crlf header injection", "Müller\r\nBcc: victim@example.org", "Müller  Bcc: victim@example.org", "Müller Bcc: victim@example.org"},
		{"unicode line separators", "a\u2028b\u2029c\u0085d", "a b c d", "a b c d"},
		{"nul and escape", "a\x00b\x1b[31mc", "a b [31mc", "a b [31mc"},
		{"invalid utf-8", "M\xffller\xc3", "M\uFFFDller\uFFFD", "M\uFFFDller\uFFFD"},
		{"marker rune", "x\U000F0000y", "x\U000F0000y", "x\U000F0000y"},
		{"url breakout", "a&b=c#d", "n=a%26b%3Dc%23d", "a&b=c#d"},
		{"very long", long, long, long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &resonanz.Recipient{FirstName: tt.value, LastName: tt.value, Gender: resonanz.GenderFemale, Language: "de"}
			res, err := tpl.Execute(r, render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(res.Subject, "\r\n") || strings.ContainsAny(res.Preheader, "\r\n") {
				t.Errorf("line break in subject %q", res.Subject)
			}
			if !strings.Contains(res.Subject, tt.textInSubject) {
				t.Errorf("subject %q lacks %q", res.Subject, tt.textInSubject)
			}
			if tt.name == "url breakout" {
				if !strings.Contains(res.HTML, tt.html) {
					t.Errorf("HTML lacks %q", tt.html)
				}
			} else if !strings.Contains(res.HTML, "<em>"+tt.html+"</em>") && !strings.Contains(res.HTML, tt.html) {
				t.Errorf("HTML lacks %q:\n%.2000s", tt.html, res.HTML)
			}
			for _, bad := range []string{"<script", `href="javascript:`, "<strong>fett", `" onerror`} {
				if strings.Contains(res.HTML, bad) {
					t.Errorf("HTML contains %q", bad)
				}
			}
			for _, part := range []string{res.Subject, res.Preheader, res.HTML, res.Text} {
				if !utf8.ValidString(part) {
					t.Error("output is not valid UTF-8")
				}
			}
		})
	}
}

func TestMessage(t *testing.T) {
	tpl := newsletter(t)
	r := samples[0].r
	res, err := tpl.Execute(&r, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	from := resonanz.SenderIdentity{FromName: "Weitblick Reisen", FromAddress: "news@reisen.example.org"}
	m := res.Message(from, &r)
	if m.To != r.Email || m.ToName != "anna Müller" || m.Subject != res.Subject || m.HTML != res.HTML || m.Text != res.Text || m.From != from {
		t.Errorf("Message = %+v", m)
	}
}

func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.md")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(b), `{{ first_name | default:"Sie" }}`, "Müller")
		}
	}
	f.Add("{{ if city = \"x\" }}\n- a\n{{ else }}\n> b\n{{ end }}", "{{ salutation }}", "{{ x }}")
	f.Add("[a](https://e.org/{{ email }}){name=\"n\" tags=\"a,b\"}", "", "<b>")
	f.Add("***a*** `{{ x }}`\n\n    code {{ y }}\n\n1. x\n   2. y", "\\{{", "\r\n")
	f.Fuzz(func(t *testing.T, body, subj, value string) {
		tpl, err := render.Compile(resonanz.Template{Subject: subj, Body: body}, nil)
		if err != nil {
			if resonanz.ErrorCode(err) != resonanz.EINVALID {
				t.Fatalf("Compile: unexpected error %v", err)
			}
			return
		}
		r := &resonanz.Recipient{Email: value, FirstName: value, LastName: value, Title: value, Gender: "f",
			Attributes: map[string]string{"city": value, "x": value}}
		res, err := tpl.Execute(r, render.Options{InGroup: func(string) bool { return len(value)%2 == 0 },
			RewriteLink: func(_ resonanz.LinkMeta, u string) string { return u }, OpenPixelURL: "https://p.example/o"})
		if err != nil && resonanz.ErrorCode(err) == "" {
			t.Fatal("error without code")
		}
		if strings.ContainsAny(res.Subject, "\r\n") {
			t.Fatalf("line break in subject %q", res.Subject)
		}
	})
}
