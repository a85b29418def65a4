package bench

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkInvoicePDFDownload downloads an issued invoice's PDF (a
// Factur-X PDF/A-3 with its CII) through the API, GET
// /invoices/{id}/pdf, one client on SQLite. "render" downloads each
// invoice once: the first download after an invoice changed renders the
// PDF and stores it (what every download cost before issued PDFs were
// stored). "stored" downloads them again: the stored bytes. It reports
// p50/p99 of each.
func BenchmarkInvoicePDFDownload(b *testing.B) {
	api := startAPI(b, 4)
	base := strings.TrimSuffix(api.url, "/graphql")
	issue := func(b *testing.B, n int) []string {
		ctx := b.Context()
		ids := make([]string, n)
		for i := range ids {
			var c struct {
				P invoicePayload `json:"invoiceCreate"`
			}
			lines := make([]any, 10)
			for j := range lines {
				lines[j] = map[string]any{"description": fmt.Sprintf("Line %d", j+1), "quantity": "2", "unitAmount": "19.90", "taxRates": []any{api.taxRate}}
			}
			if err := api.do(ctx, invoiceCreateMutation, map[string]any{"in": map[string]any{"customer": api.customers[i%len(api.customers)], "lines": lines}}, &c); err != nil || c.P.Invoice == nil {
				b.Fatalf("invoiceCreate: %v %+v", err, c.P.UserErrors)
			}
			var f struct {
				P invoicePayload `json:"invoiceFinalize"`
			}
			if err := api.do(ctx, invoiceFinalizeMutation, map[string]any{"in": map[string]any{"id": c.P.Invoice.ID, "send": false}}, &f); err != nil || len(f.P.UserErrors) > 0 {
				b.Fatalf("invoiceFinalize: %v %+v", err, f.P.UserErrors)
			}
			ids[i] = c.P.Invoice.ID
		}
		return ids
	}
	download := func(b *testing.B, id string) time.Duration {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodGet, base+"/invoices/"+id+"/pdf", nil)
		req.Header.Set("Authorization", "Bearer "+api.key)
		res, err := api.http.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "%PDF") {
			b.Fatalf("GET pdf: %d %.80q", res.StatusCode, body)
		}
		return time.Since(start)
	}
	var ids []string
	for _, side := range []string{"render", "stored"} {
		b.Run(side, func(b *testing.B) {
			if side == "render" {
				b.StopTimer()
				ids = issue(b, b.N)
				b.StartTimer()
			}
			var lat latencies
			for i := range b.N {
				lat = append(lat, download(b, ids[i%len(ids)]))
			}
			b.ReportMetric(lat.pct(50), "p50_ms")
			b.ReportMetric(lat.pct(99), "p99_ms")
		})
	}
}
