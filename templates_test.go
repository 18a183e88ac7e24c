package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// houseLayout is a custom layout with a marker the tests look for.
const houseLayout = `<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="background:#fef3c7">
<div class="brand">SONNENREISEN-KOPF</div>
{{ content }}
<p class="imprint">Impressum: Sonnenreisen GmbH</p>{{ footer }}
</body></html>
`

// TestTemplates drives the Templates façade through the composed app: a
// layout is checked and stored, a mailing picks it and every render of the
// mailing (preview, .eml and .mbox exports — the .mbox goes through the
// send job like a real send — and the command line) uses it; a layout in use
// cannot be deleted; mailing templates start new mailings.
func TestTemplates(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if code, _, stderr := runCLI(t, "--data", data, "import", "recipients",
		writeFile(t, dir, "in.csv", "E-Mail;Vorname;Nachname;Anrede;Newsletter\nanna@example.org;Anna;Müller;Frau;ja\n"), "--list", "Kunden",
		"--map", "Newsletter=consent:newsletter:Kunden", "--consent-source", "Test", "--consent-evidence", "Ja, Newsletter"); code != 0 {
		t.Fatal(stderr)
	}
	a, err := NewApp(ctx, data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.settingsSvc.SetSender(ctx, resonanz.SenderIdentity{FromName: "Sonnenreisen", FromAddress: "news@sonne.example"}); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrLayoutSyntax", func(t *testing.T) {
		_, err := a.templates.SaveLayout(resonanz.Layout{Name: "Kaputt", HTML: "<html>\n<body>\n  {{ content }} {{ frist_name }}\n</body></html>"})
		var e *resonanz.Error
		if !asResonanzError(err, &e) || e.Field != "html" || !strings.HasPrefix(e.Message, "line 3, column 20:") {
			t.Fatalf("err = %#v", err)
		}
		_, err = a.templates.SaveLayout(resonanz.Layout{Name: "Ohne Inhalt", HTML: "<html><body>nichts</body></html>"})
		if !asResonanzError(err, &e) || e.Field != "html" || !strings.Contains(e.Message, "{{ content }}") {
			t.Fatalf("err = %#v", err)
		}
	})
	layout, err := a.templates.SaveLayout(resonanz.Layout{Name: "Hausstil", HTML: houseLayout})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("PreviewLayout", func(t *testing.T) {
		p, err := a.templates.PreviewLayout(houseLayout, "en")
		if err != nil || !strings.Contains(p.HTML, "SONNENREISEN-KOPF") || !strings.Contains(p.HTML, "A sample heading") {
			t.Fatalf("preview = %+v, %v", p, err)
		}
	})
	lists, err := a.listSvc.Lists(ctx)
	if err != nil || len(lists) != 1 {
		t.Fatal(lists, err)
	}
	m, err := a.mailings.Save(resonanz.Mailing{Name: "Herbst", Subject: "Herbstreisen", Body: "{{ salutation }},\n\nneue Reisen.", LayoutID: layout.ID, ListID: lists[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("MailingUsesLayout", func(t *testing.T) {
		p, err := a.mailings.Preview(desktopPreviewRequest(m.Mailing))
		if err != nil || !strings.Contains(p.HTML, "SONNENREISEN-KOPF") || !strings.Contains(p.HTML, "Sehr geehrte Frau Müller") {
			t.Fatalf("preview = %+v, %v", p.HTML, err)
		}
		eml, err := a.mailings.ExportEML(m.Mailing.ID, 0)
		if err != nil || !strings.Contains(unQP(eml.Content), "SONNENREISEN-KOPF") {
			t.Fatalf("eml = %v, %v", eml.Content, err)
		}
		mbox, err := a.mailings.ExportMbox(m.Mailing.ID, 0)
		if err != nil || !strings.Contains(unQP(mbox.Content), "SONNENREISEN-KOPF") {
			t.Fatalf("mbox = %v, %v", mbox.Content, err)
		}
		// Without a layout the default is used.
		p, err = a.mailings.Preview(desktopPreviewRequest(resonanz.Mailing{Name: "x", Body: "Hallo"}))
		if err != nil || strings.Contains(p.HTML, "SONNENREISEN-KOPF") {
			t.Fatalf("default preview = %v", err)
		}
	})
	t.Run("ErrDeleteInUse", func(t *testing.T) {
		err := a.templates.DeleteLayout(layout.ID)
		if resonanz.ErrorCode(err) != resonanz.ECONFLICT || !strings.Contains(resonanz.ErrorMessage(err), `"Herbst"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("MailingTemplates", func(t *testing.T) {
		tpl, err := a.templates.SaveMailingTemplate(resonanz.MailingTemplate{Name: "Monatsbrief", Subject: m.Mailing.Subject, Body: m.Mailing.Body, Language: "de", LayoutID: layout.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.templates.SaveMailingTemplate(resonanz.MailingTemplate{Name: "Falsch", Body: "Hallo {{ nix }}"}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("bad template: err = %v", err)
		}
		first, err := a.templates.CreateMailingFromTemplate(tpl.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		second, err := a.templates.CreateMailingFromTemplate(tpl.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		got := first.Mailing
		if !strings.HasPrefix(got.Name, "Monatsbrief ") || got.Body != m.Mailing.Body || got.LayoutID != layout.ID || got.Status != resonanz.MailingDraft {
			t.Errorf("from template: %+v", got)
		}
		if second.Mailing.Name != got.Name+" (2)" {
			t.Errorf("second name %q, first %q", second.Mailing.Name, got.Name)
		}
		named, err := a.templates.CreateMailingFromTemplate(tpl.ID, "Dezember")
		if err != nil || named.Mailing.Name != "Dezember" {
			t.Errorf("named: %+v, %v", named.Mailing, err)
		}
	})

	// Once a mailing has gone out, its content is fixed and it keeps the
	// layout as it was: later edits of the layout change new mailings only.
	t.Run("SentMailingKeepsItsLayout", func(t *testing.T) {
		sent, err := a.mailings.Save(resonanz.Mailing{Name: "Winter", Subject: "Winterreisen", Body: "Hallo.", LayoutID: layout.ID, ListID: lists[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.sendStore.Prepare(ctx, sent.Mailing.ID, 0, "sonne.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.templates.SaveLayout(resonanz.Layout{ID: layout.ID, Name: "Hausstil", HTML: strings.Replace(houseLayout, "SONNENREISEN-KOPF", "NEUER-KOPF", 1)}); err != nil {
			t.Fatal(err)
		}
		eml, err := a.mailings.ExportEML(sent.Mailing.ID, 0)
		if err != nil || !strings.Contains(unQP(eml.Content), "SONNENREISEN-KOPF") || strings.Contains(unQP(eml.Content), "NEUER-KOPF") {
			t.Fatalf("export of the sent mailing after the layout changed: %v", err)
		}
		p, err := a.mailings.Preview(desktopPreviewRequest(sent.Mailing)) // as the window sends it: without the snapshot
		if err != nil || !strings.Contains(p.HTML, "SONNENREISEN-KOPF") {
			t.Fatalf("preview of the sent mailing: %v", err)
		}
		if p, err := a.mailings.Preview(desktopPreviewRequest(m.Mailing)); err != nil || !strings.Contains(p.HTML, "NEUER-KOPF") {
			t.Fatalf("a draft uses the layout as it is now: %v", err)
		}
		changed := sent.Mailing
		changed.Body = "Anders."
		if _, err := a.mailings.Save(changed); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
			t.Errorf("changing the body of a sent mailing: err = %v", err)
		}
		renamed := sent.Mailing
		renamed.Name = "Winter 2026"
		if d, err := a.mailings.Save(renamed); err != nil || d.Mailing.Name != "Winter 2026" || d.Mailing.Body != "Hallo." {
			t.Errorf("renaming a sent mailing: %+v, %v", d.Mailing, err)
		}
	})

	t.Run("RenderCLI", func(t *testing.T) {
		a.Close()
		md := writeFile(t, dir, "t.md", "{{ salutation }},\n\nHallo.\n")
		code, out, stderr := runCLI(t, "--data", data, "render", md, "--recipient", "anna@example.org", "--layout", writeFile(t, dir, "l.html", houseLayout))
		if code != 0 || !strings.Contains(out, "SONNENREISEN-KOPF") || !strings.Contains(out, "Sehr geehrte Frau Müller") {
			t.Fatalf("render: %d %s %s", code, out, stderr)
		}
		bad := writeFile(t, dir, "bad.html", "<html>\n{{ content }}{{ if }}</html>")
		code, _, stderr = runCLI(t, "--data", data, "render", md, "--recipient", "anna@example.org", "--layout", bad)
		if code != exitUsage || !strings.Contains(stderr, "bad.html: line 2, column") {
			t.Fatalf("bad layout: %d %s", code, stderr)
		}
	})
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// unQP undoes quoted-printable soft line breaks, enough to find ASCII text.
func unQP(s string) string {
	return strings.NewReplacer("=\r\n", "", "=\n", "").Replace(s)
}

func asResonanzError(err error, target **resonanz.Error) bool { return errors.As(err, target) }

func desktopPreviewRequest(m resonanz.Mailing) desktop.PreviewRequest {
	return desktop.PreviewRequest{Mailing: m}
}
