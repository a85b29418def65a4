package document

import (
	"context"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/tuning"
)

// BenchmarkRenderOnePage renders the one-page sample invoice, without and
// with branding (a 600×200 PNG logo with a transparent background,
// colours), and as a Factur-X e-invoice (the plain one with a 65 kB CII
// embedded, testdata/factur-x-en16931.xml: larger than Remit's, so an
// upper bound of the cost of the XML and XMP). Run with -cpu 1 for the
// per-core figure; pages/s is reported. The runtime is set up as the
// server sets it (internal/tuning).
func BenchmarkRenderOnePage(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchmarkOnePage(b, sampleInvoice("fr")) })
	b.Run("facturx", func(b *testing.B) { benchmarkOnePage(b, facturXInvoice(b)) })
	b.Run("branded", func(b *testing.B) {
		inv := sampleInvoice("fr")
		inv.Branding = Branding{Logo: alphaLogo(b), LogoMIME: "image/png", BrandColor: "#2e7d32", AccentColor: "#f4c542"}
		benchmarkOnePage(b, inv)
	})
}

func benchmarkOnePage(b *testing.B, inv Invoice) {
	tuning.Apply()
	ctx := context.Background()
	if _, err := Render(ctx, inv); err != nil { // warm the renderer
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Render(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
}

// BenchmarkRender250Lines renders a 250-line invoice (8 A4 pages); ms/op
// is reported.
func BenchmarkRender250Lines(b *testing.B) {
	tuning.Apply()
	ctx := context.Background()
	inv := longInvoice("fr", 250)
	if _, err := Render(ctx, inv); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Render(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/op")
}
