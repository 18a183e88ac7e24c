package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestExport_ProfileLinksShowNoOne: the profile links in a mailing's .mbox
// export name real recipients, but through the real listener they show
// sample data and cannot download, change or erase anyone's data.
func TestExport_ProfileLinksShowNoOne(t *testing.T) {
	ctx := context.Background()
	a, list := newSendingApp(t, t.TempDir())
	t.Cleanup(func() { a.Close() })
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "http://listener.test"}); err != nil {
		t.Fatal(err)
	}
	r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "anna.real@example.org", FirstName: "Annabella", LastName: "Wirklich"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.subscriptionSvc.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja"); err != nil {
		t.Fatal(err)
	}
	m, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: list.ID, Subject: "Neue Reisen", Body: "Hallo,\n\nneue Reisen.\n"})
	if err != nil {
		t.Fatal(err)
	}
	fc, err := a.mailings.ExportMbox(m.Mailing.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	mbox := strings.ReplaceAll(strings.ReplaceAll(fc.Content, "=\r\n", ""), "=\n", "")
	link := regexp.MustCompile(`http://listener\.test/p/[A-Za-z0-9_-]+`).FindString(mbox)
	if link == "" {
		t.Fatal("no profile link in the export")
	}
	srv, err := a.newListener("127.0.0.1:0", "http://listener.test", 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Shutdown(ctx) })
	target := ts.URL + strings.TrimPrefix(link, "http://listener.test")
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, real := range []string{"anna.real@example.org", "Annabella", "Wirklich", "Reisen"} {
		if strings.Contains(string(page), real) {
			t.Errorf("the export's profile link shows %q", real)
		}
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
	if csrf == nil {
		t.Fatalf("no form: %s", page)
	}
	for _, action := range []string{"export", "save", "erase-confirm"} {
		resp, err := http.PostForm(target, url.Values{"csrf": {csrf[1]}, "action": {action}, "first_name": {"X"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || strings.Contains(string(b), "anna.real@example.org") {
			t.Errorf("%s: %d %s", action, resp.StatusCode, b)
		}
	}
	if got, err := a.recipientSvc.RecipientByEmail(ctx, "anna.real@example.org"); err != nil || got.FirstName != "Annabella" {
		t.Errorf("the person after the export link's actions: %+v %v", got, err)
	}
}
