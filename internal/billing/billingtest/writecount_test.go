package billingtest_test

import (
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/apitest"
)

// The mutations of the write-path benchmark (bench/invoice_test.go,
// bench/pay_test.go), with the fields they read back.
const (
	countCreate = `mutation($in: InvoiceCreateInput!) { invoiceCreate(input: $in) {
  invoice { id number status total { amount } lines { id amount { amount } } } userErrors { code field message } } }`
	countUpdate = `mutation($in: InvoiceUpdateInput!) { invoiceUpdate(input: $in) {
  invoice { id memo total { amount } } userErrors { code field message } } }`
	countFinalize = `mutation($in: InvoiceFinalizeInput!) { invoiceFinalize(input: $in) {
  invoice { id number status total { amount } lines { id amount { amount } } } userErrors { code field message } } }`
	countSend = `mutation($in: InvoiceSendInput!) { invoiceSend(input: $in) {
  invoice { id status } email { id status } userErrors { code field message } } }`
	countPay = `mutation($in: InvoicePayInput!) { invoicePay(input: $in) {
  invoice { id status amountRemaining { amount } } payment { id status amount { amount } } userErrors { code field message } } }`
)

// TestWriteStatementCount counts the SQL statements each step of an
// invoice's life sends, authentication included (none on SQLite, where
// the key is kept in memory; PostgreSQL's one key read is counted apart),
// and fails above the budget: the write path is CPU-bound in database/sql and ent, so every
// statement saved is throughput (issue 12 sets create+finalize at ≤ 10).
//
// The invoice is the benchmark's: ten lines, each with the account's tax
// rate. Warm-up requests come first, so what a key's last-used stamp costs
// once a minute is not counted.
func TestWriteStatementCount(t *testing.T) {
	t.Parallel()
	budgets := map[string]int{"create": 5, "update": 4, "finalize": 5, "send": 8, "pay": 8}
	eachCounted(t, func(t *testing.T, c *client, log *statementLog, d string) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Client", "client@example.com")
		c.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, setDefault: true, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}}) { userErrors { code message } } }`,
			map[string]any{"c": cus})
		input := func(i int) map[string]any {
			lines := make([]any, 10)
			for j := range lines {
				lines[j] = line(fmt.Sprintf("Phase %d of order %d", j+1, i), fmt.Sprintf("%d.5", j+1), fmt.Sprintf("%d.90", 650+j*10), "taxRates", []any{vat})
			}
			return map[string]any{"customer": cus, "currency": "EUR", "lines": lines}
		}
		mutate := func(field, q string, in map[string]any, key string) map[string]any {
			var p map[string]any
			if key != "" {
				p = c.MutateKeyed(field, q, map[string]any{"in": in}, key)
			} else {
				p = c.MutateErr(field, q, map[string]any{"in": in})
			}
			if ue := p["userErrors"].([]any); len(ue) > 0 {
				t.Fatalf("%s: %v", field, ue)
			}
			return p
		}
		life := func(i int, count func(step string, fn func())) {
			var id string
			count("create", func() { id = apitest.Str(t, mutate("invoiceCreate", countCreate, input(i), ""), "invoice", "id") })
			count("update", func() { mutate("invoiceUpdate", countUpdate, map[string]any{"id": id, "memo": "Merci"}, "") })
			count("finalize", func() {
				p := mutate("invoiceFinalize", countFinalize, map[string]any{"id": id}, "")
				eq(t, "status", apitest.Str(t, p, "invoice", "status"), "OPEN")
			})
			count("send", func() { mutate("invoiceSend", countSend, map[string]any{"id": id}, "") })
			count("pay", func() {
				p := mutate("invoicePay", countPay, map[string]any{"id": id}, fmt.Sprintf("count-%d", i))
				eq(t, "status", apitest.Str(t, p, "invoice", "status"), "PAID")
			})
		}
		life(0, func(_ string, fn func()) { fn() }) // warm-up
		got := map[string]int{}
		life(1, func(step string, fn func()) {
			stmts := log.during(fn)
			t.Logf("%s: %d statements", step, len(stmts))
			for _, s := range stmts {
				t.Logf("  %.300s", s)
				// PostgreSQL reads the key on every request (a
				// revocation must not wait for a notification): apart.
				if d == dialect.Postgres && strings.Contains(s, "api_keys") {
					continue
				}
				got[step]++
			}
		})
		for _, step := range []string{"create", "update", "finalize", "send", "pay"} {
			if got[step] > budgets[step] {
				t.Errorf("%s: %d statements, want at most %d", step, got[step], budgets[step])
			}
		}
		if cf := got["create"] + got["finalize"]; cf > 10 {
			t.Errorf("create+finalize: %d statements, want at most 10", cf)
		}
	})
}
