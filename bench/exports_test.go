package bench

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/store"
)

// BenchmarkExportInvoices downloads /exports/invoices.csv of the list
// benchmark's data set (BENCH_LIST_INVOICES invoices, 100,000 by default;
// BENCH_LIST_DIALECT=postgres for PostgreSQL) through the real server,
// reading it line by line, and reports rows per second, and the peak heap
// in use and the peak resident set size of the process while it streams
// (sampled every 50 ms; the server runs in this process, so its RSS is the
// server's plus the client's, whose reading is constant): both must stay
// flat whatever the size. rss_growth_MB is the peak less the RSS before
// the request.
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
		var peak, peakRSS uint64
		baseRSS := residentSet(b)
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
				peakRSS = max(peakRSS, residentSet(b))
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
		b.ReportMetric(float64(peakRSS)/(1<<20), "peak_rss_MB")
		b.ReportMetric((float64(peakRSS)-float64(baseRSS))/(1<<20), "rss_growth_MB")
	}
}

// residentSet is this process's resident set size in bytes (VmRSS of
// /proc/self/status; 0 where there is none).
func residentSet(b *testing.B) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	return 0
}
