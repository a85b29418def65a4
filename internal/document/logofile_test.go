package document

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain removes the logo directory the tests' renders made, as the
// server does when it stops.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// A logo file removed between renders (a temporary-files cleaner) is
// written again, and the document does not change.
func TestLogoFileRemovedBetweenRenders(t *testing.T) {
	inv := sampleInvoice("en")
	inv.Branding = Branding{Logo: testPNG(t), LogoMIME: "image/png"}
	first := render(t, inv)
	engineTurn <- struct{}{} // logos is guarded by the engine's turn
	dir := logos.dir
	<-engineTurn
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if again := render(t, inv); !bytes.Equal(first, again) {
		t.Error("the document changed after its logo file was removed")
	}
}

func TestLogoCacheIsBounded(t *testing.T) {
	var c logoCache
	t.Cleanup(func() { os.RemoveAll(c.dir) })
	var paths []string
	for i := range maxLogoFiles + 3 {
		p, err := c.path(onePixelPNG(t, i))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	again, err := c.path(onePixelPNG(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	if again != paths[10] {
		t.Errorf("the same logo got a second file: %s, %s", again, paths[10])
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != maxLogoFiles {
		t.Errorf("%d files kept, want %d", len(entries), maxLogoFiles)
	}
	for i, p := range paths {
		_, err := os.Stat(p)
		if evicted := i < 3; evicted != os.IsNotExist(err) {
			t.Errorf("logo %d: evicted %v, stat error %v", i, evicted, err)
		}
		if data, err := os.ReadFile(p); err == nil {
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("logo %d: %v", i, err)
			}
			if r, _, _, _ := img.At(0, 0).RGBA(); r>>8 != uint32(i) {
				t.Errorf("logo %d holds the pixel of logo %d", i, r>>8)
			}
		}
	}
}

// onePixelPNG is a 1×1 PNG whose red component is i.
func onePixelPNG(t testing.TB, i int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.NRGBA{uint8(i), 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Logos the engine cannot copy as they are (logoprep.go) print, with a
// transparent background as the white of the page, and large ones are
// scaled down.
func TestLogoKinds(t *testing.T) {
	encode := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	r := image.Rect(0, 0, 60, 20)
	rgba64, gray16 := image.NewRGBA64(r), image.NewGray16(r)
	palette := image.NewPaletted(r, color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{200, 0, 0, 255}})
	for y := range 20 {
		for x := range 60 {
			rgba64.Set(x, y, color.RGBA64{uint16(x * 1000), 3000, 40000, 0xffff})
			gray16.Set(x, y, color.Gray16{uint16(x * 1000)})
			palette.SetColorIndex(x, y, uint8(min(x/30, 1))) // left half transparent
		}
	}
	tests := []struct {
		name       string
		data       []byte
		mime       string
		size       string // "width height" of the image in the PDF
		whiteAt0x0 bool   // a transparent corner prints white
	}{
		{"16-bit colour", encode(rgba64), "image/png", "60 20", false},
		{"16-bit grey", encode(gray16), "image/png", "60 20", false},
		{"palette with transparency", encode(palette), "image/png", "60 20", true},
		{"alpha channel", alphaLogo(t), "image/png", "600 200", true},
		{"too high", encode(image.NewGray(image.Rect(0, 0, 1200, 960))), "image/png", "300 240", false},
		{"jpeg too high", testJPEGSized(t, 900, 600), "image/jpeg", "360 240", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInvoice("fr")
			inv.Branding = Branding{Logo: tt.data, LogoMIME: tt.mime}
			pdf := render(t, inv)
			runTool(t, pdf, "qpdf", "--check", "{}")
			list := strings.Split(strings.TrimSpace(runTool(t, pdf, "pdfimages", "-list", "{}")), "\n")
			if len(list) != 3 {
				t.Fatalf("want one image:\n%s", strings.Join(list, "\n"))
			}
			if f := strings.Fields(list[2]); strings.Join(f[3:5], " ") != tt.size || f[2] != "image" {
				t.Errorf("image %s, want an image of %s px", list[2], tt.size)
			}
			r, g, b, _ := firstImage(t, pdf).At(0, 0).RGBA()
			if white := r == 0xffff && g == 0xffff && b == 0xffff; white != tt.whiteAt0x0 {
				t.Errorf("corner pixel %04x%04x%04x, want white: %v", r, g, b, tt.whiteAt0x0)
			}
		})
	}
}

// alphaLogo is a 600×200 logo with a transparent background, as design
// tools export them.
func alphaLogo(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 600, 200))
	for y := range 200 {
		for x := range 600 {
			var a uint8
			if (x/20+y/20)%3 == 1 {
				a = 255
			}
			img.Set(x, y, color.NRGBA{uint8(x), 80, uint8(y), a})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEGSized(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// An interlaced PNG prints as its pixels (the engine would copy the
// interlaced data as if it were not).
func TestInterlacedLogo(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 60, 20))
	for y := range 20 {
		for x := range 60 {
			src.Set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 12), 200, 255})
		}
	}
	inv := sampleInvoice("en")
	inv.Branding = Branding{Logo: interlacedPNG(t, src), LogoMIME: "image/png"}
	decoded, err := png.Decode(bytes.NewReader(inv.Branding.Logo))
	if err != nil {
		t.Fatalf("the test's interlaced PNG: %v", err)
	}
	if r, g, b, _ := decoded.At(7, 3).RGBA(); r>>8 != 28 || g>>8 != 36 || b>>8 != 200 {
		t.Fatalf("the test's interlaced PNG does not decode to its source")
	}
	got := firstImage(t, render(t, inv))
	for _, p := range []image.Point{{0, 0}, {7, 3}, {31, 9}, {59, 19}} {
		r1, g1, b1, _ := got.At(p.X, p.Y).RGBA()
		r2, g2, b2, _ := src.At(p.X, p.Y).RGBA()
		if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
			t.Errorf("pixel %v is %d,%d,%d in the PDF, %d,%d,%d in the logo", p, r1>>8, g1>>8, b1>>8, r2>>8, g2>>8, b2>>8)
		}
	}
}

// interlacedPNG encodes img as an 8-bit RGB PNG with Adam7 interlacing,
// which Go's encoder does not write.
func interlacedPNG(t testing.TB, img *image.NRGBA) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	var raw bytes.Buffer
	for _, p := range [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		for y := p[1]; y < h; y += p[3] {
			if p[0] >= w {
				break
			}
			raw.WriteByte(0) // filter: none
			for x := p[0]; x < w; x += p[2] {
				c := img.NRGBAAt(x, y)
				raw.Write([]byte{c.R, c.G, c.B})
			}
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBufferString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		_ = binary.Write(out, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 1)) // 8-bit RGB, Adam7
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// firstImage is the first image of pdf, extracted with pdfimages.
func firstImage(t *testing.T, pdf []byte) image.Image {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "invoice.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(needTool(t, "pdfimages"), "-png", f, filepath.Join(dir, "img")).CombinedOutput(); err != nil {
		t.Fatalf("pdfimages: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "img-000.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The process's logo directory is made in the directory SetLogoDir gives
// (the data directory), and Close removes it; a render after Close makes a
// new one.
func TestLogoDirInDataDirRemovedAtClose(t *testing.T) {
	data := t.TempDir()
	SetLogoDir(data)
	t.Cleanup(func() { Close(); SetLogoDir("") })
	if err := Close(); err != nil { // start from no directory
		t.Fatal(err)
	}
	inv := sampleInvoice("en")
	inv.Branding = Branding{Logo: testPNG(t), LogoMIME: "image/png"}
	for round := range 2 {
		render(t, inv)
		dirs, _ := filepath.Glob(filepath.Join(data, logoDirPrefix+strconv.Itoa(os.Getpid())+"-*"))
		if len(dirs) != 1 {
			t.Fatalf("round %d: logo directories in the data directory: %v", round, dirs)
		}
		if files, _ := os.ReadDir(dirs[0]); len(files) != 1 {
			t.Errorf("round %d: %d logo files, want 1", round, len(files))
		}
		if err := Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(data); len(left) != 0 {
			t.Fatalf("round %d: left after Close: %v", round, left)
		}
	}
}

// Without a data directory the logos go to the system's temporary
// directory, and nothing is left there after Close.
func TestNoLogoDirLeftInTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	SetLogoDir("")
	if err := Close(); err != nil {
		t.Fatal(err)
	}
	inv := sampleInvoice("en")
	inv.Branding = Branding{Logo: testPNG(t), LogoMIME: "image/png"}
	render(t, inv)
	if dirs, _ := filepath.Glob(filepath.Join(tmp, logoDirPrefix+"*")); len(dirs) != 1 {
		t.Fatalf("logo directories in TMPDIR while rendering: %v", dirs)
	}
	if err := Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("left in TMPDIR after Close: %v", left)
	}
}

// A directory left by a killed process is removed by the next one to make
// its own there; those of running processes and other files are kept.
func TestOrphanLogoDirsRemoved(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	parent := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		kept bool
	}{
		{logoDirPrefix + strconv.Itoa(dead.Process.Pid) + "-123", false}, // its process ended
		{logoDirPrefix + strconv.Itoa(os.Getpid()) + "-456", false},      // a predecessor with our pid
		{logoDirPrefix + strconv.Itoa(os.Getppid()) + "-789", true},      // a running process
		{logoDirPrefix + "abc", true},                                    // not ours to judge
		{"data", true},
	}
	for _, tt := range tests {
		mk(tt.name)
	}
	removeOrphanLogoDirs(parent)
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(parent, tt.name))
		if kept := err == nil; kept != tt.kept {
			t.Errorf("%s: kept %v, want %v", tt.name, kept, tt.kept)
		}
	}
}
