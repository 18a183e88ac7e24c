package resonanz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestBranding_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		b     resonanz.Branding
		field string // "" when valid
	}{
		{"OK empty", resonanz.Branding{}, ""},
		{"OK Sonnenschein", resonanz.Branding{Name: "Reisebüro Sonnenschein", Accent: "#B34700", Background: "#fffaf0"}, ""},
		{"ErrNameLines", resonanz.Branding{Name: "Reisebüro\nSonnenschein"}, "name"},
		{"ErrNameControl", resonanz.Branding{Name: "A\x1bB"}, "name"},
		{"ErrNameLong", resonanz.Branding{Name: strings.Repeat("ä", 201)}, "name"},
		{"ErrColorShort", resonanz.Branding{Accent: "#fff"}, "accent"},
		{"ErrColorName", resonanz.Branding{Background: "red"}, "background"},
		{"ErrColorCSS", resonanz.Branding{Accent: "#000000;}body{x:y"}, "accent"},
		{"ErrColorURL", resonanz.Branding{Background: "url(//evil)"}, "background"},
		{"ErrDarkBackground", resonanz.Branding{Background: "#333333"}, "background"},
		{"ErrPaleAccent", resonanz.Branding{Accent: "#ffd700"}, "accent"},
		{"ErrAccentIsBackground", resonanz.Branding{Accent: "#fffaf0", Background: "#fffaf0"}, "accent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Normalize().Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *resonanz.Error
			if !asError(err, &e) || e.Field != tc.field || e.Code != resonanz.EINVALID || !strings.HasPrefix(e.Key, "error.branding.") {
				t.Fatalf("got %#v, want an EINVALID error about %s", err, tc.field)
			}
		})
	}
}

func asError(err error, e **resonanz.Error) bool {
	x, ok := err.(*resonanz.Error)
	*e = x
	return ok
}

func TestContrast(t *testing.T) {
	if c := resonanz.Contrast("#000000", "#ffffff"); c < 20.9 || c > 21.1 {
		t.Errorf("black on white: %.2f", c)
	}
	if c := resonanz.Contrast(resonanz.DefaultAccent, resonanz.DefaultBackground); c < resonanz.MinContrast {
		t.Errorf("the default accent is not readable: %.2f", c)
	}
	if on := (resonanz.Branding{Accent: "#ffd700"}).OnAccent(); on != "#000000" {
		t.Errorf("text on gold: %s", on)
	}
}

func encoded(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	switch format {
	case "png":
		png.Encode(&buf, img)
	case "jpeg":
		jpeg.Encode(&buf, img, nil)
	case "gif":
		gif.Encode(&buf, img, nil)
	}
	return buf.Bytes()
}

func TestNewLogo(t *testing.T) {
	pngData := encoded(t, "png", 40, 20)
	t.Run("OK PNG re-encoded without a trailing payload", func(t *testing.T) {
		polyglot := append(append([]byte{}, pngData...), []byte("<script>alert(1)</script>")...)
		l, err := resonanz.NewLogo(polyglot)
		if err != nil {
			t.Fatal(err)
		}
		if l.Type != "image/png" || bytes.Contains(l.Data, []byte("script")) {
			t.Fatalf("%s, %d bytes", l.Type, len(l.Data))
		}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(l.Data)); err != nil || cfg.Width != 40 {
			t.Fatalf("the stored logo does not decode: %v", err)
		}
		if len(l.Hash()) != 64 {
			t.Error("hash")
		}
	})
	t.Run("OK scaled down", func(t *testing.T) {
		l, err := resonanz.NewLogo(encoded(t, "png", 1800, 600))
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, _ := image.DecodeConfig(bytes.NewReader(l.Data))
		if cfg.Width != 768 || cfg.Height != 256 {
			t.Fatalf("%d×%d, want 768×256", cfg.Width, cfg.Height)
		}
	})
	t.Run("OK JPEG", func(t *testing.T) {
		l, err := resonanz.NewLogo(encoded(t, "jpeg", 10, 10))
		if err != nil || l.Type != "image/jpeg" {
			t.Fatal(l.Type, err)
		}
	})
	for name, data := range map[string][]byte{
		"ErrSVG":       []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>`),
		"ErrHTML":      []byte(`<html><script>alert(1)</script></html>`),
		"ErrGIF":       encoded(t, "gif", 4, 4),
		"ErrEmpty":     nil,
		"ErrTooLarge":  append(append([]byte{}, pngData...), make([]byte, resonanz.MaxLogoUpload)...),
		"ErrHuge":      encoded(t, "png", resonanz.MaxLogoSide+1, 1),
		"ErrTruncated": pngData[:len(pngData)/2],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := resonanz.NewLogo(data); resonanz.ErrorCode(err) != resonanz.EINVALID {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// memSettings is a SettingsService in memory.
type memSettings struct{ m map[string][]byte }

func (s *memSettings) Sender(context.Context) (resonanz.SenderIdentity, error) {
	return resonanz.SenderIdentity{}, nil
}
func (s *memSettings) SetSender(_ context.Context, x resonanz.SenderIdentity) (resonanz.SenderIdentity, error) {
	return x, nil
}

func TestBrandingStore(t *testing.T) {
	ctx := context.Background()
	st := resonanz.BrandingStore{Settings: newMemSettings()}
	if _, err := st.Logo(ctx); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		t.Fatalf("no logo: %v", err)
	}
	b, err := st.SetLogo(ctx, encoded(t, "png", 8, 8))
	if err != nil || len(b.LogoHash) != 64 || b.LogoType != "image/png" {
		t.Fatal(b, err)
	}
	// Saving name and colours keeps the logo, whatever the form sent.
	b, err = st.SetBranding(ctx, resonanz.Branding{Name: "  Reisebüro Sonnenschein ", Accent: "#B34700", LogoHash: "forged"})
	if err != nil || b.Name != "Reisebüro Sonnenschein" || b.Accent != "#b34700" || len(b.LogoHash) != 64 {
		t.Fatal(b, err)
	}
	l, err := st.Logo(ctx)
	if err != nil || l.Hash() != b.LogoHash {
		t.Fatal(err)
	}
	if _, err := st.SetBranding(ctx, resonanz.Branding{Accent: "#ffffff"}); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Fatalf("unreadable accent saved: %v", err)
	}
	if b, err = st.SetLogo(ctx, nil); err != nil || b.LogoHash != "" || b.Name != "Reisebüro Sonnenschein" {
		t.Fatal(b, err)
	}
	if _, err := st.Logo(ctx); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		t.Fatalf("removed logo: %v", err)
	}
}

func newMemSettings() *memSettings { return &memSettings{m: map[string][]byte{}} }

func (s *memSettings) Value(_ context.Context, name string, v any) (bool, error) {
	raw, ok := s.m[name]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func (s *memSettings) SetValue(_ context.Context, name string, v any) error {
	raw, err := json.Marshal(v)
	s.m[name] = raw
	return err
}
