package document

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	_ "image/jpeg" // logo formats accepted by the PDF engine
	_ "image/png"
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

// onColor is the text colour readable on a c background.
func (c rgb) onColor() string {
	// Relative luminance, sRGB coefficients, without gamma: enough to pick
	// black or white.
	y := 0.2126*float64(c.r) + 0.7152*float64(c.g) + 0.0722*float64(c.b)
	if y > 150 {
		return "#1f1f1f"
	}
	return "#ffffff"
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
