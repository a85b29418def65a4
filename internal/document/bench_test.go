package document

import (
	"context"
	"syscall"
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
// that both see the same machine load, and reports each one's pages/s
// (wall clock) and what the XML and XMP add: overhead-% compares the
// process CPU time (user + system, garbage collection included) of the
// two kinds of renders, which other processes on a shared machine disturb
// far less than the wall clock; the bound is 15. One op is one
// render of each. Run with -cpu 1.
func BenchmarkFacturXOverhead(b *testing.B) {
	tuning.Apply()
	ctx := context.Background()
	plain, fx := sampleInvoice("fr"), facturXInvoice(b)
	for _, inv := range []Invoice{plain, fx} { // warm the renderer
		if _, err := Render(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
	var wall, cpu [2]time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, inv := range []Invoice{plain, fx} {
			t0, c0 := time.Now(), cpuTime(b)
			if _, err := Render(ctx, inv); err != nil {
				b.Fatal(err)
			}
			wall[i] += time.Since(t0)
			cpu[i] += cpuTime(b) - c0
		}
	}
	b.ReportMetric(float64(b.N)/wall[0].Seconds(), "plain-pages/s")
	b.ReportMetric(float64(b.N)/wall[1].Seconds(), "facturx-pages/s")
	b.ReportMetric(float64(cpu[0].Microseconds())/1000/float64(b.N), "plain-cpu-ms")
	b.ReportMetric(float64(cpu[1].Microseconds())/1000/float64(b.N), "facturx-cpu-ms")
	b.ReportMetric(100*(cpu[1].Seconds()/cpu[0].Seconds()-1), "overhead-%")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
