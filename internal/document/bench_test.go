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

// BenchmarkFacturXOverhead renders the one-page sample invoice plain and
// as a Factur-X e-invoice (65 kB of CII) alternately in the same loop, so
// that both see the same machine load, and reports each one's pages/s and
// what the XML and XMP add (overhead-%, the bound is 15). One op
// is one render of each.
func BenchmarkFacturXOverhead(b *testing.B) {
	tuning.Apply()
	ctx := context.Background()
	plain, fx := sampleInvoice("fr"), facturXInvoice(b)
	for _, inv := range []Invoice{plain, fx} { // warm the renderer
		if _, err := Render(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
	var tPlain, tFX time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := Render(ctx, plain); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := Render(ctx, fx); err != nil {
			b.Fatal(err)
		}
		tPlain, tFX = tPlain+mid.Sub(start), tFX+time.Since(mid)
	}
	b.ReportMetric(float64(b.N)/tPlain.Seconds(), "plain-pages/s")
	b.ReportMetric(float64(b.N)/tFX.Seconds(), "facturx-pages/s")
	b.ReportMetric(100*(tFX.Seconds()/tPlain.Seconds()-1), "overhead-%")
}
