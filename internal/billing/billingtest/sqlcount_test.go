package billingtest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/apitest"
)

// statementLog records the SQL statements sent while it is on.
type statementLog struct {
	on    atomic.Bool
	mu    sync.Mutex
	stmts []string
}

func (l *statementLog) observe(_ context.Context, q string) {
	if !l.on.Load() {
		return
	}
	l.mu.Lock()
	l.stmts = append(l.stmts, q)
	l.mu.Unlock()
}

// during returns the statements sent while fn ran.
func (l *statementLog) during(fn func()) []string {
	l.mu.Lock()
	l.stmts = nil
	l.mu.Unlock()
	l.on.Store(true)
	fn()
	l.on.Store(false)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stmts
}

// listQuery lists invoices with their lines (rates and amounts), customer
// and its payment methods, default rates, totals, payments and accepted
// payment method types.
const listQuery = `query($first: Int!) { invoices(first: $first) { edges { node {
  id number status currency acceptedPaymentMethodTypes
  payments { id status amount { amount } }
  customer { id name email paymentMethods { id isDefault } }
  defaultTaxRates { id displayName percentage }
  lines { id description quantity unitAmount amount { amount } netAmount { amount }
    taxRates { id percentage inclusive } taxAmounts { taxRateId amount { amount } } }
  subtotal { amount } totalTax { amount } total { amount currency } amountDue { amount }
} } %s } }`

// TestListStatementCount checks listing invoices with their lines, rates
// and customers runs a fixed number of SQL statements, whatever the page
// size: edges are loaded in one statement each, never once per invoice.
//
// Budget: at most 8 statements for the GraphQL work (invoices, customers,
// the customers' payment methods, lines, lines' tax rates, default tax
// rates, payments, the account for the accepted payment method types).
// Authentication costs none on SQLite: the key in use is kept in memory
// while no key, account or tax rate changes (store.Changes); PostgreSQL
// reads it, counted apart. A key's last-used time
// is written at most once a minute, and the warm-up request took it.
// Asking for pageInfo costs nothing more: hasNextPage comes from reading
// one invoice more than the page (graph.listInvoices), not from a count;
// totalCount adds the count: 9.
func TestListStatementCount(t *testing.T) {
	t.Parallel()
	eachCounted(t, func(t *testing.T, c *client, log *statementLog, d string) {
		vat := c.taxRate("TVA", "20", false)
		reduced := c.taxRate("TVA réduite", "5.5", false)
		var customers []string
		for i := range 5 {
			customers = append(customers, c.newCustomer(fmt.Sprintf("Client %d", i), fmt.Sprintf("client%d@example.com", i)))
		}
		// 100 invoices of 3 lines, 20 per request.
		for batch := range 5 {
			var b strings.Builder
			vars := map[string]any{}
			b.WriteString("mutation(")
			for i := range 20 {
				fmt.Fprintf(&b, "$in%d: InvoiceCreateInput!,", i)
			}
			b.WriteString(") {")
			for i := range 20 {
				n := batch*20 + i
				fmt.Fprintf(&b, " i%d: invoiceCreate(input: $in%d) { invoice { id } userErrors { code } }", i, i)
				vars[fmt.Sprintf("in%d", i)] = map[string]any{
					"customer": customers[n%len(customers)], "currency": "EUR",
					"defaultTaxRates": []any{vat},
					"lines": []any{
						line("Conseil", "2", fmt.Sprintf("%d.00", 100+n)),
						line("Livre", "1", "12.50", "taxRates", []any{reduced}),
						line("Licence", "1.5", "19.99", "taxRates", []any{vat, reduced}),
					},
				}
			}
			b.WriteString(" }")
			data := c.Query(b.String(), vars)
			for i := range 20 {
				if ue := apitest.Get(t, data, fmt.Sprintf("i%d", i), "userErrors").([]any); len(ue) > 0 {
					t.Fatalf("invoiceCreate: %v", ue)
				}
			}
		}
		c.Query(`{ account { id } }`, nil) // warm-up

		// Only totalCount counts the rows (one more statement).
		for _, variant := range []struct {
			name, extra string
			budget      int
		}{{"edges only", "", 8}, {"with pageInfo", "pageInfo { hasNextPage endCursor }", 8}, {"with totalCount", "totalCount pageInfo { hasNextPage }", 9}} {
			counts := map[int]int{}
			for _, first := range []int{10, 100} {
				var data map[string]any
				stmts := log.during(func() { data = c.Query(fmt.Sprintf(listQuery, variant.extra), map[string]any{"first": first}) })
				edges := apitest.Get(t, data, "invoices", "edges").([]any)
				eq(t, "invoices listed", len(edges), first)
				// The data is all there, and right.
				for _, e := range edges {
					n := e.(map[string]any)["node"].(map[string]any)
					eq(t, "lines", len(n["lines"].([]any)), 3)
					eq(t, "line 2 rates", len(apitest.Get(t, n, "lines", 2, "taxRates").([]any)), 2)
					eq(t, "default rate", apitest.Str(t, n, "defaultTaxRates", 0, "id"), vat)
					eq(t, "customer name", strings.HasPrefix(apitest.Str(t, n, "customer", "name"), "Client "), true)
					eq(t, "line currency", money(t, n, "lines", 1, "amount"), "12.50")
				}
				var auth, work []string
				for _, s := range stmts {
					if strings.Contains(s, "api_keys") {
						auth = append(auth, s)
					} else {
						work = append(work, s)
					}
				}
				t.Logf("%s, %s, first: %d: %d statements (%d for authentication)", d, variant.name, first, len(stmts), len(auth))
				for _, s := range stmts {
					t.Logf("  %.160s", s)
				}
				// PostgreSQL reads the key on every request: a revocation
				// must not wait for a notification (store.Changes).
				wantAuth := 0
				if d == dialect.Postgres {
					wantAuth = 1
				}
				eq(t, "authentication statements", len(auth), wantAuth)
				if len(work) > variant.budget {
					t.Errorf("%s, first: %d: %d statements besides authentication, want at most %d", variant.name, first, len(work), variant.budget)
				}
				counts[first] = len(stmts)
			}
			eq(t, variant.name+": statements for 100 invoices vs 10", counts[100], counts[10])
		}
	})
}

// eachCounted is each on servers whose SQL statements go to the log fn
// gets.
func eachCounted(t *testing.T, fn func(t *testing.T, c *client, log *statementLog, d string)) {
	t.Helper()
	forDialects(t, func(t *testing.T, d string) {
		log := &statementLog{}
		fn(t, &client{Env: apitest.StartWith(t, d, apitest.Options{OnQuery: log.observe}), t: t}, log, d)
	})
}
