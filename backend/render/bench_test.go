package render_test

import (
	"testing"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// BenchmarkExecute renders the ~2 KB German newsletter of testdata with
// link rewriting and an open pixel, as a send does per recipient.
func BenchmarkExecute(b *testing.B) {
	tpl := newsletter(b)
	r := samples[0].r
	o := render.Options{
		InGroup:      func(g string) bool { return g == "Stammkunden" },
		RewriteLink:  func(l resonanz.LinkMeta, u string) string { return "https://t.example.net/c/abcdef" },
		OpenPixelURL: "https://t.example.net/o/abcdef",
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Execute(&r, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile measures parsing the newsletter once.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		newsletter(b)
	}
}
