package bench

import (
	"bufio"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/store"
)

// BenchmarkExportInvoices downloads /exports/invoices.csv of the list
// benchmark's data set (BENCH_LIST_INVOICES invoices, 100,000 by default;
// BENCH_LIST_DIALECT=postgres for PostgreSQL) through the real server,
// reading it line by line, and reports rows per second and the peak heap
// in use while it streams (sampled every 50 ms: flat whatever the size).
func BenchmarkExportInvoices(b *testing.B) {
	n := envInt(b, "BENCH_LIST_INVOICES", scaleInvoicesDefault, 1000)
	nc := envInt(b, "BENCH_LIST_CUSTOMERS", scaleCustomersDefault, 2)
	d := benchDialect(b, "BENCH_LIST_DIALECT")
	name := fmt.Sprintf("list-%s-i%d-c%d-s%d", dialectName(d), n, nc, seedVersion)
	s := openSeeded(b, d, name, store.Config{}, func(st *store.Store) map[string]string { return seedScale(b, st, n, nc) })
	api := scaleAPI(b, s)
	url := strings.TrimSuffix(api.url, "/graphql") + "/exports/invoices.csv"
	b.ResetTimer()
	for range b.N {
		var peak uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var ms runtime.MemStats
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		start := time.Now()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+api.key)
		res, err := api.http.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		rows := -1 // the header
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			rows++
		}
		res.Body.Close()
		elapsed := time.Since(start)
		close(stop)
		<-done
		if rows != n {
			b.Fatalf("%d rows, want %d", rows, n)
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
	}
}
