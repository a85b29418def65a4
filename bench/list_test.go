package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// listedInvoices is the size of the database the list benchmark reads.
const listedInvoices = 1000

const invoiceListQuery = `query List($first: Int!) {
  invoices(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id number status currency dueDate createdAt
        total { amount currency }
        amountDue { amount }
        customer { id name email }
        lines { id position description quantity unitAmount amount { amount } }
      }
    }
  }
}`

type listResult struct {
	Invoices struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node struct {
				ID       string `json:"id"`
				Customer struct {
					ID string `json:"id"`
				} `json:"customer"`
				Lines []struct {
					ID string `json:"id"`
				} `json:"lines"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"invoices"`
}

// BenchmarkInvoiceList lists the 100 newest invoices with their lines and
// customer in one GraphQL query, on a database of 1,000 invoices of 10
// lines each (750 finalized, 250 drafts, across 10 customers) created
// through the API. One op is one query; sub-benchmarks run 1 client (pure
// latency) and 8 concurrent clients (throughput).
//
// Metrics: queries/s, p50_ms and p99_ms per query.
func BenchmarkInvoiceList(b *testing.B) {
	e := startAPI(b, 10)
	// The probe leaves one draft when lines can carry the tax rate.
	e.taxed, _ = e.probeTaxed()
	seeded := listedInvoices
	if e.taxed {
		seeded--
	}
	// Seed through the API, so the rows are exactly what it writes: every
	// fourth invoice stays a draft.
	seed := func(ctx context.Context, i int, steps *[2]time.Duration) error {
		if i%4 == 3 {
			var c struct {
				P invoicePayload `json:"invoiceCreate"`
			}
			if err := e.do(ctx, invoiceCreateMutation, e.createInput(i), &c); err != nil {
				return err
			}
			if len(c.P.UserErrors) > 0 {
				return fmt.Errorf("invoiceCreate: %+v", c.P.UserErrors)
			}
			return nil
		}
		return e.apiInvoice(ctx, i, steps)
	}
	if p := runPhase(clients, seeded, 0, seed); p.err != nil {
		b.Fatalf("seed: %v", p.err)
	}

	query := func(ctx context.Context, _ int, _ *[2]time.Duration) error {
		var res listResult
		if err := e.do(ctx, invoiceListQuery, map[string]any{"first": 100}, &res); err != nil {
			return err
		}
		if n := len(res.Invoices.Edges); n != 100 || res.Invoices.TotalCount != listedInvoices {
			return fmt.Errorf("listed %d of %d invoices", n, res.Invoices.TotalCount)
		}
		if l := len(res.Invoices.Edges[0].Node.Lines); l != linesPerInvoice {
			return fmt.Errorf("invoice has %d lines", l)
		}
		return nil
	}
	// Warm up: connections, query cache, SQLite page cache.
	if p := runPhase(clients, 4*clients, 0, query); p.err != nil {
		b.Fatal(p.err)
	}

	workers := []int{1, clients}
	summaries := make([]string, len(workers)) // of each sub-benchmark's final run
	for k, w := range workers {
		b.Run(fmt.Sprintf("first100_%dclients", w), func(b *testing.B) {
			cpu := startCPUMeter()
			b.ResetTimer()
			p := runPhase(w, b.N, 0, query)
			b.StopTimer()
			other := cpu.otherPct()
			if p.err != nil {
				b.Fatal(p.err)
			}
			b.ReportMetric(p.perSec(), "queries/s")
			b.ReportMetric(p.lat.pct(50), "p50_ms")
			b.ReportMetric(p.lat.pct(99), "p99_ms")
			b.ReportMetric(other, "other_cpu_pct")
			summaries[k] = fmt.Sprintf("%d client(s): %5.0f queries/s  p50 %6.2f ms  p99 %6.2f ms  (%d queries of 100 invoices x 10 lines, DB of %d invoices; other processes' CPU %.0f %%)",
				w, p.perSec(), p.lat.pct(50), p.lat.pct(99), b.N, listedInvoices, other)
		})
	}
	report(b, summaries...)
}
