package billingtest_test

import (
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

// ledger reads a customer's balance transactions, newest first, as
// "TYPE amount → ending".
func (c *client) ledger(customer string) []string {
	c.t.Helper()
	data := c.Query(`query($id: ID!) { customer(id: $id) { balanceTransactions(first: 100) {
  totalCount edges { node { type amount { amount } endingBalance { amount } invoice { id } } } } } }`, map[string]any{"id": customer})
	var out []string
	for _, e := range apitest.Get(c.t, data, "customer", "balanceTransactions", "edges").([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		out = append(out, n["type"].(string)+" "+money(c.t, n, "amount")+" → "+money(c.t, n, "endingBalance"))
	}
	return out
}

func (c *client) balance(customer string) string {
	c.t.Helper()
	return money(c.t, c.customer(customer), "balance")
}

// TestCustomerBalance checks the credit balance at finalization (reference
// §2.6, §5.4): credit reduces the next invoice, an invoice below the
// minimum charge is marked paid and carried to the balance, an invoice the
// credit covers is paid at once, and voiding gives the credit back.
func TestCustomerBalance(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		step := func() { c.Clock.Advance(time.Minute) } // keeps the ledger's order unambiguous

		t.Run("credit applied to the next invoice", func(t *testing.T) {
			c := c.with(t)
			cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
			p := c.adjustBalance(cus, "-1000.00", "USD", "Geste commercial")
			wantCodes(t, p)
			eq(t, "transaction type", apitest.Str(t, p, "balanceTransaction", "type"), "ADJUSTMENT")
			eq(t, "customer balance", money(t, p, "customer", "balance"), "-1000.00")
			eq(t, "customer currency", apitest.Str(t, p, "customer", "currency"), "USD")
			eq(t, "currency locked", apitest.Get(t, p, "customer", "currencyLocked"), any(true))
			step()
			draft := c.createInvoice(cus, nil)
			// A draft shows what would apply, and applies nothing yet.
			eq(t, "draft startingBalance", money(t, draft, "startingBalance"), "-1000.00")
			eq(t, "draft amountDue", money(t, draft, "amountDue"), "5000.00")
			eq(t, "balance before finalization", c.balance(cus), "-1000.00")
			inv := c.finalize(apitest.Str(t, draft, "id"))
			eq(t, "status", inv["status"], any("OPEN"))
			eq(t, "total", money(t, inv, "total"), "5000.00")
			eq(t, "startingBalance", money(t, inv, "startingBalance"), "-1000.00")
			eq(t, "appliedBalance", money(t, inv, "appliedBalance"), "-1000.00")
			eq(t, "endingBalance", money(t, inv, "endingBalance"), "0.00")
			eq(t, "amountDue", money(t, inv, "amountDue"), "4000.00")
			eq(t, "amountRemaining", money(t, inv, "amountRemaining"), "4000.00")
			eq(t, "customer balance", c.balance(cus), "0.00")
			sameJSON(t, "ledger", c.ledger(cus), []string{
				"APPLIED_TO_INVOICE 1000.00 → 0.00",
				"ADJUSTMENT -1000.00 → -1000.00",
			})
			// Paying it out of band settles what is due, not the total.
			paid := c.markPaid(apitest.Str(t, inv, "id"))
			eq(t, "amountPaid", money(t, paid, "amountPaid"), "4000.00")
			eq(t, "amountRemaining", money(t, paid, "amountRemaining"), "0.00")
		})

		t.Run("below the minimum charge", func(t *testing.T) {
			c := c.with(t)
			cus := c.newCustomer("Small", "small@example.com")
			draft := c.createInvoice(cus, map[string]any{"lines": []any{line("Timbre", "1", "0.30")}})
			step()
			inv := c.finalize(apitest.Str(t, draft, "id"))
			// 0.30 USD is below Stripe's 0.50 minimum: paid, and owed on
			// the balance instead.
			eq(t, "status", inv["status"], any("PAID"))
			eq(t, "paidAt", inv["paidAt"], any(ts(c.Clock.Now())))
			eq(t, "number", inv["number"] != nil, true)
			eq(t, "amountDue", money(t, inv, "amountDue"), "0.30")
			eq(t, "amountPaid", money(t, inv, "amountPaid"), "0.30")
			eq(t, "amountRemaining", money(t, inv, "amountRemaining"), "0.00")
			eq(t, "endingBalance", money(t, inv, "endingBalance"), "0.30")
			eq(t, "customer balance", c.balance(cus), "0.30")
			sameJSON(t, "ledger", c.ledger(cus), []string{"INVOICE_TOO_SMALL 0.30 → 0.30"})
			// Finalized and paid in the same instant, in that order.
			var actions []string
			for _, h := range c.invoice(apitest.Str(t, inv, "id"))["history"].([]any) {
				m := h.(map[string]any)
				actions = append(actions, m["action"].(string)+" "+m["createdAt"].(string))
			}
			now := ts(c.Clock.Now())
			sameJSON(t, "history", actions, []string{"create " + ts(c.Clock.Now().Add(-time.Minute)), "finalize " + now, "mark_paid " + now})
			// The next invoice collects it.
			step()
			next := c.finalize(apitest.Str(t, c.createInvoice(cus, map[string]any{"lines": []any{line("Colis", "1", "10.00")}}), "id"))
			eq(t, "next appliedBalance", money(t, next, "appliedBalance"), "0.30")
			eq(t, "next amountDue", money(t, next, "amountDue"), "10.30")
			eq(t, "customer balance", c.balance(cus), "0.00")
		})

		t.Run("covered by credit", func(t *testing.T) {
			c := c.with(t)
			cus := c.newCustomer("Covered", "covered@example.com")
			c.adjustBalance(cus, "-100.00", "USD", "Avoir")
			step()
			draft := c.createInvoice(cus, map[string]any{"lines": []any{line("Formation", "2", "30.00")}})
			step()
			inv := c.finalize(apitest.Str(t, draft, "id"))
			eq(t, "status", inv["status"], any("PAID"))
			eq(t, "appliedBalance", money(t, inv, "appliedBalance"), "-60.00")
			eq(t, "amountDue", money(t, inv, "amountDue"), "0.00")
			eq(t, "amountPaid", money(t, inv, "amountPaid"), "0.00")
			eq(t, "amountRemaining", money(t, inv, "amountRemaining"), "0.00")
			eq(t, "customer balance", c.balance(cus), "-40.00")
			eq(t, "mark_paid note", apitest.Str(t, inv, "history", 2, "note"), "nothing due")
		})

		t.Run("voiding gives the credit back", func(t *testing.T) {
			c := c.with(t)
			cus := c.newCustomer("Voided", "voided@example.com")
			c.adjustBalance(cus, "-1000.00", "USD", "Avoir")
			step()
			inv := c.finalize(apitest.Str(t, c.createInvoice(cus, nil), "id"))
			eq(t, "amountDue", money(t, inv, "amountDue"), "4000.00")
			step()
			c.byID("invoiceVoid", apitest.Str(t, inv, "id"))
			// Stripe: unapplied_from_invoice returns what the invoice used.
			eq(t, "customer balance", c.balance(cus), "-1000.00")
			sameJSON(t, "ledger", c.ledger(cus), []string{
				"UNAPPLIED_FROM_INVOICE -1000.00 → -1000.00",
				"APPLIED_TO_INVOICE 1000.00 → 0.00",
				"ADJUSTMENT -1000.00 → -1000.00",
			})
			// A revision takes the credit the original had used.
			step()
			orig := c.finalize(apitest.Str(t, c.createInvoice(cus, nil), "id"))
			eq(t, "original amountDue", money(t, orig, "amountDue"), "4000.00")
			step()
			rev := c.finalize(apitest.Str(t, c.byID("invoiceRevise", apitest.Str(t, orig, "id")), "id"))
			eq(t, "original status", c.invoice(apitest.Str(t, orig, "id"))["status"], any("VOID"))
			eq(t, "revision appliedBalance", money(t, rev, "appliedBalance"), "-1000.00")
			eq(t, "revision amountDue", money(t, rev, "amountDue"), "4000.00")
			eq(t, "customer balance", c.balance(cus), "0.00")
		})

		t.Run("refused adjustments write nothing", func(t *testing.T) {
			c := c.with(t)
			cus := c.newCustomer("Euro", "euro@example.com", "currency", "EUR")
			db := dbState(t, c.Env)
			wantCodes(t, c.adjustBalance(cus, "-10.00", "USD", "Avoir"), "input.currency:CURRENCY_MISMATCH")
			wantCodes(t, c.adjustBalance(cus, "-10.001", "EUR", "Avoir"), "input.amount:INVALID_AMOUNT")
			wantCodes(t, c.adjustBalance(cus, "0", "EUR", "Avoir"), "input.amount:INVALID_AMOUNT")
			wantCodes(t, c.adjustBalance(cus, "-10.00", "EUR", " "), "input.description:REQUIRED")
			sameDB(t, c.Env, db)
		})
	})
}
