package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

const (
	// scaleInvoicesDefault keeps `make bench` to a minute or so; set
	// BENCH_LIST_INVOICES=1000000 for the million-invoice figures.
	scaleInvoicesDefault = 100_000
	// scaleCustomers is how many customers the invoices spread over.
	scaleCustomers = 100
	// scaleSpan is how far back the invoices' creation dates go: they are
	// spread evenly over two years, so a bigger table is a busier account,
	// not a longer history.
	scaleSpan = 2 * 365 * 24 * time.Hour
)

// scaleListQuery is the merchant list the dashboard shows: a page of 50
// with lines and customer, in the default order (newest first). Each edge's
// cursor is what the next page starts after. It asks for no pageInfo:
// entgql answers pageInfo with a COUNT of every matching invoice (see
// scaleListPageInfoQuery), which the indexes cannot make flat.
const scaleListQuery = `query List($filter: InvoiceFilter) {
  invoices(first: 50, filter: $filter) {
    edges {
      cursor
      node {
        id number status currency dueDate createdAt
        total { amount currency }
        customer { id name email }
        lines { id description amount { amount } }
      }
    }
  }
}`

// scaleListPageInfoQuery is scaleListQuery with pageInfo, measured apart.
var scaleListPageInfoQuery = strings.Replace(scaleListQuery, "    edges {", "    pageInfo { hasNextPage endCursor }\n    edges {", 1)

type scaleListResult struct {
	Invoices struct {
		Edges []struct {
			Node scaleNode `json:"node"`
		} `json:"edges"`
	} `json:"invoices"`
}

type scaleNode struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Currency string `json:"currency"`
	Customer struct {
		ID string `json:"id"`
	} `json:"customer"`
	Lines []struct {
		ID string `json:"id"`
	} `json:"lines"`
}

// BenchmarkInvoiceListScale lists a page of 50 invoices with lines and
// customer under the merchant list's filters on a large table: N invoices
// (BENCH_LIST_INVOICES, default 100,000) of 2 lines each over 100
// customers, created over two years. Old invoices are mostly paid (1 in 40
// still open, hence past due, 1 in 100 uncollectible, some void), the last
// 45 days' mostly open and not yet due, a tenth of them in USD, a twentieth
// drafts. The rows are written through ent before the timer starts, then
// statistics are gathered the way the server does (store.Optimize).
//
// Each sub-benchmark is one filter, one client, one op per query; it
// prints p50/p99 and SQLite's plan of the invoice page query, and fails
// when the plan sorts the whole result in a temporary B-tree or scans the
// table: what makes a list grow with the table.
//
//	go test -run '^$' -bench InvoiceListScale -benchtime 300x ./bench
//	BENCH_LIST_INVOICES=1000000 go test -run '^$' -bench InvoiceListScale -benchtime 300x -timeout 60m ./bench
func BenchmarkInvoiceListScale(b *testing.B) {
	n := scaleInvoicesDefault
	if v := os.Getenv("BENCH_LIST_INVOICES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("BENCH_LIST_INVOICES=%q: want a number ≥ 1000", v)
		}
	}
	var (
		mu      sync.Mutex
		queries []string
	)
	ctx := context.Background()
	// BENCH_LIST_DIALECT=postgres runs it on a fresh schema of the test
	// server (storetest.ServerURL), without plans.
	cfg := store.Config{DataDir: b.TempDir()}
	if os.Getenv("BENCH_LIST_DIALECT") == dialect.Postgres {
		cfg = storetest.Fresh(b, dialect.Postgres)
	}
	cfg.OnQuery = func(_ context.Context, q string) {
		// The page query: the one whose plan decides how the list scales.
		if strings.Contains(q, "FROM `invoices`") && strings.Contains(q, "LIMIT") {
			mu.Lock()
			queries = append(queries, q)
			mu.Unlock()
		}
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	api := startAPIOn(b, st, scaleCustomers)

	seedStart := time.Now()
	counts := seedScaleInvoices(b, st, api.customers, n)
	seeded := time.Since(seedStart)
	optStart := time.Now()
	// What the server's periodic job runs; without statistics SQLite's
	// planner guesses, and guesses the status/due-date index for pastDue.
	if err := st.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	if st.Dialect == dialect.Postgres {
		// What the README asks after a bulk load; autovacuum would get
		// there later.
		if _, err := st.DB.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	optimized := time.Since(optStart)
	report(b, fmt.Sprintf("%d invoices seeded in %s (%d past due, %d USD, %d open, %d drafts); statistics in %s",
		n, seeded.Round(time.Millisecond), counts.pastDue, counts.usd, counts.open, counts.drafts, optimized.Round(time.Millisecond)))

	pastDue := func(n scaleNode) bool { return n.Status == "OPEN" || n.Status == "UNCOLLECTIBLE" }
	cus := api.customers[0]
	cases := []struct {
		name   string
		query  string
		filter map[string]any
		check  func(scaleNode) bool
	}{
		{"default", scaleListQuery, nil, func(scaleNode) bool { return true }},
		{"pastDue", scaleListQuery, map[string]any{"pastDue": true}, pastDue},
		{"statusOpen", scaleListQuery, map[string]any{"status": []string{"OPEN"}}, func(n scaleNode) bool { return n.Status == "OPEN" }},
		{"currencyUSD", scaleListQuery, map[string]any{"currency": "usd"}, func(n scaleNode) bool { return n.Currency == "USD" }},
		{"customer", scaleListQuery, map[string]any{"customer": cus}, func(n scaleNode) bool { return n.Customer.ID == cus }},
		// The same page with pageInfo: the COUNT entgql adds for it.
		{"pastDue_pageInfo", scaleListPageInfoQuery, map[string]any{"pastDue": true}, pastDue},
	}
	var slow []string
	for _, c := range cases {
		vars := map[string]any{"filter": c.filter}
		query := func() error {
			var res scaleListResult
			if err := api.do(ctx, c.query, vars, &res); err != nil {
				return err
			}
			if len(res.Invoices.Edges) != 50 {
				return fmt.Errorf("listed %d invoices, want 50", len(res.Invoices.Edges))
			}
			for _, e := range res.Invoices.Edges {
				if !c.check(e.Node) || e.Node.Customer.ID == "" || len(e.Node.Lines) != 2 {
					return fmt.Errorf("unexpected invoice %+v", e.Node)
				}
			}
			return nil
		}
		mu.Lock()
		queries = queries[:0]
		mu.Unlock()
		// Warm-up: connections, statement cache, page cache.
		for range 20 {
			if err := query(); err != nil {
				b.Fatal(err)
			}
		}
		mu.Lock()
		plan, whole := scalePlans(b, st, queries)
		mu.Unlock()
		if whole != "" {
			slow = append(slow, fmt.Sprintf("%s (%s)", c.name, whole))
		}
		// A bad plan fails the run after every case has been timed (below),
		// so the figures of a failing run are still reported.
		b.Run(c.name, func(b *testing.B) {
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := query(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			b.ReportMetric(lat.pct(50), "p50_ms")
			b.ReportMetric(lat.pct(99), "p99_ms")
			report(b, fmt.Sprintf("p50 %.2f ms, p99 %.2f ms (goal p99 ≤ 20 ms), n=%d, %d invoices", lat.pct(50), lat.pct(99), b.N, n), plan)
		})
	}
	if len(slow) > 0 {
		b.Errorf("page queries whose plan reads the whole result before returning a page, so they grow with the table: %s", strings.Join(slow, ", "))
	}
}

// scaleCounts is what seedScaleInvoices wrote, for the report.
type scaleCounts struct{ pastDue, usd, open, drafts int }

// seedScaleInvoices writes n invoices of 2 lines each straight through ent,
// in transactions of 2,000, acting for the account's test mode.
func seedScaleInvoices(b *testing.B, st *store.Store, customers []string, n int) scaleCounts {
	b.Helper()
	ctx := clock.WithContext(context.Background(), clock.Real{})
	acct, err := st.Client.Account.Query().Only(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		b.Fatal(err)
	}
	ctx = viewer.NewContext(ctx, viewer.Viewer{AccountID: acct.ID, Mode: viewer.Test, Actor: "bench"})
	const batch = 2000
	now := time.Now().UTC()
	base := now.Add(-scaleSpan)
	step := scaleSpan / time.Duration(n)
	var counts scaleCounts
	for lo := 0; lo < n; lo += batch {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			invs := make([]*ent.InvoiceCreate, 0, batch)
			for i := lo; i < min(lo+batch, n); i++ {
				at := base.Add(time.Duration(i) * step)
				currency := "EUR"
				if i%10 == 7 {
					currency = "USD"
					counts.usd++
				}
				c := tx.Invoice.Create().
					SetCustomerID(customers[i%len(customers)]).SetCurrency(currency).
					SetCreatedAt(at).SetUpdatedAt(at).
					SetSubtotal(12000).SetTotalExcludingTax(12000).SetTotalTax(2400).SetTotal(14400).SetAmountDue(14400)
				recent := now.Sub(at) < 45*24*time.Hour
				var status invoice.Status
				switch {
				case i%20 == 3:
					c.SetStatus(invoice.StatusDraft)
					counts.drafts++
					invs = append(invs, c)
					continue
				case recent && i%5 != 0, i%40 == 1:
					status = invoice.StatusOpen
					counts.open++
				case i%100 == 2:
					status = invoice.StatusUncollectible
					c.SetMarkedUncollectibleAt(at.AddDate(0, 0, 60))
				case i%50 == 5:
					status = invoice.StatusVoid
					c.SetVoidedAt(at.Add(time.Hour))
				default:
					status = invoice.StatusPaid
					c.SetAmountPaid(14400).SetPaidAt(at.Add(24 * time.Hour))
				}
				due := at.AddDate(0, 0, 30)
				if (status == invoice.StatusOpen || status == invoice.StatusUncollectible) && due.Before(now) {
					counts.pastDue++
				}
				c.SetStatus(status).SetNumber(fmt.Sprintf("LS-%07d", i)).SetFinalizedAt(at).SetDueDate(due)
				invs = append(invs, c)
			}
			// Statements of 250 rows stay under SQLite's bound-variable cap.
			var saved []*ent.Invoice
			for chunk := range slices.Chunk(invs, 250) {
				s, err := tx.Invoice.CreateBulk(chunk...).Save(ctx)
				if err != nil {
					return err
				}
				saved = append(saved, s...)
			}
			lines := make([]*ent.InvoiceLineCreate, 0, 2*len(saved))
			for _, inv := range saved {
				lines = append(lines,
					tx.InvoiceLine.Create().SetInvoiceID(inv.ID).SetCurrency(inv.Currency).SetPosition(0).
						SetDescription("Subscription").SetQuantity("1").SetUnitAmount("100.00").SetAmount(10000),
					tx.InvoiceLine.Create().SetInvoiceID(inv.ID).SetCurrency(inv.Currency).SetPosition(1).
						SetDescription("Support").SetQuantity("2").SetUnitAmount("10.00").SetAmount(2000),
				)
			}
			for chunk := range slices.Chunk(lines, 500) {
				if err := tx.InvoiceLine.CreateBulk(chunk...).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed invoices: %v", err)
		}
	}
	return counts
}

// scalePlans returns SQLite's plan of each distinct invoice page query, and
// the first plan step that makes the query read its whole result: a sort
// of everything that matched (a temporary B-tree for the ORDER BY, as
// opposed to one for its right part, which only orders rows sharing a
// creation instant) or a scan of the table.
func scalePlans(b *testing.B, st *store.Store, queries []string) (plan, whole string) {
	b.Helper()
	seen := map[string]bool{}
	var out []string
	for _, q := range queries {
		if seen[q] {
			continue
		}
		seen[q] = true
		// The plan does not depend on the values: bind NULLs.
		rows, err := st.DB.Query("EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			b.Fatalf("explain: %v\n%s", err, q)
		}
		var steps []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				b.Fatal(err)
			}
			steps = append(steps, detail)
			if whole == "" && (detail == "USE TEMP B-TREE FOR ORDER BY" || detail == "SCAN invoices") {
				whole = detail
			}
		}
		rows.Close()
		out = append(out, "plan: "+strings.Join(steps, " | ")+"\n  for: "+q)
	}
	return strings.Join(out, "\n"), whole
}
