package branding

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), 0x80, uint8(y), 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const redLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100"><rect width="100" height="100" style="fill:#c00"/></svg>`

func TestValidate(t *testing.T) {
	logo := pngOf(t, 240, 64)
	corrupt := append(bytes.Clone(logo[:60]), make([]byte, 400)...)
	tests := []struct {
		name      string
		kind      Kind
		ct        string
		data      []byte
		wantErr   string // substring of the *Error's reason; "" accepts
		wantData  string // the stored file, for SVGs
		wantW     int
		wantH     int
		wantLarge bool
	}{
		{name: "png logo", kind: Logo, ct: "image/png", data: logo, wantW: 240, wantH: 64},
		{name: "png icon", kind: Icon, ct: "IMAGE/PNG; foo", data: pngOf(t, 128, 128), wantW: 128, wantH: 128},
		{name: "svg with style, cleaned", kind: Logo, ct: "image/svg+xml", data: []byte(redLogo), wantW: 100, wantH: 100,
			wantData: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100"><rect width="100" height="100" fill="#c00"/></svg>`},
		{name: "svg with script and stylesheet, stripped", kind: Logo, ct: "image/svg+xml", wantW: 100, wantH: 100,
			data:     []byte(`<?xml-stylesheet href="x.css"?><svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'><title><![CDATA[<script>alert(1)</script>]]></title><rect width='100' height='100' fill='#c00' onclick='x()'/></svg>`),
			wantData: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#c00"/></svg>`},
		{name: "svg with nothing to draw", kind: Logo, ct: "image/svg+xml", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><script>alert(1)</script></svg>`), wantErr: "nothing the PDF can draw"},
		{name: "svg icon cleaned too", kind: Icon, ct: "image/svg+xml", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"><circle r="60" style="fill:red"/><script>x</script></svg>`), wantW: 128, wantH: 128,
			wantData: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"><circle r="60" fill="red"/></svg>`},
		{name: "png with corrupt pixels", kind: Logo, ct: "image/png", data: corrupt, wantErr: "corrupt"},
		{name: "gif", kind: Logo, ct: "image/gif", data: []byte("GIF89a...."), wantErr: "want image/png"},
		{name: "png declared jpeg", kind: Logo, ct: "image/jpeg", data: logo, wantErr: "declared"},
		{name: "too large", kind: Logo, ct: "image/png", data: append(bytes.Clone(logo), make([]byte, MaxBytes)...), wantErr: "512 KB", wantLarge: true},
		{name: "tiny logo", kind: Logo, ct: "image/png", data: pngOf(t, 20, 10), wantErr: "at least 32"},
		{name: "oblong icon", kind: Icon, ct: "image/png", data: pngOf(t, 256, 128), wantErr: "square"},
		{name: "unknown kind", kind: "BANNER", ct: "image/png", data: logo, wantErr: "unknown image kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Validate(context.Background(), tt.kind, tt.ct, tt.data)
			if tt.wantErr != "" {
				var be *Error
				if !errors.As(err, &be) || !strings.Contains(be.Reason, tt.wantErr) || be.TooLarge != tt.wantLarge {
					t.Fatalf("err = %v, want *Error containing %q (too large %v)", err, tt.wantErr, tt.wantLarge)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.Width != tt.wantW || img.Height != tt.wantH {
				t.Errorf("size %d×%d, want %d×%d", img.Width, img.Height, tt.wantW, tt.wantH)
			}
			if tt.wantData != "" && string(img.Data) != tt.wantData {
				t.Errorf("stored\n%s\nwant\n%s", img.Data, tt.wantData)
			}
		})
	}
}

// A request that ends while the logo waits for the PDF engine is not the
// image's fault: no *Error, so no user error.
func TestValidateCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Validate(ctx, Logo, "image/png", pngOf(t, 64, 64))
	var be *Error
	if err == nil || errors.As(err, &be) {
		t.Fatalf("err = %v, want the context's error", err)
	}
}

// SVGs are served cleaned, those stored before cleaning existed included.
func TestDataURI(t *testing.T) {
	tests := []struct{ ct, data, want string }{
		{"image/png", "\x89PNG", "\x89PNG"},
		{"image/svg+xml", `<?xml-stylesheet href="x.css"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script><rect width="1" height="1" style="fill:#c00"/></svg>`,
			`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1" fill="#c00"/></svg>`},
		{"image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, ""},
	}
	for _, tt := range tests {
		got := DataURI(tt.ct, []byte(tt.data))
		if want := "data:" + tt.ct + ";base64," + base64.StdEncoding.EncodeToString([]byte(tt.want)); got != want {
			t.Errorf("DataURI(%s, %.40q) = %s, want %s", tt.ct, tt.data, got, want)
		}
	}
}
