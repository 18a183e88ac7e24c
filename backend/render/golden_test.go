package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

// newsletter is the realistic German newsletter of testdata/newsletter.md.
func newsletter(tb testing.TB) *render.Template {
	tb.Helper()
	body, err := os.ReadFile("testdata/newsletter.md")
	if err != nil {
		tb.Fatal(err)
	}
	tpl, err := render.Compile(resonanz.Template{
		Subject:   `{{ first_name | capitalize | suffix:", " }}Ihre Reiseideen für den Herbst`,
		Preheader: `Trekking im Atlas, Andalusien und {{ if in "Stammkunden" }}Ihr Treuerabatt{{ else }}unser Treueprogramm{{ end }}`,
		Body:      string(body),
		Language:  "de",
	}, attrs)
	if err != nil {
		tb.Fatal(err)
	}
	return tpl
}

// samples are the recipients of the golden files; those with listener set
// get system links (survey link, default layout footer), the others are
// rendered as without a configured listener.
var samples = []struct {
	name     string
	r        resonanz.Recipient
	groups   []string
	listener bool
}{
	{"dr-mueller", resonanz.Recipient{Email: "a.mueller@example.org", FirstName: "anna", LastName: "Müller", Title: "Dr.",
		Gender: resonanz.GenderFemale, Language: "de",
		Attributes: map[string]string{"birthday": "1980-04-02", "bonus_points": "2450", "city": "Köln"}}, []string{"Stammkunden"}, true},
	{"herr-schmidt", resonanz.Recipient{Email: "jan.schmidt@example.com", FirstName: "Jan", LastName: "Schmidt",
		Gender: resonanz.GenderMale, Attributes: map[string]string{"bonus_points": "300"}}, nil, true},
	{"divers-weber", resonanz.Recipient{Email: "alex@example.net", FirstName: "Alex", LastName: "Weber",
		Gender: resonanz.GenderDiverse, Language: "de", Attributes: map[string]string{"city": "Leipzig"}}, []string{"Stammkunden"}, false},
	{"unbekannt-hostile", resonanz.Recipient{Email: "x@example.org", FirstName: "{{ email }}", LastName: "<script>alert(1)</script>",
		Attributes: map[string]string{"city": "**Bonn** [klick](https://evil.example/)"}}, nil, false},
}

func TestGolden(t *testing.T) {
	tpl := newsletter(t)
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			opt := render.Options{InGroup: func(g string) bool {
				for _, x := range s.groups {
					if x == g {
						return true
					}
				}
				return false
			}}
			if s.listener {
				opt.SystemURL = listenerURLs
			}
			res, err := tpl.Execute(&s.r, opt)
			if err != nil {
				t.Fatal(err)
			}
			text := "Subject: " + res.Subject + "\nPreheader: " + res.Preheader + "\n\n" + res.Text
			golden(t, filepath.Join("testdata", s.name+".html"), res.HTML)
			golden(t, filepath.Join("testdata", s.name+".txt"), text)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	goldenfile.Assert(t, path, []byte(got))
}

// TestExecuteConcurrent runs one compiled template from many goroutines
// (run with -race); every result must equal the sequential one.
func TestExecuteConcurrent(t *testing.T) {
	tpl := newsletter(t)
	want := make([]render.Result, len(samples))
	for i := range samples {
		want[i], _ = tpl.Execute(&samples[i].r, render.Options{})
	}
	errs := make(chan string, 64)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for n := 0; n < 50; n++ {
				i := n % len(samples)
				got, _ := tpl.Execute(&samples[i].r, render.Options{})
				if got != want[i] {
					errs <- samples[i].name
					return
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for name := range errs {
		t.Errorf("concurrent result for %s differs", name)
	}
}

// TestGoldenLayout renders the newsletter in a custom layout (logo,
// colours, imprint, a greeting placeholder and a profile link in the
// layout): the body goes where {{ content }} is, the pixel before
// </body>, recipient values escaped in the layout too.
func TestGoldenLayout(t *testing.T) {
	body, err := os.ReadFile("testdata/newsletter.md")
	if err != nil {
		t.Fatal(err)
	}
	layout, err := os.ReadFile("testdata/layout-sonnenreisen.html")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := render.Compile(resonanz.Template{
		Subject:   `Ihre Reiseideen für den Herbst`,
		Preheader: `Trekking im Atlas und Andalusien`,
		Body:      string(body),
		Layout:    string(layout),
		Language:  "de",
	}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{0, 3} {
		s := samples[s]
		t.Run(s.name, func(t *testing.T) {
			opt := render.Options{InGroup: func(string) bool { return false }, OpenPixelURL: "https://l.example/o/TOKEN"}
			if s.listener {
				opt.SystemURL = listenerURLs
			}
			res, err := tpl.Execute(&s.r, opt)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "layout-"+s.name+".html"), res.HTML)
			golden(t, filepath.Join("testdata", "layout-"+s.name+".txt"), res.Text)
		})
	}
}

// TestGoldenLineBreaks pins that every line break the writer types is kept
// in the HTML and the text part (hard wraps), as mail writers expect:
// "Herzliche Grüße⏎Ihr Team" stays on two lines.
func TestGoldenLineBreaks(t *testing.T) {
	body, err := os.ReadFile("testdata/linebreaks.md")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := render.Compile(resonanz.Template{Subject: "Ihre Buchung", Body: string(body), Language: "de"}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	r := resonanz.Recipient{Email: "anna@example.org", FirstName: "Anna", LastName: "Weiß", Gender: resonanz.GenderFemale}
	res, err := tpl.Execute(&r, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.HTML, "Herzliche Grüße<br>\nIhr Team") || !strings.Contains(res.Text, "Herzliche Grüße\nIhr Team") {
		t.Errorf("the signature's line break is lost:\n%s\n%s", res.HTML, res.Text)
	}
	golden(t, filepath.Join("testdata", "linebreaks.html"), res.HTML)
	golden(t, filepath.Join("testdata", "linebreaks.txt"), res.Text)
}
