package sqlite_test

import (
	"context"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestMailingService(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	svc := sqlite.NewMailingService(db)
	m, err := svc.CreateMailing(ctx, resonanz.Mailing{Name: " Frühling 2026 ", Subject: "Neue Reisen", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Frühling 2026" || m.Status != resonanz.MailingDraft || m.ID == 0 {
		t.Errorf("created %+v", m)
	}
	t.Run("ErrNameTaken", func(t *testing.T) {
		_, err := svc.CreateMailing(ctx, resonanz.Mailing{Name: "frühling 2026"})
		if resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrSubjectNewline", func(t *testing.T) {
		_, err := svc.UpdateMailing(ctx, resonanz.Mailing{ID: m.ID, Name: "x", Subject: "a\r\nBcc: evil@example.org"})
		if resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("LinksKeepIDs", func(t *testing.T) {
		first, err := svc.SetLinks(ctx, m.ID, []resonanz.Link{
			{URL: "https://a.example/", Name: "A", Tags: []string{"Studienreisen"}},
			{URL: "https://b.example/", Kind: resonanz.LinkImage},
		})
		if err != nil {
			t.Fatal(err)
		}
		second, err := svc.SetLinks(ctx, m.ID, []resonanz.Link{
			{URL: "https://a.example/", Name: "A2", Tags: []string{"Abenteuerreisen"}},
			{URL: "https://c.example/"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if second[0].ID != first[0].ID || second[1].ID == first[1].ID {
			t.Errorf("ids %d,%d → %d,%d: the unchanged link must keep its id, the replaced one not", first[0].ID, first[1].ID, second[0].ID, second[1].ID)
		}
		links, err := svc.Links(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 2 || links[0].Name != "A2" || links[0].Tags[0] != "Abenteuerreisen" || links[1].URL != "https://c.example/" {
			t.Errorf("links = %+v", links)
		}
		var tagged int
		db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM link_tag WHERE tag = 'abenteuerreisen'`).Scan(&tagged)
		if tagged != 1 {
			t.Errorf("link_tag rows for the new tag: %d", tagged)
		}
	})
}

func TestLinkKey(t *testing.T) {
	for in, want := range map[string]string{
		"https://Reisen.Example/Insel?utm_source=nl&b=2&a=1#top": "https://reisen.example/Insel?a=1&b=2",
		"https://reisen.example":                                 "https://reisen.example/",
		"mailto:info@example.org":                                "mailto:info@example.org",
	} {
		if got := sqlite.LinkKey(in); got != want {
			t.Errorf("LinkKey(%q) = %q, want %q", in, got, want)
		}
	}
}
