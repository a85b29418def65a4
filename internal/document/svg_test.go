package document

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const ns = `xmlns="http://www.w3.org/2000/svg"`

func TestCleanSVG(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `<svg ` + ns + ` viewBox="0 0 10 10" width="100" height="100"><rect width="10" height="10"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 10 10" width="100" height="100"><rect width="10" height="10"/></svg>`},
		{"style becomes attributes, over the attribute", `<svg ` + ns + ` viewBox="0 0 100 100"><rect width="100" height="100" fill="blue" style="fill:#c00; stroke : #000;stroke-width:2px !important;cursor:pointer"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 100 100"><rect width="100" height="100" fill="#c00" stroke="#000" stroke-width="2px"/></svg>`},
		{"single quotes", `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'><path d='M0 0H1V1z' fill='#c00'/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><path d="M0 0H1V1z" fill="#c00"/></svg>`},
		{"prologue, comment, doctype, stylesheet dropped; size from width and height", `<?xml version="1.0"?><?xml-stylesheet href="https://evil.example/x.css"?><!-- c --><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg ` + ns + ` width="60" height="20"><circle r="5"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 60 20" width="60" height="20"><circle r="5"/></svg>`},
		{"script, CDATA title, style element, foreign elements dropped", `<svg ` + ns + ` xmlns:i="http://ns.adobe.com/AdobeIllustrator/10.0/" viewBox="0 0 1 1" onload="alert(1)"><title><![CDATA[<script>alert(1)</script>]]></title><script>alert(2)</script><style>rect{fill:url(https://evil.example/)}</style><i:pgf>x</i:pgf><foreignObject><p>Paid</p></foreignObject><rect width="1" height="1" onclick="x()"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`},
		{"external references dropped, local gradient kept", `<svg ` + ns + ` xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1 1"><defs><linearGradient id="g" xlink:href="http://evil.example/g"><stop offset="0" style="stop-color:#fff"/></linearGradient><path id="p" d="M0 0"/></defs><image xlink:href="http://evil.example/a.png"/><use xlink:href="#p"/><rect width="1" height="1" fill="url(#g)" stroke="url(http://evil.example/#x)" style="fill:url('#g')"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><rect width="1" height="1" fill="url(#g)"/></svg>`},
		{"class and unknown attributes dropped", `<svg ` + ns + ` viewBox="0 0 1 1"><rect class="fill" data-x="1" width="1" height="1"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`},
		{"root paint moves to a group", `<svg ` + ns + ` viewBox="0 0 1 1" style="fill:#c00"><rect width="1" height="1"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><g fill="#c00"><rect width="1" height="1"/></g></svg>`},
		{"hidden elements dropped", `<svg ` + ns + ` viewBox="0 0 1 1"><rect width="1" height="1" style="display:none"/><g visibility="hidden"><circle r="1"/></g><circle r="2"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><circle r="2"/></svg>`},
		{"text escaped, CDATA too", `<svg ` + ns + ` viewBox="0 0 1 1"><text x="0" y="1" style="font-family:'Open Sans'">A &amp; <![CDATA[</svg><script>]]><tspan>B</tspan></text></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><text x="0" y="1" font-family="&#39;Open Sans&#39;">A &amp; &lt;/svg&gt;&lt;script&gt;<tspan>B</tspan></text></svg>`},
		{"relative sizes dropped, viewBox kept", `<svg ` + ns + ` viewBox="0 0 2 1" width="100%" height="3em"><rect width="2" height="1"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 2 1"><rect width="2" height="1"/></svg>`},
		{"CSS functions refused, rgb kept", `<svg ` + ns + ` viewBox="0 0 1 1"><rect width="1" height="1" fill="rgb(200,0,0)" stroke="expression(alert(1))"/></svg>`,
			`<svg ` + ns + ` viewBox="0 0 1 1"><rect width="1" height="1" fill="rgb(200,0,0)"/></svg>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanSVG([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Fatalf("CleanSVG =\n%s, %v; want\n%s", got, err, tt.want)
			}
			again, err := CleanSVG(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("not idempotent: %s, %v", again, err)
			}
		})
	}

	bad := map[string]string{
		"not xml":           `<svg`,
		"not svg":           `<html><body/></html>`,
		"two roots":         `<svg ` + ns + ` viewBox="0 0 1 1"><circle r="1"/></svg><svg ` + ns + ` viewBox="0 0 1 1"/>`,
		"only a script":     `<svg ` + ns + ` viewBox="0 0 1 1"><script>alert(1)</script></svg>`,
		"only HTML":         `<svg ` + ns + ` viewBox="0 0 1 1"><g><p>Paid in full</p></g></svg>`,
		"only an image":     `<svg ` + ns + ` xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1 1"><image xlink:href="data:image/png;base64,AAAA"/></svg>`,
		"entity":            `<!DOCTYPE svg [<!ENTITY x "y">]><svg ` + ns + ` viewBox="0 0 1 1"><text>&x;</text></svg>`,
		"foreign namespace": `<svg xmlns="http://www.w3.org/1999/xhtml" viewBox="0 0 1 1"><rect/></svg>`,
		"no size":           `<svg ` + ns + `><circle r="1"/></svg>`,
		"text after root":   `<svg ` + ns + ` viewBox="0 0 1 1"><circle r="1"/></svg>trailing`,
		"only defs":         `<svg ` + ns + ` viewBox="0 0 1 1"><defs><rect width="1" height="1"/></defs></svg>`,
		"blank text":        `<svg ` + ns + ` viewBox="0 0 1 1"><text> </text></svg>`,
		"latin-1":           `<?xml version="1.0" encoding="ISO-8859-1"?><svg ` + ns + ` viewBox="0 0 1 1"><circle r="1"/></svg>`,
		"too deep":          `<svg ` + ns + ` viewBox="0 0 1 1">` + strings.Repeat("<g>", 70) + `<circle r="1"/>` + strings.Repeat("</g>", 70) + `</svg>`,
	}
	for name, in := range bad {
		if got, err := CleanSVG([]byte(in)); err == nil {
			t.Errorf("%s: accepted, gave %s", name, got)
		}
	}
}

// redLogo is the logo of the report: a style attribute, as design
// tools write them, made every PDF of its account fail.
const redLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100"><rect width="100" height="100" style="fill:#c00"/></svg>`

// SVG logos as design tools write them print, in their colour, where the
// logo goes (top right of page 1).
func TestSVGLogoPrints(t *testing.T) {
	tests := map[string]string{
		"style attribute":                  redLogo,
		"single quotes":                    `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'><rect width='100' height='100' fill='#c00'/></svg>`,
		"class of the invoice style sheet": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect class="fill logo r" width="100" height="100" fill="#c00"/></svg>`,
		"paint on the root":                `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" fill="#c00"><rect width="100" height="100"/></svg>`,
		"Inkscape export": `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg width="100mm" height="100mm" viewBox="0 0 100 100" version="1.1" id="svg1" inkscape:version="1.3" sodipodi:docname="logo.svg"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns="http://www.w3.org/2000/svg" xmlns:svg="http://www.w3.org/2000/svg">
  <sodipodi:namedview id="namedview1" pagecolor="#ffffff"/>
  <defs id="defs1"/>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1">
    <rect style="fill:#cc0000;fill-opacity:1;stroke:none;stroke-width:0.264583" id="rect1" width="100" height="100" x="0" y="0"/>
  </g>
</svg>`,
	}
	for name, logo := range tests {
		t.Run(name, func(t *testing.T) {
			if err := CheckLogo(context.Background(), "image/svg+xml", []byte(logo)); err != nil {
				t.Fatalf("CheckLogo: %v", err)
			}
			clean, err := CleanSVG([]byte(logo))
			if err != nil {
				t.Fatal(err)
			}
			for _, data := range [][]byte{[]byte(logo), clean} { // as stored before, and now
				inv := sampleInvoice("fr")
				inv.Branding = Branding{Logo: data, LogoMIME: "image/svg+xml"}
				pdf := render(t, inv)
				if n := redPixelsTopRight(t, pdf); n < 100 {
					t.Errorf("%d red pixels where the logo goes, want a 16 mm square", n)
				}
			}
		})
	}
	// And the test can fail: without a logo there is no red there.
	if n := redPixelsTopRight(t, render(t, sampleInvoice("fr"))); n != 0 {
		t.Errorf("%d red pixels without a logo", n)
	}
}

// redPixelsTopRight renders page 1 at 50 dpi and counts the pixels of
// about #cc0000 in its top right quarter.
func redPixelsTopRight(t *testing.T, pdf []byte) int {
	t.Helper()
	bin := needTool(t, "pdftoppm")
	dir := t.TempDir()
	f := filepath.Join(dir, "invoice.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-r", "50", "-f", "1", "-l", "1", "-png", "-singlefile", f, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Min.Y+b.Dy()/4; y++ {
		for x := b.Min.X + b.Dx()/2; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 180 && r>>8 < 230 && g>>8 < 40 && bl>>8 < 40 {
				n++
			}
		}
	}
	return n
}

// A logo stored before the upload checks, or failing for a reason they
// did not foresee, never stops a document: it renders without the logo,
// the seller's name in its place, and a warning is logged.
func TestUnprintableLogoRendersWithout(t *testing.T) {
	png := testPNG(t)
	corrupt := append(bytes.Clone(png[:60]), make([]byte, 200)...) // header reads, pixels do not
	tests := []struct {
		name string
		mime string
		data []byte
	}{
		{"type", "image/gif", []byte("GIF89a")},
		{"not a png", "image/png", []byte("hello")},
		{"jpeg declared png", "image/png", testJPEG(t)},
		{"corrupt png pixels", "image/png", corrupt},
		{"svg with nothing to draw", "image/svg+xml", []byte(`<svg ` + ns + ` viewBox="0 0 1 1"><script>x</script></svg>`)},
		{"svg not well-formed", "image/svg+xml", []byte(`<svg ` + ns + ` viewBox="0 0 1 1"><rect style="fill:#c00">`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged bytes.Buffer
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
			defer slog.SetDefault(prev)

			inv := sampleInvoice("fr")
			inv.Branding = Branding{Logo: tt.data, LogoMIME: tt.mime}
			pdf, err := Render(context.Background(), inv)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			inv.Branding = Branding{}
			if !bytes.Equal(pdf, render(t, inv)) {
				t.Error("the PDF is not the invoice without a logo")
			}
			if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "logo") {
				t.Errorf("no warning logged: %q", logged.String())
			}
			if err := CheckLogo(context.Background(), tt.mime, tt.data); !errors.Is(err, ErrUnusableLogo) {
				t.Errorf("CheckLogo = %v, want ErrUnusableLogo", err)
			}
		})
	}
}

func TestCheckLogo(t *testing.T) {
	ok := []struct {
		name, mime string
		data       []byte
	}{
		{"png", "image/png", testPNG(t)},
		{"jpeg", "image/jpeg", testJPEG(t)},
		{"svg", "image/svg+xml", []byte(testSVG)},
		{"svg with a gradient", "image/svg+xml", []byte(`<svg ` + ns + ` viewBox="0 0 100 40"><defs><linearGradient id="g" x1="0" y1="0" x2="100" y2="0" gradientUnits="userSpaceOnUse"><stop offset="0" style="stop-color:#c00"/><stop offset="1" stop-color="#00c"/></linearGradient></defs><g transform="translate(0 5)"><path d="M0 0h100v30H0z" style="fill:url(#g)"/></g></svg>`)},
		{"svg with text", "image/svg+xml", []byte(`<svg ` + ns + ` viewBox="0 0 100 20"><text x="0" y="15" style="font-family:Helvetica;font-size:14px;font-weight:bold">Dupont</text></svg>`)},
	}
	for _, tt := range ok {
		if err := CheckLogo(context.Background(), tt.mime, tt.data); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := CheckLogo(ctx, "image/png", testPNG(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v, want context.Canceled (not the image's fault)", err)
	}
}
