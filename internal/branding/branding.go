// Package branding validates the images and colours an account brands its
// invoices, hosted pages, emails and portal with.
package branding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // accepted upload formats
	_ "image/png"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/usererr"
)

// MaxBytes bounds an uploaded image, as Stripe does: a letterhead logo is
// a few kilobytes and every PDF embeds it.
const MaxBytes = 512 << 10

// Kind is what an image is used for.
type Kind string

const (
	// Logo heads documents and pages; any landscape or square shape.
	Logo Kind = "LOGO"
	// Icon is the square mark of small places (portal header, favicon).
	Icon Kind = "ICON"
)

// Pixel bounds. A logo under 32 px tall prints blurred; an icon must be
// square (within 5 %) and at least 128 px, like Stripe's.
const (
	MinLogoPixels = 32
	MinIconPixels = 128
	MaxPixels     = 4096
)

// Image is a validated upload.
type Image struct {
	Kind          Kind
	ContentType   string
	Data          []byte
	Width, Height int
	SHA256        string
}

// Error is a validation failure; Code is "LIMIT_EXCEEDED" for size and
// "INVALID" otherwise.
type Error struct {
	TooLarge bool
	Reason   string
}

func (e *Error) Error() string { return e.Reason }

func invalid(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Validate checks an upload: its declared type must match its content
// (sniffed, never trusted), its size and dimensions must fit the kind, and
// a logo must print: it is rendered once on a probe invoice
// (document.CheckLogo), because checks that only read a header or the XML
// let through logos that then failed every PDF of their account. An SVG
// is cleaned (document.CleanSVG: no scripts, event handlers, external
// references, processing instructions, DOCTYPE; style="…" turned into the
// attributes the PDF engine reads), and the Image holds the cleaned file:
// what is stored, served and printed. Errors other than *Error are not the
// upload's (ctx ended while the render waited for the engine).
func Validate(ctx context.Context, kind Kind, contentType string, data []byte) (Image, error) {
	if kind != Logo && kind != Icon {
		return Image{}, invalid("unknown image kind %q", kind)
	}
	if len(data) == 0 {
		return Image{}, invalid("the image is empty")
	}
	if len(data) > MaxBytes {
		return Image{}, &Error{TooLarge: true, Reason: fmt.Sprintf("the image is %d bytes; at most %d (512 KB)", len(data), MaxBytes)}
	}
	ct := strings.ToLower(strings.TrimSpace(contentType))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	if ct == "image/jpg" {
		ct = "image/jpeg"
	}
	var w, h int
	switch ct {
	case "image/png", "image/jpeg":
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return Image{}, invalid("not a readable PNG or JPEG image: %v", err)
		}
		if "image/"+format != ct {
			return Image{}, invalid("the data is %s but was declared %s", format, ct)
		}
		// DecodeConfig reads only the header: decode the whole image so a
		// truncated or corrupt file is refused now, not at render time.
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			return Image{}, invalid("corrupt %s image: %v", format, err)
		}
		w, h = cfg.Width, cfg.Height
	case "image/svg+xml":
		clean, err := document.CleanSVG(data)
		if err != nil {
			return Image{}, invalid("SVG refused: %v", err)
		}
		data = clean
		if w, h, err = svgSize(data); err != nil {
			return Image{}, invalid("SVG refused: %v", err)
		}
	default:
		sniffed := http.DetectContentType(data)
		return Image{}, invalid("content type %q (looks like %s): want image/png, image/jpeg or image/svg+xml", contentType, sniffed)
	}
	if w > MaxPixels || h > MaxPixels {
		return Image{}, invalid("the image is %d×%d px; at most %d px a side", w, h, MaxPixels)
	}
	switch kind {
	case Logo:
		if min(w, h) < MinLogoPixels {
			return Image{}, invalid("the logo is %d×%d px; at least %d px a side", w, h, MinLogoPixels)
		}
	case Icon:
		if min(w, h) < MinIconPixels {
			return Image{}, invalid("the icon is %d×%d px; at least %d×%d", w, h, MinIconPixels, MinIconPixels)
		}
		if d := w - h; d*20 > w || -d*20 > w {
			return Image{}, invalid("the icon is %d×%d px; it must be square", w, h)
		}
	}
	// Icons are not printed (portal header, favicon): only logos go
	// through the PDF engine.
	if kind == Logo {
		if err := document.CheckLogo(ctx, ct, data); err != nil {
			if !errors.Is(err, document.ErrUnusableLogo) {
				return Image{}, err
			}
			return Image{}, invalid("%v", err)
		}
	}
	sum := sha256.Sum256(data)
	return Image{Kind: kind, ContentType: ct, Data: data, Width: w, Height: h, SHA256: hex.EncodeToString(sum[:])}, nil
}

// svgSize reads an SVG's intrinsic size in CSS pixels from its viewBox,
// else from numeric width and height.
func svgSize(data []byte) (int, int, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return 0, 0, errors.New("no <svg> element")
		}
		if err != nil {
			return 0, 0, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var w, h, vb string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "width":
				w = a.Value
			case "height":
				h = a.Value
			case "viewBox":
				vb = a.Value
			}
		}
		if f := strings.Fields(strings.ReplaceAll(vb, ",", " ")); len(f) == 4 {
			vw, err1 := strconv.ParseFloat(f[2], 64)
			vh, err2 := strconv.ParseFloat(f[3], 64)
			if err1 == nil && err2 == nil && vw > 0 && vh > 0 {
				return int(vw + 0.5), int(vh + 0.5), nil
			}
		}
		wf, err1 := strconv.ParseFloat(strings.TrimSuffix(w, "px"), 64)
		hf, err2 := strconv.ParseFloat(strings.TrimSuffix(h, "px"), 64)
		if err1 != nil || err2 != nil || wf <= 0 || hf <= 0 {
			return 0, 0, errors.New("an SVG needs a viewBox or numeric width and height")
		}
		return int(wf + 0.5), int(hf + 0.5), nil
	}
}

// Color normalizes a brand colour: "" stays "" (the default), "#abc"
// becomes "#aabbcc".
func Color(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	c, err := document.ParseColor(s)
	if err != nil {
		return "", invalid("colour %q: want #rgb or #rrggbb", s)
	}
	return c, nil
}

// DataURI inlines an image into a page: the hosted page and emails are
// self-contained, and an image of at most 512 KB is fine inline. An SVG
// is served cleaned (document.CleanSVG), which uploads are since it
// exists, but not those stored before; one that does not clean is served
// empty rather than as it was uploaded.
func DataURI(contentType string, data []byte) string {
	if ct, _, _ := strings.Cut(contentType, ";"); strings.EqualFold(strings.TrimSpace(ct), "image/svg+xml") {
		data, _ = document.CleanSVG(data) // nil on failure: an empty image
	}
	return "data:" + contentType + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// MinContrast is WCAG AA's least contrast ratio for normal text.
const MinContrast = 4.5

// ContrastWarning warns about colour s, given at field, when white reads
// poorly on it (and it on white) by WCAG AA; nil when it reads well, or
// is empty (the default colours do) or invalid (an error elsewhere).
// Pages and emails still pick the readable text colour on it
// (document.BrandColors), so this is a warning, not an error.
func ContrastWarning(s string, field ...string) *usererr.Error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	ratio, err := document.ContrastWithWhite(s)
	if err != nil || ratio >= MinContrast {
		return nil
	}
	return usererr.New(usererr.LowContrast, fmt.Sprintf(
		"%s contrasts %.1f:1 with white, below the 4.5:1 WCAG AA asks for text: buttons and headers in this colour get whichever of dark or white text reads better on it, but text in this colour on white pages stays hard to read; a darker shade reads well both ways",
		s, math.Floor(ratio*10)/10), field...)
}

// ContrastWarnings are the warnings about an update's brand and accent
// colours (nil when not given), with their field paths under prefix;
// never nil.
func ContrastWarnings(brand, accent *string, prefix ...string) []*usererr.Error {
	out := []*usererr.Error{}
	for _, c := range []struct {
		value *string
		field string
	}{{brand, "brandColor"}, {accent, "accentColor"}} {
		if c.value == nil {
			continue
		}
		if w := ContrastWarning(*c.value, append(append([]string{}, prefix...), c.field)...); w != nil {
			out = append(out, w)
		}
	}
	return out
}
