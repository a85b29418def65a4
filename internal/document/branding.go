package document

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"image"
	_ "image/jpeg" // logo formats accepted by the PDF engine
	_ "image/png"
	"io"
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
// logofile.go), an SVG one, sanitized, inline into v.LogoSVG.
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
		svg, err := sanitizeSVG(b.Logo, "16mm")
		if err != nil {
			return invalidf("logo: %v", err)
		}
		v.LogoSVG = template.HTML(svg)
	default:
		return invalidf("logo type %q (want image/png, image/jpeg or image/svg+xml)", b.LogoMIME)
	}
	return nil
}

const svgNS = "http://www.w3.org/2000/svg"

// svgElements are the SVG elements a logo may use: shapes, text and paint
// servers. Anything else (script, foreignObject, image, and every HTML
// element, which an HTML parser would lift out of the <svg> and into the
// invoice body) is refused.
var svgElements = map[string]bool{
	"svg": true, "g": true, "defs": true, "symbol": true, "use": true,
	"path": true, "rect": true, "circle": true, "ellipse": true, "line": true,
	"polyline": true, "polygon": true, "text": true, "tspan": true,
	"linearGradient": true, "radialGradient": true, "stop": true,
	"clipPath": true, "mask": true, "title": true, "desc": true,
	"metadata": true,
}

// textOnly are elements that HTML parses as integration points: they must
// hold text only.
var textOnly = map[string]bool{"title": true, "desc": true, "metadata": true}

// sanitizeSVG checks that data is one well-formed <svg> element made of
// allowed elements and returns it without its prologue, its root's
// width and height replaced by height (aspect ratio kept through viewBox).
func sanitizeSVG(data []byte, height string) (string, error) {
	// Pass 1: well-formedness and the element allowlist.
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth, roots := 0, 0
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not well-formed SVG: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if t.Name.Local != "svg" {
					return "", fmt.Errorf("root element is <%s>, not <svg>", t.Name.Local)
				}
			}
			if t.Name.Space != "" && t.Name.Space != svgNS {
				return "", fmt.Errorf("element <%s> in namespace %q not allowed", t.Name.Local, t.Name.Space)
			}
			if !svgElements[t.Name.Local] {
				return "", fmt.Errorf("element <%s> not allowed in a logo", t.Name.Local)
			}
			if len(stack) > 0 && textOnly[stack[len(stack)-1]] {
				return "", fmt.Errorf("element <%s> inside <%s>", t.Name.Local, stack[len(stack)-1])
			}
			for _, a := range t.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					return "", fmt.Errorf("event attribute %s not allowed", a.Name.Local)
				}
			}
			stack = append(stack, t.Name.Local)
			depth++
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return "", fmt.Errorf("text outside the <svg> element")
			}
		case xml.Directive:
			return "", fmt.Errorf("DOCTYPE and other directives not allowed")
		}
	}
	if roots != 1 {
		return "", fmt.Errorf("want exactly one <svg> element, found %d", roots)
	}

	// Pass 2: locate the root start tag (RawToken keeps prefixes as
	// written) and rewrite it.
	raw := xml.NewDecoder(bytes.NewReader(data))
	var start int64
	for {
		start = raw.InputOffset()
		tok, err := raw.RawToken()
		if err != nil {
			return "", err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		end := raw.InputOffset()
		var b strings.Builder
		b.WriteString("<svg")
		var w, h string
		hasViewBox := false
		for _, a := range se.Attr {
			name := a.Name.Local
			if a.Name.Space != "" {
				name = a.Name.Space + ":" + a.Name.Local
			}
			switch name {
			case "width":
				w = a.Value
				continue
			case "height":
				h = a.Value
				continue
			case "viewBox":
				hasViewBox = true
			}
			b.WriteString(" " + name + `="` + template.HTMLEscapeString(a.Value) + `"`)
		}
		if !hasViewBox {
			wf, errW := strconv.ParseFloat(strings.TrimSuffix(w, "px"), 64)
			hf, errH := strconv.ParseFloat(strings.TrimSuffix(h, "px"), 64)
			if errW != nil || errH != nil || wf <= 0 || hf <= 0 {
				return "", fmt.Errorf("an SVG logo needs a viewBox or numeric width and height")
			}
			fmt.Fprintf(&b, ` viewBox="0 0 %g %g"`, wf, hf)
		}
		b.WriteString(` height="` + height + `"`)
		if bytes.HasSuffix(bytes.TrimSpace(data[start:end]), []byte("/>")) {
			b.WriteString("/>")
		} else {
			b.WriteString(">")
		}
		b.Write(bytes.TrimSpace(data[end:]))
		return b.String(), nil
	}
}

// SanitizeSVG checks an SVG logo the way rendering will, so that an
// upload the PDF would refuse is refused when it is uploaded. It returns
// the SVG as the documents embed it, at the given CSS height.
func SanitizeSVG(data []byte, height string) (string, error) { return sanitizeSVG(data, height) }

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
