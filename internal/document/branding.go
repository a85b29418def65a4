package document

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	_ "image/jpeg" // logo formats accepted by the PDF engine
	_ "image/png"
	"math"
	"strconv"
	"strings"
)

type rgb struct{ r, g, b uint8 }

var (
	defaultBrand  = rgb{0x1d, 0x35, 0x57}
	defaultAccent = rgb{0x2a, 0x6f, 0x97}
)

// parseColor reads "#rgb" or "#rrggbb"; empty gives def.
func parseColor(s string, def rgb) (rgb, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	h, ok := strings.CutPrefix(s, "#")
	if !ok {
		return rgb{}, invalidf("colour %q (want #rgb or #rrggbb)", s)
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return rgb{}, invalidf("colour %q (want #rgb or #rrggbb)", s)
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return rgb{}, invalidf("colour %q (want #rgb or #rrggbb)", s)
	}
	return rgb{uint8(n >> 16), uint8(n >> 8), uint8(n)}, nil
}

func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// tint mixes c with white: f = 0 is c, f = 1 is white.
func (c rgb) tint(f float64) rgb {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f + 0.5) }
	return rgb{mix(c.r), mix(c.g), mix(c.b)}
}

// onColor is the text colour readable on a c background: dark or white,
// whichever contrasts more with c by WCAG 2 (white on #00aa55 is 3.0:1,
// dark text 5.4:1).
func (c rgb) onColor() string {
	if contrast(c, dark) > contrast(c, white) {
		return dark.hex()
	}
	return white.hex()
}

var (
	white = rgb{0xff, 0xff, 0xff}
	dark  = rgb{0x1f, 0x1f, 0x1f}
)

// luminance is c's relative luminance (WCAG 2).
func (c rgb) luminance() float64 {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.04045 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is the WCAG 2 contrast ratio of a and b, from 1 to 21.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// ContrastWithWhite is the WCAG 2 contrast ratio of colour s ("#rgb" or
// "#rrggbb") with white: how well white text reads on it, and it on a
// white page.
func ContrastWithWhite(s string) (float64, error) {
	c, err := parseColor(s, rgb{})
	if err != nil {
		return 0, err
	}
	return contrast(c, white), nil
}

// maxLogoBytes bounds the logo: a letterhead logo is a few kilobytes, and
// the PDF embeds it in every invoice.
const maxLogoBytes = 2 << 20

// setLogo validates the branding logo: a raster one goes to v.logo (written
// to a file for the engine, which loads <img> sources from files only,
// logofile.go), an SVG one, cleaned (svg.go), inline into v.LogoSVG.
func (v *view) setLogo(b *Branding) error {
	if len(b.Logo) == 0 {
		return nil
	}
	if len(b.Logo) > maxLogoBytes {
		return invalidf("logo is %d bytes, more than %d", len(b.Logo), maxLogoBytes)
	}
	mime := strings.ToLower(strings.TrimSpace(b.LogoMIME))
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = strings.TrimSpace(mime[:i])
	}
	switch mime {
	case "image/png", "image/jpeg", "image/jpg":
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b.Logo))
		if err != nil {
			return invalidf("logo: %v", err)
		}
		if cfg.Width == 0 || cfg.Height == 0 || cfg.Width > 10000 || cfg.Height > 10000 {
			return invalidf("logo is %d×%d pixels", cfg.Width, cfg.Height)
		}
		want := strings.TrimPrefix(mime, "image/")
		if want == "jpg" {
			want = "jpeg"
		}
		if format != want {
			return invalidf("logo is %s data, declared %s", format, mime)
		}
		v.logo = b.Logo
	case "image/svg+xml":
		svg, err := cleanSVG(b.Logo, "16mm")
		if err != nil {
			return invalidf("logo: %v", err)
		}
		v.LogoSVG = template.HTML(svg) // cleanSVG wrote it: every value escaped
	default:
		return invalidf("logo type %q (want image/png, image/jpeg or image/svg+xml)", b.LogoMIME)
	}
	return nil
}

// ParseColor reads "#rgb" or "#rrggbb" and returns it as "#rrggbb".
func ParseColor(s string) (string, error) {
	c, err := parseColor(s, rgb{})
	if err != nil {
		return "", err
	}
	return c.hex(), nil
}

// Colors are a branding's colours resolved for use: defaults applied,
// "#rrggbb", with the text colour readable on each.
type Colors struct {
	Brand, OnBrand, Accent, OnAccent, Tint string
}

// BrandColors resolves b's colours; an invalid colour falls back to the
// default, as rendering does.
func BrandColors(b Branding) Colors {
	brand, err := parseColor(b.BrandColor, defaultBrand)
	if err != nil {
		brand = defaultBrand
	}
	accent, err := parseColor(b.AccentColor, defaultAccent)
	if err != nil {
		accent = defaultAccent
	}
	return Colors{Brand: brand.hex(), OnBrand: brand.onColor(), Accent: accent.hex(), OnAccent: accent.onColor(), Tint: brand.tint(0.9).hex()}
}
