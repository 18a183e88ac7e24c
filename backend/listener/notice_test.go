package listener_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

// TestNotices_Golden pins the confirmation and profile-link mails in both
// languages: text and HTML, with hostile names and list names escaped.
func TestNotices_Golden(t *testing.T) {
	sonnenschein := listener.NoticeBrand{Name: "Reisebüro Sonnenschein", Accent: "#b34700"}
	for _, tc := range []struct {
		name string
		n    listener.Notice
	}{
		{"confirmation_de", listener.ConfirmationNotice("de", "anna@example.org", "Anna <b>Müller</b>", `Reisen & "Mehr"`,
			listener.NewsletterWording("de", `Reisen & "Mehr"`), "https://news.example.org/r/d/TOKEN", listener.NoticeBrand{})},
		{"confirmation_en", listener.ConfirmationNotice("en", "ben@example.org", "", "Travel",
			listener.NewsletterWording("en", "Travel"), "https://news.example.org/r/d/TOKEN", listener.NoticeBrand{})},
		{"profile_de", listener.ProfileLinkNotice("de", "anna@example.org", "Anna", "https://news.example.org/r/p/TOKEN", listener.NoticeBrand{})},
		{"profile_en", listener.ProfileLinkNotice("en", "ben@example.org", "", "https://news.example.org/r/p/TOKEN", listener.NoticeBrand{})},
		{"confirmation_branded_de", listener.ConfirmationNotice("de", "anna@example.org", "Anna", "Kunden",
			listener.NewsletterWording("de", "Kunden"), "https://news.example.org/r/d/TOKEN", sonnenschein)},
		{"confirmation_branded_en", listener.ConfirmationNotice("en", "ben@example.org", "", "Customers",
			listener.NewsletterWording("en", "Customers"), "https://news.example.org/r/d/TOKEN", sonnenschein)},
		{"profile_branded_de", listener.ProfileLinkNotice("de", "anna@example.org", "Anna", "https://news.example.org/r/p/TOKEN", sonnenschein)},
		{"profile_branded_en", listener.ProfileLinkNotice("en", "ben@example.org", "", "https://news.example.org/r/p/TOKEN", sonnenschein)},
		{"profile_hostile_brand", listener.ProfileLinkNotice("de", "anna@example.org", "", "https://news.example.org/r/p/TOKEN",
			listener.NoticeBrand{Name: `<img src=x onerror=alert(1)> & "Co"`, Accent: "#fff;background:url(x)"})},
		{"profile_invalid_brand", listener.ProfileLinkNotice("en", "ben@example.org", "", "https://news.example.org/r/p/TOKEN",
			listener.BrandNotice(resonanz.Branding{Name: "Two\nlines", Accent: "#2f6db5"}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			got := "Subject: " + n.Subject + "\nTo: " + n.ToName + " <" + n.To + ">\nKind: " + n.Kind + "\n\n--- text\n" + n.Text + "\n--- html\n" + n.HTML
			goldenfile.Assert(t, filepath.Join("testdata", "notice_"+tc.name+".golden.txt"), []byte(got))
			if strings.Contains(n.HTML, "<b>") || strings.Contains(n.HTML, "<img") {
				t.Error("unescaped markup or an image in the notice")
			}
			if strings.Contains(n.HTML, "url(") || strings.Contains(n.Text, "Two") {
				t.Error("a hostile colour or an invalid name reached the notice")
			}
			if strings.Count(n.HTML, "<a ") != 1 {
				t.Error("a notice has exactly one link")
			}
		})
	}
}
