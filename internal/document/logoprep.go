package document

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG logos
	"image/png"

	"golang.org/x/image/draw"
)

// The PDF engine copies the compressed data of an 8-bit PNG without
// transparency (and of a JPEG) straight into the document, but for other
// PNGs it either fails or gets them wrong on every render:
//
//   - 16-bit PNGs are refused ("16-bit depth not supported"), so one such
//     logo made every invoice PDF of its account fail;
//   - a palette PNG's transparency (tRNS) is ignored: a transparent
//     background prints in the palette's first colour, often black;
//   - interlaced PNGs would be copied as they are, which PDF cannot read;
//   - an alpha channel is split off and both parts recompressed for every
//     document: 3–4 ms, a third of a one-page render, for a 600×200 logo.
//
// preparedLogo therefore turns a logo, once per process (logoCache), into
// what the engine can copy: an opaque 8-bit PNG, transparency composited
// onto the page's white (the logo is printed on the white page, so it looks
// the same), at most logoMaxHeightPx high. The logo prints 16 mm high
// (invoice.html.tmpl), and 240 px is 380 dpi at that height: more is never
// seen, only carried in every PDF. Baseline JPEGs in RGB or grey that are
// small enough are kept as they are.

const (
	logoMaxHeightPx = 240
	logoMaxWidthPx  = 1600 // a very wide logo: 70 mm (the logo box) at about 580 dpi
)

func preparedLogo(data []byte) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("document: logo: %w", err)
	}
	scale := min(1, float64(logoMaxHeightPx)/float64(cfg.Height), float64(logoMaxWidthPx)/float64(cfg.Width))
	if format == "jpeg" && scale == 1 && (cfg.ColorModel == color.YCbCrModel || cfg.ColorModel == color.GrayModel) {
		return data, nil
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("document: logo: %w", err)
	}
	w := max(1, int(float64(cfg.Width)*scale+0.5))
	h := max(1, int(float64(cfg.Height)*scale+0.5))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	if scale == 1 {
		draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	}
	var out bytes.Buffer
	// An opaque RGBA image is written as 8-bit RGB, not interlaced.
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	var img image.Image = dst
	if gray, ok := asGray(dst); ok {
		img = gray
	}
	if err := enc.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("document: logo: %w", err)
	}
	return out.Bytes(), nil
}

// asGray returns img as a grey image when every pixel is grey, a third of
// the data of an RGB one.
func asGray(img *image.RGBA) (*image.Gray, bool) {
	p := img.Pix
	for i := 0; i < len(p); i += 4 {
		if p[i] != p[i+1] || p[i] != p[i+2] {
			return nil, false
		}
	}
	g := image.NewGray(img.Bounds())
	for i, j := 0, 0; i < len(p); i, j = i+4, j+1 {
		g.Pix[j] = p[i]
	}
	return g, true
}
