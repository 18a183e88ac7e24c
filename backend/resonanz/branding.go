package resonanz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Branding is how the pages recipients see (profile, unsubscribe, survey,
// signup, confirmation) and the mails the listener sends present the
// business: its name, logo and colours. The logo's bytes are kept apart
// (see Logo); LogoHash names the stored one.
type Branding struct {
	// Name is the business's name ("Reisebüro Sonnenschein"); empty: the
	// pages say "the sender".
	Name string `json:"name"`
	// Accent colours headings, links and buttons (#rrggbb; empty: the
	// default blue).
	Accent string `json:"accent"`
	// Background is the page's background (#rrggbb; empty: white).
	Background string `json:"background"`
	// LogoHash is the hex SHA-256 of the stored logo ("" without a logo);
	// LogoType its media type (image/png or image/jpeg). Both are read
	// only: SetLogo sets them.
	LogoHash string `json:"logoHash"`
	LogoType string `json:"logoType"`
}

// Logo is the stored logo image: always re-encoded by the program, never
// the uploaded bytes.
type Logo struct {
	Type string `json:"type"` // image/png or image/jpeg
	Data []byte `json:"data"`
}

// Limits of the branding.
const (
	// MaxLogoUpload bounds an uploaded logo file.
	MaxLogoUpload = 1 << 20
	// MaxLogoSide bounds the logo's width and height in pixels, checked
	// before decoding (a small file can declare a huge image).
	MaxLogoSide = 2000
	// MinContrast is the WCAG AA contrast ratio for normal text.
	MinContrast = 4.5
	// MaxLogoWidth and MaxLogoHeight bound the stored logo: a larger one
	// is scaled down (pages show it at most 64 px high, so this is sharp on
	// high-density screens and keeps the pages and the relay light).
	MaxLogoWidth  = 960
	MaxLogoHeight = 256
)

// Names of the settings that hold the branding.
const (
	SettingBranding = "branding"      // Branding
	SettingLogo     = "branding.logo" // Logo
)

// Default page colours.
const (
	DefaultAccent     = "#2f6db5"
	DefaultBackground = "#ffffff"
	PageText          = "#222222"
)

// Normalize trims the name and lower-cases the colours.
func (b Branding) Normalize() Branding {
	b.Name = strings.TrimSpace(b.Name)
	b.Accent = strings.ToLower(strings.TrimSpace(b.Accent))
	b.Background = strings.ToLower(strings.TrimSpace(b.Background))
	return b
}

// Validate reports the first problem with a normalized Branding as an
// EINVALID *Error naming the field: a name of one line, colours as #rrggbb,
// and contrasts that keep text readable (page text and accent on the
// background).
func (b Branding) Validate() error {
	if utf8.RuneCountInString(b.Name) > MaxNameLength {
		return FieldError("name", "error.branding.name.tooLong", "The business name is too long (at most 200 characters).")
	}
	if strings.ContainsFunc(b.Name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return FieldError("name", "error.branding.name.invalid", "The business name must be a single line.")
	}
	for _, c := range []struct{ field, v string }{{"accent", b.Accent}, {"background", b.Background}} {
		if c.v != "" && !ValidColor(c.v) {
			return FieldError(c.field, "error.branding.color.invalid", "Enter a colour as #rrggbb (for example #2f6db5).")
		}
	}
	bg, accent := b.BackgroundOrDefault(), b.AccentOrDefault()
	if Contrast(PageText, bg) < MinContrast {
		return FieldError("background", "error.branding.background.contrast", "The background is too dark: the text would be hard to read. Pick a lighter colour.")
	}
	if Contrast(accent, bg) < MinContrast {
		return FieldError("accent", "error.branding.accent.contrast", "The accent colour is too close to the background: headings and links would be hard to read. Pick a darker or stronger colour.")
	}
	return nil
}

// AccentOrDefault returns the accent colour or the default one.
func (b Branding) AccentOrDefault() string {
	if b.Accent == "" {
		return DefaultAccent
	}
	return b.Accent
}

// BackgroundOrDefault returns the background colour or white.
func (b Branding) BackgroundOrDefault() string {
	if b.Background == "" {
		return DefaultBackground
	}
	return b.Background
}

// OnAccent is the text colour on an accent-coloured button: white or
// black, whichever contrasts more.
func (b Branding) OnAccent() string {
	a := b.AccentOrDefault()
	if Contrast("#ffffff", a) >= Contrast("#000000", a) {
		return "#ffffff"
	}
	return "#000000"
}

// ValidColor reports whether s is exactly "#rrggbb" (lower or upper hex).
func ValidColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := hex.DecodeString(s[1:])
	return err == nil
}

// Contrast is the WCAG 2 contrast ratio of two valid colours (1 to 21).
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c string) float64 {
	var ch [3]float64
	for i := range ch {
		v, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			ch[i] = s / 12.92
		} else {
			ch[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}

// NewLogo checks an uploaded image and re-encodes it: PNG stays PNG, JPEG
// stays JPEG; anything else (SVG, which can carry script, GIF, WebP, HTML
// pretending to be an image) is refused. The stored bytes are the program's
// own encoding of the decoded pixels, so no metadata or trailing payload of
// the upload survives.
func NewLogo(data []byte) (Logo, error) {
	if len(data) == 0 {
		return Logo{}, FieldError("logo", "error.branding.logo.empty", "The file is empty.")
	}
	if len(data) > MaxLogoUpload {
		return Logo{}, FieldError("logo", "error.branding.logo.tooLarge", "The logo file is too large (at most 1 MB).")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg") {
		return Logo{}, FieldError("logo", "error.branding.logo.format", "The logo must be a PNG or JPEG image.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return Logo{}, FieldError("logo", "error.branding.logo.size", "The logo is too large (at most 2000 × 2000 pixels).")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Logo{}, FieldError("logo", "error.branding.logo.format", "The logo must be a PNG or JPEG image.")
	}
	img = fitLogo(img, MaxLogoWidth, MaxLogoHeight)
	var out bytes.Buffer
	if format == "png" {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img)
	} else {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		return Logo{}, fmt.Errorf("branding: encoding the logo: %w", err)
	}
	return Logo{Type: "image/" + format, Data: out.Bytes()}, nil
}

// ErrNoLogo says that no logo is stored.
var ErrNoLogo = &Error{Code: ENOTFOUND, Key: "error.branding.logo.none", Message: "No logo is stored."}

// Hash is the hex SHA-256 of the logo's bytes ("" for no logo).
func (l Logo) Hash() string {
	if len(l.Data) == 0 {
		return ""
	}
	h := sha256.Sum256(l.Data)
	return hex.EncodeToString(h[:])
}

// BrandingStore keeps the branding in the settings.
type BrandingStore struct {
	Settings SettingsService
}

// Branding returns the stored branding (zero without one).
func (s BrandingStore) Branding(ctx context.Context) (Branding, error) {
	var b Branding
	_, err := s.Settings.Value(ctx, SettingBranding, &b)
	return b, err
}

// SetBranding validates and stores name and colours; the logo fields are
// kept as they are. It returns what was stored.
func (s BrandingStore) SetBranding(ctx context.Context, in Branding) (Branding, error) {
	old, err := s.Branding(ctx)
	if err != nil {
		return old, err
	}
	b := in.Normalize()
	if err := b.Validate(); err != nil {
		return old, err
	}
	b.LogoHash, b.LogoType = old.LogoHash, old.LogoType
	return b, s.Settings.SetValue(ctx, SettingBranding, b)
}

// Logo returns the stored logo (ENOTFOUND without one).
func (s BrandingStore) Logo(ctx context.Context) (Logo, error) {
	var l Logo
	ok, err := s.Settings.Value(ctx, SettingLogo, &l)
	if err != nil {
		return l, err
	}
	if !ok || len(l.Data) == 0 {
		return Logo{}, ErrNoLogo
	}
	return l, nil
}

// SetLogo checks and re-encodes an uploaded image (NewLogo), stores it and
// returns the branding that names it. Empty data removes the logo.
func (s BrandingStore) SetLogo(ctx context.Context, data []byte) (Branding, error) {
	b, err := s.Branding(ctx)
	if err != nil {
		return b, err
	}
	var l Logo
	if len(data) > 0 {
		if l, err = NewLogo(data); err != nil {
			return b, err
		}
	}
	if err := s.Settings.SetValue(ctx, SettingLogo, l); err != nil {
		return b, err
	}
	b.LogoHash, b.LogoType = l.Hash(), l.Type
	return b, s.Settings.SetValue(ctx, SettingBranding, b)
}

// fitLogo scales img down (box filter, aspect kept) to fit w×h; a smaller
// image is returned as it is.
func fitLogo(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= w && sh <= h {
		return img
	}
	scale := math.Min(float64(w)/float64(sw), float64(h)/float64(sh))
	dw, dh := max(1, int(float64(sw)*scale)), max(1, int(float64(sh)*scale))
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		y0, y1 := b.Min.Y+y*sh/dh, b.Min.Y+max((y+1)*sh/dh, y*sh/dh+1)
		for x := 0; x < dw; x++ {
			x0, x1 := b.Min.X+x*sw/dw, b.Min.X+max((x+1)*sw/dw, x*sw/dw+1)
			var r, g, bl, a, n uint64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					c := color.NRGBAModel.Convert(img.At(xx, yy)).(color.NRGBA)
					// Weight colour by alpha so transparent edges do not darken.
					r += uint64(c.R) * uint64(c.A)
					g += uint64(c.G) * uint64(c.A)
					bl += uint64(c.B) * uint64(c.A)
					a += uint64(c.A)
					n++
				}
			}
			if a > 0 {
				dst.SetNRGBA(x, y, color.NRGBA{uint8(r / a), uint8(g / a), uint8(bl / a), uint8(a / n)})
			}
		}
	}
	return dst
}
