package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

const testLayout = `<html><body><img src="https://example.org/logo.png" alt="Logo">{{ content }}{{ footer }}<p>Impressum</p></body></html>`

func TestTemplateService_Layouts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	svc := sqlite.NewTemplateService(db)
	mailings := sqlite.NewMailingService(db)
	l, err := svc.SaveLayout(ctx, resonanz.Layout{Name: " Hausstil ", HTML: testLayout})
	if err != nil {
		t.Fatal(err)
	}
	if l.ID == 0 || l.Name != "Hausstil" || l.HTML != testLayout || l.CreatedAt.IsZero() {
		t.Fatalf("saved %+v", l)
	}
	t.Run("OK", func(t *testing.T) {
		l.HTML = strings.Replace(testLayout, "Impressum", "Impressum 2", 1)
		u, err := svc.SaveLayout(ctx, l)
		if err != nil || u.HTML != l.HTML || u.CreatedAt != l.CreatedAt {
			t.Fatalf("update = %+v, %v", u, err)
		}
		all, err := svc.Layouts(ctx)
		if err != nil || len(all) != 1 || all[0].ID != l.ID {
			t.Fatalf("layouts = %+v, %v", all, err)
		}
	})
	t.Run("ErrNameTaken", func(t *testing.T) {
		_, err := svc.SaveLayout(ctx, resonanz.Layout{Name: "HAUSSTIL", HTML: testLayout})
		var e *resonanz.Error
		if resonanz.ErrorCode(err) != resonanz.EINVALID || !asError(err, &e) || e.Field != "name" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		if _, err := svc.SaveLayout(ctx, resonanz.Layout{Name: "Leer", HTML: "  "}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("MailingLayout", func(t *testing.T) {
		m, err := mailings.CreateMailing(ctx, resonanz.Mailing{Name: "Herbst", LayoutID: l.ID})
		if err != nil || m.LayoutID != l.ID {
			t.Fatalf("mailing = %+v, %v", m, err)
		}
		if _, err := mailings.CreateMailing(ctx, resonanz.Mailing{Name: "Winter", LayoutID: 999}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("unknown layout: err = %v", err)
		}
		// In use: the delete is refused, naming the mailing.
		err = svc.DeleteLayout(ctx, l.ID)
		if resonanz.ErrorCode(err) != resonanz.ECONFLICT || !strings.Contains(resonanz.ErrorMessage(err), `"Herbst"`) {
			t.Fatalf("delete in use: err = %v", err)
		}
		m.LayoutID = 0
		if m, err = mailings.UpdateMailing(ctx, m); err != nil || m.LayoutID != 0 {
			t.Fatalf("update = %+v, %v", m, err)
		}
		tpl, err := svc.SaveMailingTemplate(ctx, resonanz.MailingTemplate{Name: "Vorlage", LayoutID: l.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteLayout(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Layout(ctx, l.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("after delete: err = %v", err)
		}
		// The template falls back to the default layout.
		if tpl, err = svc.MailingTemplate(ctx, tpl.ID); err != nil || tpl.LayoutID != 0 {
			t.Errorf("template after delete = %+v, %v", tpl, err)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		entries, err := sqlite.NewAuditService(db).Recent(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action] = true
		}
		for _, a := range []string{"layout.create", "layout.update", "layout.delete", "mailing_template.create"} {
			if !seen[a] {
				t.Errorf("no audit entry %s in %+v", a, entries)
			}
		}
	})
}

func TestTemplateService_MailingTemplates(t *testing.T) {
	ctx := context.Background()
	svc := sqlite.NewTemplateService(MustOpenDB(t))
	tpl, err := svc.SaveMailingTemplate(ctx, resonanz.MailingTemplate{Name: "Monatsbrief", Subject: " Neues im {{ month }} ", Body: "Hallo", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if tpl.ID == 0 || tpl.Subject != "Neues im {{ month }}" || tpl.Body != "Hallo" {
		t.Fatalf("saved %+v", tpl)
	}
	t.Run("Rename", func(t *testing.T) {
		tpl.Name = "Monatsbrief neu"
		got, err := svc.SaveMailingTemplate(ctx, tpl)
		if err != nil || got.Name != "Monatsbrief neu" {
			t.Fatalf("rename = %+v, %v", got, err)
		}
	})
	t.Run("ErrNameTaken", func(t *testing.T) {
		if _, err := svc.SaveMailingTemplate(ctx, resonanz.MailingTemplate{Name: "monatsbrief NEU"}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrUnknownLayout", func(t *testing.T) {
		if _, err := svc.SaveMailingTemplate(ctx, resonanz.MailingTemplate{Name: "X", LayoutID: 42}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if err := svc.DeleteMailingTemplate(ctx, tpl.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteMailingTemplate(ctx, tpl.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("second delete: err = %v", err)
		}
		all, err := svc.MailingTemplates(ctx)
		if err != nil || len(all) != 0 {
			t.Errorf("templates = %+v, %v", all, err)
		}
	})
}

func asError(err error, target **resonanz.Error) bool {
	e, ok := err.(*resonanz.Error)
	if ok {
		*target = e
	}
	return ok
}
