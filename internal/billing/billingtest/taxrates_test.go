package billingtest_test

import (
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestTaxRateReuse checks what every invoicing system does with a tax rate:
// use it on many lines and as the default of many invoices, and copy it
// with duplicated and revised invoices; and that a line's taxRates lists
// the rates applied, its own or the invoice's defaults (schema doc).
func TestTaxRateReuse(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		res := c.Do(apitest.Request{
			Query: invoiceMutation("invoiceCreate", "InvoiceCreateInput"),
			Variables: map[string]any{"input": map[string]any{"customer": cus, "currency": "USD", "lines": []any{
				line("Un", "1", "100.00", "taxRates", []any{vat}),
				line("Deux", "1", "50.00", "taxRates", []any{vat}),
			}}},
		})
		// Tax rates used to be one-to-many edges: a second use failed with
		// an INTERNAL "already connected" error.
		if len(res.Errors) > 0 {
			t.Fatalf("invoiceCreate: %s", res.RawBody)
		}
		first := res.Data["invoiceCreate"].(map[string]any)["invoice"].(map[string]any)
		// One rate on two lines: one group, 150.00 × 20 % = 30.00.
		eq(t, "taxable", money(t, taxOf(t, first["taxes"], vat), "taxableAmount"), "150.00")
		eq(t, "tax", money(t, first, "totalTax"), "30.00")
		for i := range 2 {
			eq(t, "line rate", apitest.Str(t, first, "lines", i, "taxRates", 0, "id"), vat)
		}

		// The same rate as the default of two invoices; lines without their
		// own rates list the defaults as their rates.
		var ids []string
		for range 2 {
			inv := c.createInvoice(cus, map[string]any{"defaultTaxRates": []any{vat}, "lines": []any{line("Trois", "1", "10.00")}})
			eq(t, "default rate", apitest.Str(t, inv, "defaultTaxRates", 0, "id"), vat)
			sameJSON(t, "default line rates", apitest.Get(t, inv, "lines", 0, "taxRates"), []any{map[string]any{"id": vat, "percentage": "20"}})
			eq(t, "tax", money(t, inv, "totalTax"), "2.00")
			ids = append(ids, apitest.Str(t, inv, "id"))
		}
		// Still there on the first one.
		eq(t, "first invoice's default", apitest.Str(t, c.invoice(ids[0]), "defaultTaxRates", 0, "id"), vat)
		eq(t, "first invoice's line rate", apitest.Str(t, c.invoice(apitest.Str(t, first, "id")), "lines", 0, "taxRates", 0, "id"), vat)

		// Duplicating and revising copy the rates.
		dup := c.byID("invoiceDuplicate", apitest.Str(t, first, "id"))
		eq(t, "duplicate tax", money(t, dup, "totalTax"), "30.00")
		eq(t, "duplicate line rate", apitest.Str(t, dup, "lines", 1, "taxRates", 0, "id"), vat)
		open := c.finalize(ids[1])
		rev := c.finalize(apitest.Str(t, c.byID("invoiceRevise", apitest.Str(t, open, "id")), "id"))
		eq(t, "revision default", apitest.Str(t, rev, "defaultTaxRates", 0, "id"), vat)
		eq(t, "revision tax", money(t, rev, "totalTax"), "2.00")
	})
}
