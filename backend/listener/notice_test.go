package listener_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
)

// TestNotices_Golden pins the confirmation and profile-link mails in both
// languages: text and HTML, with hostile names and list names escaped.
func TestNotices_Golden(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    listener.Notice
	}{
		{"confirmation_de", listener.ConfirmationNotice("de", "anna@example.org", "Anna <b>Müller</b>", `Reisen & "Mehr"`,
			listener.NewsletterWording("de", `Reisen & "Mehr"`), "https://news.example.org/r/d/TOKEN")},
		{"confirmation_en", listener.ConfirmationNotice("en", "ben@example.org", "", "Travel",
			listener.NewsletterWording("en", "Travel"), "https://news.example.org/r/d/TOKEN")},
		{"profile_de", listener.ProfileLinkNotice("de", "anna@example.org", "Anna", "https://news.example.org/r/p/TOKEN")},
		{"profile_en", listener.ProfileLinkNotice("en", "ben@example.org", "", "https://news.example.org/r/p/TOKEN")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			got := "Subject: " + n.Subject + "\nTo: " + n.ToName + " <" + n.To + ">\nKind: " + n.Kind + "\n\n--- text\n" + n.Text + "\n--- html\n" + n.HTML
			goldenfile.Assert(t, filepath.Join("testdata", "notice_"+tc.name+".golden.txt"), []byte(got))
			if strings.Contains(n.HTML, "<b>") || strings.Contains(n.HTML, "<img") {
				t.Error("unescaped markup or an image in the notice")
			}
			if strings.Count(n.HTML, "<a ") != 1 {
				t.Error("a notice has exactly one link")
			}
		})
	}
}
