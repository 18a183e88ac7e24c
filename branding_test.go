package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestListener_Branding: what Settings stores (name, colours, an uploaded
// logo) is what the desk's listener shows and serves, and the unsubscribe
// page names the mailing's list and the masked address — over the real
// store.
func TestListener_Branding(t *testing.T) {
	ctx := context.Background()
	a := newCLIApp(t)
	list, _ := a.listSvc.CreateList(ctx, resonanz.List{Name: "Kunden"})
	a.listSvc.CreateList(ctx, resonanz.List{Name: "Andere"})
	m, _ := a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID})
	uwe, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: "uwe.lang@gmx.de", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.settings.SaveBranding(resonanz.Branding{Name: "Reisebüro Sonnenschein", Accent: "#b34700"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.settings.SaveLogo([]byte("<svg onload=alert(1)/>")); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Fatalf("an SVG logo: %v", err)
	}
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 4)))
	b, err := a.settings.SaveLogo(buf.Bytes())
	if err != nil || len(b.LogoHash) != 64 || b.Name != "Reisebüro Sonnenschein" {
		t.Fatal(b, err)
	}

	srv, err := a.newListener("127.0.0.1:0", "http://listener.test", 0, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	urls, _ := listener.NewURLs("http://listener.test", srv.Signer())
	get := func(u string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Get(ts.URL + strings.TrimPrefix(u, "http://listener.test"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	code, page, _ := get(urls.Unsubscribe(m.ID, uwe.ID))
	for _, want := range []string{"Reisebüro Sonnenschein", `<img src="/logo/` + b.LogoHash, "vom Newsletter „Kunden“ abmelden", "u***@gmx.de"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("unsubscribe page (%d) lacks %q:\n%s", code, want, page)
		}
	}
	if strings.Contains(page, "Andere") || strings.Contains(page, "uwe.lang@") {
		t.Error("the unsubscribe page names another list or the full address")
	}
	code, logo, h := get("/logo/" + b.LogoHash)
	if code != 200 || h.Get("Content-Type") != "image/png" {
		t.Fatalf("logo: %d %s", code, h.Get("Content-Type"))
	}
	if _, err := png.Decode(strings.NewReader(logo)); err != nil {
		t.Errorf("the served logo is no PNG: %v", err)
	}
}
