package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/viewer"
)

const (
	// scaleInvoicesDefault keeps `make bench` short once the data set is
	// cached (seeding it the first time takes ≈ 15 s); set
	// BENCH_LIST_INVOICES=1000000 for the million-invoice figures.
	scaleInvoicesDefault = 100_000
	// scaleCustomersDefault is how many customers the invoices spread over
	// unless BENCH_LIST_CUSTOMERS says otherwise (e.g. 100000).
	scaleCustomersDefault = 100
	// scaleSpan is how far back the invoices' creation dates go: they are
	// spread evenly over two years, so a bigger table is a busier account,
	// not a longer history.
	scaleSpan = 2 * 365 * 24 * time.Hour
	// scaleBigEvery: every this-many-th invoice is the big customer's (5 %);
	// the others spread evenly over the rest.
	scaleBigEvery = 20
	// seedVersion changes whenever the seed writes different rows, so
	// cached data sets of an older seed are not reused.
	seedVersion = 3
)

// scaleListQuery is the merchant list the dashboard shows: a page of 50
// with lines and customer. Each edge's cursor is what the next page starts
// after. It asks for no pageInfo and no totalCount (see the pageInfo and
// totalCount cases).
const scaleListQuery = `query List($after: Cursor, $filter: InvoiceFilter, $orderBy: InvoiceOrder) {
  invoices(first: 50, after: $after, filter: $filter, orderBy: $orderBy) {
    %s
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

type scaleListResult struct {
	Invoices struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
		Edges []struct {
			Cursor string    `json:"cursor"`
			Node   scaleNode `json:"node"`
		} `json:"edges"`
	} `json:"invoices"`
}

type scaleNode struct {
	ID        string     `json:"id"`
	Number    *string    `json:"number"`
	Status    string     `json:"status"`
	Currency  string     `json:"currency"`
	DueDate   *time.Time `json:"dueDate"`
	CreatedAt time.Time  `json:"createdAt"`
	Total     struct {
		Amount string `json:"amount"`
	} `json:"total"`
	Customer struct {
		ID string `json:"id"`
	} `json:"customer"`
	Lines []struct {
		ID string `json:"id"`
	} `json:"lines"`
}

// scaleOrder is one ordering of the list.
type scaleOrder struct {
	name  string
	field string // "" is the default order (newest first)
	desc  bool
}

var scaleOrders = []scaleOrder{
	{"default", "", true},
	{"createdAsc", "CREATED_AT", false},
	{"numberAsc", "NUMBER", false},
	{"numberDesc", "NUMBER", true},
	{"statusAsc", "STATUS", false},
	{"statusDesc", "STATUS", true},
	{"dueAsc", "DUE_DATE", false},
	{"dueDesc", "DUE_DATE", true},
	{"totalAsc", "TOTAL", false},
	{"totalDesc", "TOTAL", true},
}

func (o scaleOrder) vars() any {
	if o.field == "" {
		return nil
	}
	dir := "ASC"
	if o.desc {
		dir = "DESC"
	}
	return map[string]any{"field": o.field, "direction": dir}
}

// key returns the node's value under the ordering, for checking the order
// of a page; nil for NULL.
func (o scaleOrder) key(n scaleNode) any {
	switch o.field {
	case "", "CREATED_AT":
		return n.CreatedAt.UnixNano()
	case "NUMBER":
		if n.Number == nil {
			return nil
		}
		return *n.Number
	case "STATUS":
		return n.Status
	case "DUE_DATE":
		if n.DueDate == nil {
			return nil
		}
		return n.DueDate.UnixNano()
	case "TOTAL":
		f, _ := strconv.ParseFloat(n.Total.Amount, 64)
		return f
	}
	return nil
}

// scaleFilter is one filter of the list.
type scaleFilter struct {
	name   string
	filter map[string]any
	// check tells whether an invoice passes the filter, for a query sent
	// at sent and answered at got (past due depends on when the server
	// looked).
	check func(n scaleNode, sent, got time.Time) bool
	// middle starts the page after the cursor of the invoice in the middle
	// of the table (under the ordering): a page deep in the list.
	middle bool
	// selection adds pageInfo or totalCount to the query.
	selection string
}

// BenchmarkInvoiceListScale lists a page of 50 invoices with lines and
// customer under every filter of the merchant list and every ordering, on a
// large table: N invoices (BENCH_LIST_INVOICES, default 100,000) of 2 lines
// each over C customers (BENCH_LIST_CUSTOMERS, default 100; one of them has
// 5 % of the invoices), created over two years. Old invoices are mostly
// paid (1 in 40 still open, hence past due, 1 in 100 uncollectible, 1 in 50
// void), the last 45 days' mostly open and not yet due, a tenth in USD, a
// twentieth drafts (no number, no due date). The data set is seeded once
// and cached (seedcache_test.go).
//
// One sub-benchmark per ordering; one op is one page under each filter in
// turn, with p50/p99 per filter. Before timing, each query runs once with
// totalCount (the page size to expect) and its page statement is EXPLAINed
// with the arguments the server bound (SQLite's EXPLAIN QUERY PLAN,
// PostgreSQL's EXPLAIN): the run fails when a plan sorts every matching row
// or scans the table, what makes a page grow with the table.
//
//	go test -run '^$' -bench InvoiceListScale -benchtime 100x ./bench
//	BENCH_LIST_INVOICES=1000000 go test -run '^$' -bench InvoiceListScale -benchtime 100x -timeout 60m ./bench
//	BENCH_LIST_DIALECT=postgres …   # on the test PostgreSQL server
func BenchmarkInvoiceListScale(b *testing.B) {
	n := envInt(b, "BENCH_LIST_INVOICES", scaleInvoicesDefault, 1000)
	nc := envInt(b, "BENCH_LIST_CUSTOMERS", scaleCustomersDefault, 2)
	d := benchDialect(b, "BENCH_LIST_DIALECT")
	trap := &statementTrap{}
	name := fmt.Sprintf("list-%s-i%d-c%d-s%d", dialectName(d), n, nc, seedVersion)
	s := openSeeded(b, d, name, store.Config{OnStatement: trap.observe}, func(st *store.Store) map[string]string {
		return seedScale(b, st, n, nc)
	})
	api := scaleAPI(b, s)
	ctx := context.Background()
	m := s.meta
	report(b, fmt.Sprintf("%d invoices, %d customers on %s, seeded %s ago in %s s (%s past due, %s USD, %s open, %s drafts)",
		n, nc, dialectName(d), time.Since(s.seededAt).Round(time.Minute), m["seed_seconds"], m["past_due"], m["usd"], m["open"], m["drafts"]))

	now := time.Now().UTC()
	created0, created1 := now.Add(-400*24*time.Hour), now.Add(-370*24*time.Hour)
	due0, due1 := now.Add(-200*24*time.Hour), now.Add(-170*24*time.Hour)
	big, small := m["customer_big"], m["customer_small"]
	awaiting := func(n scaleNode) bool { return n.Status == "OPEN" || n.Status == "UNCOLLECTIBLE" }
	// Past due when the server looked, which was between sent and got.
	pastDue := func(n scaleNode, _, got time.Time) bool {
		return awaiting(n) && n.DueDate != nil && n.DueDate.Before(got)
	}
	notPastDue := func(n scaleNode, sent, _ time.Time) bool {
		return !awaiting(n) || n.DueDate == nil || !n.DueDate.Before(sent)
	}
	is := func(f func(scaleNode) bool) func(scaleNode, time.Time, time.Time) bool {
		return func(n scaleNode, _, _ time.Time) bool { return f(n) }
	}
	always := is(func(scaleNode) bool { return true })
	filters := []scaleFilter{
		{name: "all", check: always},
		{name: "statusOpen", filter: map[string]any{"status": []string{"OPEN"}}, check: is(func(n scaleNode) bool { return n.Status == "OPEN" })},
		{name: "statusPaidVoid", filter: map[string]any{"status": []string{"PAID", "VOID"}}, check: is(func(n scaleNode) bool { return n.Status == "PAID" || n.Status == "VOID" })},
		{name: "customerBig", filter: map[string]any{"customer": big}, check: is(func(n scaleNode) bool { return n.Customer.ID == big })},
		{name: "customerSmall", filter: map[string]any{"customer": small}, check: is(func(n scaleNode) bool { return n.Customer.ID == small })},
		{name: "currencyUSD", filter: map[string]any{"currency": "usd"}, check: is(func(n scaleNode) bool { return n.Currency == "USD" })},
		{name: "number", filter: map[string]any{"number": m["number_mid"]}, check: is(func(n scaleNode) bool { return n.Number != nil && *n.Number == m["number_mid"] })},
		{name: "createdRange", filter: map[string]any{"createdAfter": created0, "createdBefore": created1},
			check: is(func(n scaleNode) bool { return !n.CreatedAt.Before(created0) && n.CreatedAt.Before(created1) })},
		{name: "dueRange", filter: map[string]any{"dueAfter": due0, "dueBefore": due1},
			check: is(func(n scaleNode) bool { return n.DueDate != nil && !n.DueDate.Before(due0) && n.DueDate.Before(due1) })},
		{name: "pastDue", filter: map[string]any{"pastDue": true}, check: pastDue},
		{name: "notPastDue", filter: map[string]any{"pastDue": false}, check: notPastDue},
		{name: "afterMiddle", middle: true, check: always},
		{name: "pageInfo", selection: "pageInfo { hasNextPage endCursor }", check: always},
		{name: "pastDue_pageInfo", selection: "pageInfo { hasNextPage endCursor }", filter: map[string]any{"pastDue": true}, check: pastDue},
	}
	if os.Getenv("BENCH_LIST_TOTALCOUNT") != "" {
		// totalCount counts every matching invoice: it grows with the
		// table by definition, so it is measured only when asked for.
		filters = append(filters,
			scaleFilter{name: "totalCount", selection: "totalCount", check: always},
			scaleFilter{name: "pastDue_totalCount", selection: "totalCount", filter: map[string]any{"pastDue": true}, check: pastDue})
	}
	if only := os.Getenv("BENCH_LIST_FILTERS"); only != "" {
		filters = slices.DeleteFunc(filters, func(f scaleFilter) bool { return !slices.Contains(strings.Split(only, ","), f.name) })
	}

	// The invoice whose cursor starts the afterMiddle pages: in the middle
	// of the table, and of the totals' range, numbered.
	middle := n / 2
	for middle%20 == 3 || (middle*7919)%500000 < 200000 || (middle*7919)%500000 > 300000 {
		middle++
	}
	middleNumber := fmt.Sprintf("LS-%07d", middle)

	var bad, crossed []string
	summary := map[string]map[string][2]float64{} // order → filter → p50, p99
	for _, o := range scaleOrders {
		if only := os.Getenv("BENCH_LIST_ORDERS"); only != "" && !slices.Contains(strings.Split(only, ","), o.name) {
			continue
		}
		type prepared struct {
			f     scaleFilter
			query string
			vars  map[string]any
			want  int
		}
		var cases []prepared
		var plans []string
		for _, f := range filters {
			vars := map[string]any{"filter": f.filter, "orderBy": o.vars()}
			if f.middle {
				cursor, err := cursorOf(ctx, api, middleNumber, o)
				if err != nil {
					b.Fatal(err)
				}
				vars["after"] = cursor
			}
			// The page size to expect: min(50, every match).
			var res scaleListResult
			if err := api.do(ctx, fmt.Sprintf(scaleListQuery, "totalCount"), vars, &res); err != nil {
				b.Fatal(err)
			}
			want := min(50, res.Invoices.TotalCount)
			if want == 0 {
				b.Fatalf("%s/%s: nothing matches", o.name, f.name)
			}
			c := prepared{f: f, query: fmt.Sprintf(scaleListQuery, f.selection), vars: vars, want: want}
			stmts, err := trap.during("invoices", func() error { return scaleQuery(ctx, api, o, c.f, c.query, c.vars, c.want) })
			if err != nil {
				// Reported with the plans' verdicts; the others still run.
				bad = append(bad, fmt.Sprintf("%s/%s: %v", o.name, f.name, err))
				continue
			}
			cases = append(cases, c)
			cross := twoRanges(o, f)
			for _, s := range dedupe(stmts) {
				plan, verdict, err := explain(ctx, api.st, s, planRules{table: "invoices"})
				if err != nil {
					b.Fatal(err)
				}
				mark := "ok"
				switch {
				case verdict != "" && cross:
					mark = "two ranges: " + verdict
					crossed = append(crossed, fmt.Sprintf("%s/%s (%s)", o.name, f.name, verdict))
				case verdict != "":
					mark = "BAD: " + verdict
					bad = append(bad, fmt.Sprintf("%s/%s (%s)", o.name, f.name, verdict))
				}
				plans = append(plans, fmt.Sprintf("%s/%s plan (%s):\n  %s\n  for: %s", o.name, f.name, mark, strings.Join(plan, "\n  "), s.query))
			}
		}
		// Warm-up: connections, statement cache, page cache.
		for range 3 {
			for _, c := range cases {
				if err := scaleQuery(ctx, api, o, c.f, c.query, c.vars, c.want); err != nil {
					b.Fatalf("%s/%s: %v", o.name, c.f.name, err)
				}
			}
		}
		printed := false
		b.Run(o.name, func(b *testing.B) {
			lat := make([]latencies, len(cases))
			cpu := startCPUMeter()
			b.ResetTimer()
			for range b.N {
				for i, c := range cases {
					t0 := time.Now()
					if err := scaleQuery(ctx, api, o, c.f, c.query, c.vars, c.want); err != nil {
						b.Fatalf("%s: %v", c.f.name, err)
					}
					lat[i] = append(lat[i], time.Since(t0))
				}
			}
			b.StopTimer()
			other := cpu.otherPct()
			var lines []string
			worst := 0.0
			row := map[string][2]float64{}
			for i, c := range cases {
				p50, p99 := lat[i].pct(50), lat[i].pct(99)
				row[c.f.name] = [2]float64{p50, p99}
				if !twoRanges(o, c.f) {
					worst = max(worst, p99)
				}
				b.ReportMetric(p99, c.f.name+"_p99_ms")
				lines = append(lines, fmt.Sprintf("%-18s p50 %6.2f ms  p99 %6.2f ms", c.f.name, p50, p99))
			}
			summary[o.name] = row
			b.ReportMetric(worst, "worst_p99_ms")
			b.ReportMetric(other, "other_cpu_pct")
			report(b, fmt.Sprintf("%d invoices, %d customers, %s, n=%d per filter, other processes %.0f %% CPU (goal p99 ≤ 20 ms):\n  %s",
				n, nc, dialectName(d), b.N, other, strings.Join(lines, "\n  ")))
			if os.Getenv("BENCH_LIST_PLANS") != "off" && !printed {
				printed = true
				report(b, plans...)
			}
		})
	}
	printScaleSummary(b, n, nc, d, filters, summary)
	if len(crossed) > 0 {
		report(b, "a range on one column listed in the order of another (not flat: neither index holds both; see twoRanges):\n  "+strings.Join(crossed, "\n  "))
	}
	if len(bad) > 0 {
		b.Errorf("page queries whose plan reads every match or the table before returning a page, so they grow with the table, or that failed:\n  %s", strings.Join(bad, "\n  "))
	}
}

// twoRanges reports whether filter f is a range of creation or due dates
// and o orders by another column. No index of the list answers both: the
// database either reads the range and sorts it (its size grows with the
// table's for a range of given length) or reads the list's index in order,
// rejecting what is outside the range (as far into the index as the range
// lies). The run reports such plans but does not fail on them.
func twoRanges(o scaleOrder, f scaleFilter) bool {
	switch f.name {
	case "createdRange":
		return o.field != "" && o.field != "CREATED_AT"
	case "dueRange":
		return o.field != "DUE_DATE"
	}
	return false
}

// scaleQuery runs one page and checks it: size, filter, lines, order.
func scaleQuery(ctx context.Context, api *apiEnv, o scaleOrder, f scaleFilter, query string, vars map[string]any, want int) error {
	var res scaleListResult
	sent := time.Now()
	if err := api.do(ctx, query, vars, &res); err != nil {
		return err
	}
	got := time.Now()
	edges := res.Invoices.Edges
	if len(edges) != want {
		return fmt.Errorf("listed %d invoices, want %d", len(edges), want)
	}
	if strings.Contains(f.selection, "pageInfo") && res.Invoices.PageInfo.HasNextPage != (want == 50) {
		// Every filter here matches more than a page, but the number.
		return fmt.Errorf("hasNextPage = %v", res.Invoices.PageInfo.HasNextPage)
	}
	// Values in order; NULLs together at one end (where depends on the
	// database).
	var prev any
	runs, wasNull := 0, false
	for i, e := range edges {
		if !f.check(e.Node, sent, got) || e.Node.Customer.ID == "" || len(e.Node.Lines) != 2 {
			return fmt.Errorf("unexpected invoice %+v", e.Node)
		}
		k := o.key(e.Node)
		if i == 0 || (k == nil) != wasNull {
			runs++
			wasNull = k == nil
		}
		if runs > 2 {
			return fmt.Errorf("NULLs not together in %s order at %d", o.name, i)
		}
		if k == nil {
			continue
		}
		if prev != nil && !ordered(prev, k, o.desc) {
			return fmt.Errorf("not in %s order at %d: %v then %v", o.name, i, prev, k)
		}
		prev = k
	}
	return nil
}

func ordered(a, b any, desc bool) bool {
	var c int
	switch a := a.(type) {
	case int64:
		c = cmpOf(a, b.(int64))
	case string:
		c = strings.Compare(a, b.(string))
	case float64:
		c = cmpOf(a, b.(float64))
	}
	if desc {
		return c >= 0
	}
	return c <= 0
}

func cmpOf[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cursorOf returns the cursor of the invoice numbered number under o.
func cursorOf(ctx context.Context, api *apiEnv, number string, o scaleOrder) (string, error) {
	var res scaleListResult
	err := api.do(ctx, fmt.Sprintf(scaleListQuery, ""), map[string]any{"filter": map[string]any{"number": number}, "orderBy": o.vars()}, &res)
	if err != nil {
		return "", err
	}
	if len(res.Invoices.Edges) != 1 {
		return "", fmt.Errorf("invoice %s not found", number)
	}
	return res.Invoices.Edges[0].Cursor, nil
}

func dedupe(stmts []statement) []statement {
	var out []statement
	seen := map[string]bool{}
	for _, s := range stmts {
		if !seen[s.query] {
			seen[s.query] = true
			out = append(out, s)
		}
	}
	return out
}

// printScaleSummary prints the p50/p99 table: a filter a line, an ordering
// a column.
func printScaleSummary(b *testing.B, n, nc int, d string, filters []scaleFilter, summary map[string]map[string][2]float64) {
	if len(summary) == 0 {
		return
	}
	var head []string
	var orders []scaleOrder
	for _, o := range scaleOrders {
		if _, ok := summary[o.name]; ok {
			orders = append(orders, o)
			head = append(head, fmt.Sprintf("%13s", o.name))
		}
	}
	lines := []string{fmt.Sprintf("p50/p99 ms, %d invoices, %d customers, %s", n, nc, dialectName(d)), fmt.Sprintf("%-18s %s", "", strings.Join(head, ""))}
	for _, f := range filters {
		row := fmt.Sprintf("%-18s ", f.name)
		for _, o := range orders {
			v, ok := summary[o.name][f.name]
			if !ok {
				row += fmt.Sprintf("%13s", "-")
				continue
			}
			row += fmt.Sprintf("%13s", fmt.Sprintf("%.1f/%.1f", v[0], v[1]))
		}
		lines = append(lines, row)
	}
	report(b, strings.Join(lines, "\n"))
}

// scaleAPI starts the server on a seeded store, acting with the API key
// the seed recorded.
func scaleAPI(b *testing.B, s *seeded) *apiEnv {
	b.Helper()
	sink := &logSink{}
	logger := slog.New(slog.NewTextHandler(sink, nil))
	hs := httptest.NewServer(server.New(s.st, clock.Real{}, logger))
	b.Cleanup(hs.Close)
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	b.Cleanup(tr.CloseIdleConnections)
	return &apiEnv{tb: b, st: s.st, log: sink, url: hs.URL + "/graphql", key: s.meta["key"], http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// seedScale writes the account, its key, nc customers and n invoices of 2
// lines straight through ent, in transactions of 2,000, and returns what
// the benchmark looks up.
func seedScale(b *testing.B, st *store.Store, n, nc int) map[string]string {
	b.Helper()
	ctx, meta := seedAccount(b, st)
	now := time.Now().UTC()
	customers := seedScaleCustomers(b, ctx, st, nc, now)
	meta["customer_big"] = customers[0]
	meta["customer_small"] = customers[1]
	base := now.Add(-scaleSpan)
	step := scaleSpan / time.Duration(n)
	var pastDue, usd, open, drafts int
	const batch = 2000
	for lo := 0; lo < n; lo += batch {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			invs := make([]*ent.InvoiceCreate, 0, batch)
			for i := lo; i < min(lo+batch, n); i++ {
				at := base.Add(time.Duration(i) * step)
				currency := "EUR"
				if i%10 == 7 {
					currency = "USD"
					usd++
				}
				cus := customers[0]
				if i%scaleBigEvery != 0 {
					cus = customers[1+i%(len(customers)-1)]
				}
				// Totals vary, so the total ordering is not the id's.
				total := int64(1000 + (i*7919)%500000)
				c := tx.Invoice.Create().
					SetCustomerID(cus).SetCurrency(currency).
					SetCreatedAt(at).SetUpdatedAt(at).
					SetSubtotal(total).SetTotalExcludingTax(total).SetTotal(total).SetAmountDue(total)
				recent := now.Sub(at) < 45*24*time.Hour
				var status invoice.Status
				switch {
				case i%20 == 3:
					c.SetStatus(invoice.StatusDraft)
					drafts++
					invs = append(invs, c)
					continue
				case recent && i%5 != 0, i%40 == 1:
					status = invoice.StatusOpen
					open++
				case i%100 == 2:
					status = invoice.StatusUncollectible
					c.SetMarkedUncollectibleAt(at.AddDate(0, 0, 60))
				case i%50 == 5:
					status = invoice.StatusVoid
					c.SetVoidedAt(at.Add(time.Hour))
				default:
					status = invoice.StatusPaid
					c.SetAmountPaid(total).SetPaidAt(at.Add(24 * time.Hour))
				}
				due := at.AddDate(0, 0, 30)
				if (status == invoice.StatusOpen || status == invoice.StatusUncollectible) && due.Before(now) {
					pastDue++
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
	mid := n / 2
	for mid%20 == 3 { // a draft has no number
		mid++
	}
	meta["number_mid"] = fmt.Sprintf("LS-%07d", mid)
	meta["past_due"], meta["usd"], meta["open"], meta["drafts"] = strconv.Itoa(pastDue), strconv.Itoa(usd), strconv.Itoa(open), strconv.Itoa(drafts)
	return meta
}

// seedAccount creates the account and its test-mode key, and returns a
// context acting for it.
func seedAccount(b *testing.B, st *store.Store) (context.Context, map[string]string) {
	b.Helper()
	ctx := clock.WithContext(context.Background(), clock.Real{})
	accts := accounts.New(st.Client)
	acct, err := accts.Create(ctx, "Acme SAS")
	if err != nil {
		b.Fatalf("create account: %v", err)
	}
	key, err := accts.CreateKey(ctx, acct.ID, viewer.Test, "bench")
	if err != nil {
		b.Fatalf("create key: %v", err)
	}
	ctx = viewer.NewContext(ctx, viewer.Viewer{AccountID: acct.ID, Mode: viewer.Test, Actor: "bench"})
	return ctx, map[string]string{"account": acct.ID, "key": key.Secret}
}

// Words the customers' names and emails are made of.
var (
	benchSyllables = []string{"ka", "ro", "mi", "te", "su", "lo", "na", "vi", "de", "pa", "zu", "go", "ri", "fe", "bo", "xa", "ne", "ju", "ci", "wo"}
	benchSurnames  = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
		"Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
		"Morel", "Girard", "Andre", "Mercier", "Dupont", "Lambert", "Bonnet", "Francois", "Martinez", "Legrand",
		"Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
		"Morin", "Mathieu", "Clement", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson"}
	benchForms   = []string{"SAS", "SARL", "SA", "& Fils", "Conseil", "Industries", "Services"}
	benchDomains = []string{"example.com", "example.org", "example.net", "mail.example", "corp.example"}
)

// benchWord is customer i's own word: unique among the first 20⁴ = 160,000.
func benchWord(i int) string {
	var w strings.Builder
	for range 4 {
		w.WriteString(benchSyllables[i%len(benchSyllables)])
		i /= len(benchSyllables)
	}
	return w.String()
}

// benchCustomerName and benchCustomerEmail are customer i's name and email:
// "Kamiteso Martin SAS", "contact.kamiteso@example.com".
func benchCustomerName(i int) string {
	w := benchWord(i)
	return strings.ToUpper(w[:1]) + w[1:] + " " + benchSurnames[i%len(benchSurnames)] + " " + benchForms[i%len(benchForms)]
}

func benchCustomerEmail(i int) string {
	return "contact." + benchWord(i) + "@" + benchDomains[i%len(benchDomains)]
}

// seedScaleCustomers writes n customers through ent, created over the span
// before now, oldest first, and returns their ids in that order.
func seedScaleCustomers(b *testing.B, ctx context.Context, st *store.Store, n int, now time.Time) []string {
	b.Helper()
	base := now.Add(-scaleSpan - 24*time.Hour)
	step := scaleSpan / time.Duration(n)
	ids := make([]string, 0, n)
	const batch = 2000
	for lo := 0; lo < n; lo += batch {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			var cs []*ent.CustomerCreate
			for i := lo; i < min(lo+batch, n); i++ {
				at := base.Add(time.Duration(i) * step)
				cs = append(cs, tx.Customer.Create().
					SetName(benchCustomerName(i)).SetEmail(benchCustomerEmail(i)).
					SetInvoicePrefix(fmt.Sprintf("C%07d", i)).SetCurrency("EUR").
					SetCreatedAt(at).SetUpdatedAt(at))
			}
			for chunk := range slices.Chunk(cs, 250) {
				saved, err := tx.Customer.CreateBulk(chunk...).Save(ctx)
				if err != nil {
					return err
				}
				for _, c := range saved {
					ids = append(ids, c.ID)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed customers: %v", err)
		}
	}
	return ids
}

// customerIDs reads back the seeded customers' ids, oldest first.
func customerIDs(b *testing.B, st *store.Store, account string) []string {
	b.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	ids, err := st.Client.Customer.Query().Where(customer.AccountID(account)).Order(customer.ByCreatedAt(), customer.ByID()).IDs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func envInt(b *testing.B, name string, def, least int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		b.Fatalf("%s=%q: want a number ≥ %d", name, v, least)
	}
	return n
}

func benchDialect(b *testing.B, env string) string {
	switch v := os.Getenv(env); v {
	case "", "sqlite", dialect.SQLite:
		return dialect.SQLite
	case dialect.Postgres:
		return dialect.Postgres
	default:
		b.Fatalf("%s=%q: want sqlite or postgres", env, v)
	}
	return ""
}

func dialectName(d string) string {
	if d == dialect.SQLite {
		return "sqlite"
	}
	return d
}
