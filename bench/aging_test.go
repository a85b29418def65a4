package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/store"
)

// BenchmarkReceivablesAging reads the aging report of the list
// benchmark's data set (BENCH_LIST_INVOICES invoices, 100,000 by default;
// BENCH_LIST_DIALECT=postgres for PostgreSQL) through the real server:
// today's report (the open invoices, from the awaiting-payment partial
// index) and the report as of 30 days ago (from the history: invoices
// finalized by then and not settled before), and reports p50/p99 of each.
func BenchmarkReceivablesAging(b *testing.B) {
	n := envInt(b, "BENCH_LIST_INVOICES", scaleInvoicesDefault, 1000)
	nc := envInt(b, "BENCH_LIST_CUSTOMERS", scaleCustomersDefault, 2)
	d := benchDialect(b, "BENCH_LIST_DIALECT")
	name := fmt.Sprintf("list-%s-i%d-c%d-s%d", dialectName(d), n, nc, seedVersion)
	s := openSeeded(b, d, name, store.Config{}, func(st *store.Store) map[string]string { return seedScale(b, st, n, nc) })
	api := scaleAPI(b, s)
	const query = `query($at: Time) { receivablesAging(input: {asOf: $at}) { currencies { currency totals { total { minorUnits } } } userErrors { code } } }`
	past := time.Now().UTC().AddDate(0, 0, -30)
	for _, c := range []struct {
		name string
		vars map[string]any
	}{{"now", map[string]any{"at": nil}}, {"asof-30d", map[string]any{"at": past}}} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				var data struct {
					ReceivablesAging struct {
						Currencies []struct{ Currency string }
						UserErrors []struct{ Code string }
					}
				}
				api.mustDo(query, c.vars, &data)
				lat = append(lat, time.Since(start))
				if len(data.ReceivablesAging.Currencies) == 0 || len(data.ReceivablesAging.UserErrors) > 0 {
					b.Fatalf("no report: %+v", data)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		})
	}
}
