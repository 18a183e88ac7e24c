package listener_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.txt")

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
			path := filepath.Join("testdata", "notice_"+tc.name+".golden.txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("notice differs from %s:\n%s", path, got)
			}
			if strings.Contains(n.HTML, "<b>") || strings.Contains(n.HTML, "<img") {
				t.Error("unescaped markup or an image in the notice")
			}
			if strings.Count(n.HTML, "<a ") != 1 {
				t.Error("a notice has exactly one link")
			}
		})
	}
}
