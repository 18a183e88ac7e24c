package relay_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestBranding: the desk's branding is part of what it publishes; the
// relay's pages show the name and the logo and serve the logo, and the
// unsubscribe page names the mailing's list.
func TestBranding(t *testing.T) {
	e := newEnv(t)
	e.publish(listener.ProfileView{Email: email, FirstName: firstName, Lists: []listener.ListChoice{{ListID: 1, Name: "Kunden", Subscribed: true}}})
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 3, 3)))
	logo, err := resonanz.NewLogo(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b := resonanz.Branding{Name: "Reisebüro Sonnenschein", Accent: "#b34700", LogoHash: logo.Hash(), LogoType: logo.Type}
	ctx := context.Background()
	bad := relay.PubBranding{Branding: b, Logo: resonanz.Logo{Type: "image/png", Data: []byte("<svg onload=alert(1)>")}}
	if err := e.client.Publish(ctx, relay.Publication{Generation: 2, Branding: &bad}); err == nil {
		t.Fatal("a logo that does not match its hash was published")
	}
	if err := e.client.Publish(ctx, relay.Publication{Generation: 2, Branding: &relay.PubBranding{Branding: b, Logo: logo}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{e.urls.Profile(5, 7), e.urls.Unsubscribe(5, 7)} {
		code, body := get(t, u)
		if code != 200 || !strings.Contains(body, "Reisebüro Sonnenschein") || !strings.Contains(body, `/logo/`+logo.Hash()) {
			t.Errorf("%s: %d, no branding:\n%s", u, code, body)
		}
		if strings.Contains(body, "Absender") {
			t.Errorf("%s says der Absender", u)
		}
	}
	if _, body := get(t, e.urls.Unsubscribe(5, 7)); !strings.Contains(body, "vom Newsletter „Kunden“") {
		t.Errorf("the unsubscribe page does not name the list:\n%s", body)
	}
	code, body := get(t, e.http.URL+"/logo/"+logo.Hash())
	if code != 200 || body != string(logo.Data) {
		t.Errorf("logo: %d", code)
	}
}
