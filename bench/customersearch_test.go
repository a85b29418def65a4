package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/store"
)

// searchCustomersDefault is the size of BenchmarkCustomerSearch's data set
// unless BENCH_SEARCH_CUSTOMERS says otherwise (100000 for the figures at
// a hundred thousand).
const searchCustomersDefault = 10_000

const customerSearchQuery = `query Customers($filter: CustomerFilter) {
  customers(first: 50, filter: $filter) {
    %s
    edges { cursor node { id name email createdAt } }
  }
}`

type customerSearchResult struct {
	Customers struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Edges []struct {
			Node struct {
				ID        string    `json:"id"`
				Name      string    `json:"name"`
				Email     string    `json:"email"`
				CreatedAt time.Time `json:"createdAt"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"customers"`
}

// BenchmarkCustomerSearch lists a page of 50 customers, newest first,
// under the customers list's filters on N customers (BENCH_SEARCH_CUSTOMERS,
// default 10,000; BENCH_LIST_DIALECT=postgres for PostgreSQL), named
// "Kamiteso Martin SAS" (a word of its own, one of 50 surnames, one of 7
// forms) with emails "contact.kamiteso@example.com" (one of 5 domains):
// no filter; a search for one customer's own word, for its email from that
// word on, for a surname (2 % of them), for a domain (20 %), for nothing
// that exists; the exact email; a creation range; the surname with
// pageInfo. Seeded once and cached like BenchmarkInvoiceListScale's data.
// Each search's plan is EXPLAINed: the run fails when one scans the table,
// or sorts rows it did not find through an index.
//
//	go test -run '^$' -bench CustomerSearch -benchtime 200x ./bench
//	BENCH_SEARCH_CUSTOMERS=100000 go test -run '^$' -bench CustomerSearch -benchtime 200x ./bench
func BenchmarkCustomerSearch(b *testing.B) {
	n := envInt(b, "BENCH_SEARCH_CUSTOMERS", searchCustomersDefault, 1000)
	d := benchDialect(b, "BENCH_LIST_DIALECT")
	trap := &statementTrap{}
	name := fmt.Sprintf("search-%s-c%d-s%d", dialectName(d), n, seedVersion)
	s := openSeeded(b, d, name, store.Config{OnStatement: trap.observe}, func(st *store.Store) map[string]string {
		ctx, meta := seedAccount(b, st)
		seedScaleCustomers(b, ctx, st, n, time.Now().UTC())
		return meta
	})
	api := scaleAPI(b, s)
	ctx := context.Background()
	report(b, fmt.Sprintf("%d customers on %s, seeded %s ago in %s s", n, dialectName(d), time.Since(s.seededAt).Round(time.Minute), s.meta["seed_seconds"]))

	k := n/2 + 7 // a customer in the middle
	word := benchWord(k)
	email := benchCustomerEmail(k)
	domain := email[strings.Index(email, "@")+1:]
	now := time.Now().UTC()
	from, to := now.Add(-400*24*time.Hour), now.Add(-370*24*time.Hour)
	contains := func(q string) func(name, email string) bool {
		q = strings.ToLower(q)
		return func(name, email string) bool {
			return strings.Contains(strings.ToLower(name), q) || strings.Contains(strings.ToLower(email), q)
		}
	}
	type searchCase struct {
		name      string
		filter    map[string]any
		selection string
		check     func(name, email string) bool
		// search: found through an index of matches, which may be sorted.
		search bool
	}
	cases := []searchCase{
		{name: "all", check: func(string, string) bool { return true }},
		{name: "ownWord", filter: map[string]any{"query": word}, check: contains(word), search: true},
		{name: "emailFromWord", filter: map[string]any{"query": word + "@" + domain[:4]}, check: contains(word + "@" + domain[:4]), search: true},
		{name: "surname", filter: map[string]any{"query": "Martin"}, check: contains("martin"), search: true},
		{name: "domain", filter: map[string]any{"query": domain}, check: contains(domain), search: true},
		{name: "nothing", filter: map[string]any{"query": "Zyxwvut"}, check: contains("zyxwvut"), search: true},
		{name: "email", filter: map[string]any{"email": strings.ToUpper(email)}, check: func(_, e string) bool { return strings.EqualFold(e, email) }, search: true},
		{name: "createdRange", filter: map[string]any{"createdAfter": from, "createdBefore": to}, check: func(string, string) bool { return true }},
		{name: "surname_pageInfo", filter: map[string]any{"query": "Martin"}, selection: "pageInfo { hasNextPage }", check: contains("martin"), search: true},
	}
	type prepared struct {
		searchCase
		query string
		want  int
	}
	var ready []prepared
	var plans, bad []string
	run := func(c prepared) error {
		var res customerSearchResult
		if err := api.do(ctx, c.query, map[string]any{"filter": c.filter}, &res); err != nil {
			return err
		}
		edges := res.Customers.Edges
		if len(edges) != c.want {
			return fmt.Errorf("listed %d customers, want %d", len(edges), c.want)
		}
		for i, e := range edges {
			if !c.check(e.Node.Name, e.Node.Email) {
				return fmt.Errorf("unexpected customer %+v", e.Node)
			}
			if i > 0 && e.Node.CreatedAt.After(edges[i-1].Node.CreatedAt) {
				return fmt.Errorf("not newest first at %d", i)
			}
		}
		return nil
	}
	for _, c := range cases {
		var res customerSearchResult
		if err := api.do(ctx, fmt.Sprintf(customerSearchQuery, "totalCount"), map[string]any{"filter": c.filter}, &res); err != nil {
			b.Fatal(err)
		}
		p := prepared{searchCase: c, query: fmt.Sprintf(customerSearchQuery, c.selection), want: min(50, res.Customers.TotalCount)}
		stmts, err := trap.during("customers", func() error { return run(p) })
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", c.name, err))
			continue
		}
		ready = append(ready, p)
		for _, st := range dedupe(stmts) {
			plan, verdict, err := explain(ctx, api.st, st, planRules{table: "customers", sortMatches: c.search})
			if err != nil {
				b.Fatal(err)
			}
			mark := "ok"
			if verdict != "" {
				mark = "BAD: " + verdict
				bad = append(bad, fmt.Sprintf("%s (%s)", c.name, verdict))
			}
			plans = append(plans, fmt.Sprintf("%s plan (%s), %d matches:\n  %s\n  for: %s", c.name, mark, res.Customers.TotalCount, strings.Join(plan, "\n  "), st.query))
		}
	}
	for range 3 {
		for _, c := range ready {
			if err := run(c); err != nil {
				b.Fatalf("%s: %v", c.name, err)
			}
		}
	}
	printed := false
	b.Run("newestFirst", func(b *testing.B) {
		lat := make([]latencies, len(ready))
		cpu := startCPUMeter()
		b.ResetTimer()
		for range b.N {
			for i, c := range ready {
				t0 := time.Now()
				if err := run(c); err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}
		b.StopTimer()
		other := cpu.otherPct()
		var lines []string
		for i, c := range ready {
			p50, p99 := lat[i].pct(50), lat[i].pct(99)
			b.ReportMetric(p99, c.name+"_p99_ms")
			lines = append(lines, fmt.Sprintf("%-18s p50 %6.2f ms  p99 %6.2f ms", c.name, p50, p99))
		}
		b.ReportMetric(other, "other_cpu_pct")
		report(b, fmt.Sprintf("%d customers, %s, n=%d per query, other processes %.0f %% CPU:\n  %s", n, dialectName(d), b.N, other, strings.Join(lines, "\n  ")))
		if !printed {
			printed = true
			report(b, plans...)
		}
	})
	if len(bad) > 0 {
		b.Errorf("customer lists whose plan grows with the table, or that failed:\n  %s", strings.Join(bad, "\n  "))
	}
}
