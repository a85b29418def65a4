package billingtest_test

import (
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// taxOf returns the breakdown entry of a rate.
func taxOf(t testing.TB, taxes any, rateID string) map[string]any {
	t.Helper()
	for _, x := range taxes.([]any) {
		if m := x.(map[string]any); m["taxRateId"] == rateID {
			return m
		}
	}
	t.Fatalf("no tax for rate %s in %v", rateID, taxes)
	return nil
}

// TestTotalsExclusiveVAT checks the totals of an invoice mixing 20 % and
// 5.5 % exclusive VAT, an untaxed line, a fixed line discount and a 10 %
// invoice discount, a 4-decimal quantity and a 4-decimal unit price,
// against amounts worked out by hand with the rules of internal/totals
// (EN 16931: tax rounded once per rate, on the sum of the bases).
func TestTotalsExclusiveVAT(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat20 := c.taxRate("TVA", "20", false)
		vat55 := c.taxRate("TVA réduite", "5.5", false)
		cus := c.newCustomer("Librairie Rosen", "compta@rosen.example")
		inv := c.createInvoice(cus, map[string]any{
			"currency": "EUR",
			// The three first lines take 20 % from the invoice defaults.
			"defaultTaxRates": []any{vat20},
			"discounts":       []any{map[string]any{"percent": "10", "name": "Remise fidélité"}},
			"lines": []any{
				// 3 × 150.40 = 451.20
				line("Conseil", "3", "150.40"),
				// 2.5125 × 19.99 = 50.224875 → 50.22; less 5.02 off → 45.20
				line("Licence", "2.5125", "19.99", "discounts", []any{map[string]any{"amountOff": "5.02", "name": "Geste"}}),
				// 1234 × 0.0375 = 46.275 → 46.28 (half away from zero)
				line("Appels API", "1234", "0.0375"),
				// 2 × 12.50 = 25.00 at 5.5 %
				line("Livre", "2", "12.50", "taxRates", []any{vat55}),
				// 1 × 4.90 = 4.90, untaxed
				line("Frais de port", "1", "4.90", "taxRates", []any{}),
			},
		})
		id := apitest.Str(t, inv, "id")
		check := func(inv map[string]any) {
			t.Helper()
			// Subtotal = Σ nets = 451.20 + 45.20 + 46.28 + 25.00 + 4.90 = 572.58.
			eq(t, "subtotal", money(t, inv, "subtotal"), "572.58")
			// Invoice discount = 10 % of 572.58 = 57.258 → 57.26; with the
			// line's 5.02, totalDiscount = 62.28.
			eq(t, "totalDiscount", money(t, inv, "totalDiscount"), "62.28")
			// 57.26 is spread pro rata over the nets (×57.26/572.58):
			// 45.1215…, 4.5201…, 4.6280…, 2.5000…, 0.4900… → floors 45.12,
			// 4.52, 4.62, 2.50, 0.49 = 57.25; the cent left goes to the
			// largest remainder, line 2 → 4.63.
			lines := inv["lines"].([]any)
			for i, w := range []struct{ desc, amount, discount, net, share string }{
				{"Conseil", "451.20", "0.00", "451.20", "45.12"},
				{"Licence", "50.22", "5.02", "45.20", "4.52"},
				{"Appels API", "46.28", "0.00", "46.28", "4.63"},
				{"Livre", "25.00", "0.00", "25.00", "2.50"},
				{"Frais de port", "4.90", "0.00", "4.90", "0.49"},
			} {
				eq(t, "line description", apitest.Str(t, lines[i], "description"), w.desc)
				eq(t, "line position", lines[i].(map[string]any)["position"], any(float64(i)))
				eq(t, w.desc+" amount", money(t, lines[i], "amount"), w.amount)
				eq(t, w.desc+" discountAmount", money(t, lines[i], "discountAmount"), w.discount)
				eq(t, w.desc+" netAmount", money(t, lines[i], "netAmount"), w.net)
				eq(t, w.desc+" invoiceDiscountAmount", money(t, lines[i], "invoiceDiscountAmount"), w.share)
			}
			eq(t, "line 1 quantity", apitest.Str(t, lines[1], "quantity"), "2.5125")
			eq(t, "line 2 unitAmount", apitest.Str(t, lines[2], "unitAmount"), "0.0375")
			eq(t, "line 1 discount", apitest.Str(t, lines[1], "discounts", 0, "amountOffMinor"), "502")
			// 20 %: bases 451.20 − 45.12 = 406.08, 45.20 − 4.52 = 40.68,
			// 46.28 − 4.63 = 41.65; Σ 488.41 × 20 % = 97.682 → 97.68.
			// Rounded line by line it would be 81.216 → 81.22, 8.136 → 8.14,
			// 8.33: 97.69, a cent more.
			v20 := taxOf(t, inv["taxes"], vat20)
			eq(t, "20 % taxable", money(t, v20, "taxableAmount"), "488.41")
			eq(t, "20 % tax", money(t, v20, "amount"), "97.68")
			eq(t, "20 % percentage", v20["percentage"], any("20"))
			eq(t, "20 % name", v20["displayName"], any("TVA"))
			eq(t, "20 % inclusive", v20["inclusive"], any(false))
			eq(t, "20 % jurisdiction", v20["jurisdiction"], any("FR"))
			// The group's 97.68 split back over its lines (×97.68/488.41):
			// 81.2143…, 8.1359…, 8.3298… → floors 81.21 + 8.13 + 8.32 =
			// 97.66, the two cents left to the largest remainders (8.3298,
			// 8.1359): 81.21, 8.14, 8.33.
			for i, want := range []string{"81.21", "8.14", "8.33"} {
				// The defaults are the rates these lines apply.
				sameJSON(t, "default line rates", lines[i].(map[string]any)["taxRates"], []any{map[string]any{"id": vat20, "percentage": "20"}})
				eq(t, "20 % line share", apitest.Str(t, lines[i], "taxAmounts", 0, "taxRateId"), vat20)
				eq(t, "20 % line share", money(t, lines[i], "taxAmounts", 0, "amount"), want)
				eq(t, "line overridden", lines[i].(map[string]any)["taxRatesOverridden"], any(false))
			}
			// 5.5 %: base 25.00 − 2.50 = 22.50 × 5.5 % = 1.2375 → 1.24.
			v55 := taxOf(t, inv["taxes"], vat55)
			eq(t, "5.5 % taxable", money(t, v55, "taxableAmount"), "22.50")
			eq(t, "5.5 % tax", money(t, v55, "amount"), "1.24")
			eq(t, "5.5 % percentage", v55["percentage"], any("5.5"))
			eq(t, "5.5 % line share", money(t, lines[3], "taxAmounts", 0, "amount"), "1.24")
			sameJSON(t, "5.5 % line rates", lines[3].(map[string]any)["taxRates"], []any{map[string]any{"id": vat55, "percentage": "5.5"}})
			eq(t, "5.5 % line overridden", lines[3].(map[string]any)["taxRatesOverridden"], any(true))
			// The untaxed line has no rate and no tax.
			sameJSON(t, "untaxed line rates", lines[4].(map[string]any)["taxRates"], []any{})
			sameJSON(t, "untaxed line taxes", lines[4].(map[string]any)["taxAmounts"], []any{})
			eq(t, "untaxed line overridden", lines[4].(map[string]any)["taxRatesOverridden"], any(true))
			eq(t, "tax groups", len(inv["taxes"].([]any)), 2)
			// 97.68 + 1.24 = 98.92.
			eq(t, "totalTax", money(t, inv, "totalTax"), "98.92")
			// 572.58 − 57.26 = 515.32.
			eq(t, "totalExcludingTax", money(t, inv, "totalExcludingTax"), "515.32")
			// 515.32 + 98.92 = 614.24.
			eq(t, "total", money(t, inv, "total"), "614.24")
			eq(t, "total minor units", apitest.Str(t, inv, "total", "minorUnits"), "61424")
			eq(t, "total currency", apitest.Str(t, inv, "total", "currency"), "EUR")
			eq(t, "amountDue", money(t, inv, "amountDue"), "614.24")
		}
		check(inv)
		// Read back, and frozen by finalization.
		check(c.invoice(id))
		check(c.finalize(id))
	})
}

// TestTotalsOtherCases covers inclusive tax, currencies without and with
// three decimals, default versus explicit tax rates, and unitAmountMinor.
func TestTotalsOtherCases(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		// Currency-less customers can be billed in any currency; one
		// customer per currency keeps them apart once issued.
		other := func(name string) string { return c.newCustomer(name, name+"@example.com") }

		t.Run("inclusive VAT", func(t *testing.T) {
			c := c.with(t)
			incl := c.taxRate("TVA TTC", "20", true)
			inv := c.createInvoice(other("incl"), map[string]any{"currency": "EUR", "lines": []any{
				line("Abonnement", "1", "120.00", "taxRates", []any{incl}),
			}})
			// 120.00 includes the tax: 120 × 20 / 120 = 20.00.
			eq(t, "subtotal", money(t, inv, "subtotal"), "120.00")
			eq(t, "totalTax", money(t, inv, "totalTax"), "20.00")
			eq(t, "totalExcludingTax", money(t, inv, "totalExcludingTax"), "100.00")
			eq(t, "total", money(t, inv, "total"), "120.00")
			tx := taxOf(t, inv["taxes"], incl)
			eq(t, "taxable", money(t, tx, "taxableAmount"), "100.00")
			eq(t, "tax", money(t, tx, "amount"), "20.00")
			eq(t, "inclusive", tx["inclusive"], any(true))
		})

		t.Run("JPY has no decimals", func(t *testing.T) {
			c := c.with(t)
			jct := c.taxRate("消費税", "10", false)
			inv := c.createInvoice(other("jpy"), map[string]any{"currency": "JPY", "defaultTaxRates": []any{jct}, "lines": []any{
				line("Consulting", "3", "1500"), // 4500
				line("Half day", "0.5", "333"),  // 166.5 → 167
			}})
			eq(t, "line amount", money(t, inv, "lines", 1, "amount"), "167")
			eq(t, "subtotal", money(t, inv, "subtotal"), "4667")
			// 10 % of 4667 = 466.7 → 467.
			eq(t, "totalTax", money(t, inv, "totalTax"), "467")
			eq(t, "total", money(t, inv, "total"), "5134")
			eq(t, "minor units", apitest.Str(t, inv, "total", "minorUnits"), "5134")
			// A yen amount with decimals is refused where amounts must be exact.
			p := c.invoiceOp("invoiceUpdate", map[string]any{"id": inv["id"], "discounts": []any{map[string]any{"amountOff": "10.5"}}})
			wantCodes(t, p, "input.discounts.0.amountOff:INVALID_AMOUNT")
		})

		t.Run("KWD has three decimals", func(t *testing.T) {
			c := c.with(t)
			vat := c.taxRate("VAT", "5", false)
			inv := c.createInvoice(other("kwd"), map[string]any{"currency": "KWD", "defaultTaxRates": []any{vat}, "lines": []any{
				line("Service", "2", "1.2345"), // 2.469
			}})
			eq(t, "subtotal", money(t, inv, "subtotal"), "2.469")
			// 5 % of 2.469 = 0.12345 → 0.123.
			eq(t, "totalTax", money(t, inv, "totalTax"), "0.123")
			eq(t, "total", money(t, inv, "total"), "2.592")
			eq(t, "minor units", apitest.Str(t, inv, "total", "minorUnits"), "2592")
		})

		t.Run("default and explicit tax rates", func(t *testing.T) {
			c := c.with(t)
			vat := c.taxRate("TVA", "20", false)
			reduced := c.taxRate("TVA 10", "10", false)
			inv := c.createInvoice(cus, map[string]any{"defaultTaxRates": []any{vat}, "lines": []any{
				line("Défaut", "1", "100.00"),
				line("Exonéré", "1", "100.00", "taxRates", []any{}),
				line("Réduit", "1", "100.00", "taxRates", []any{reduced}),
			}})
			lines := inv["lines"].([]any)
			eq(t, "default line rate", apitest.Str(t, lines[0], "taxAmounts", 0, "taxRateId"), vat)
			sameJSON(t, "default line rates", lines[0].(map[string]any)["taxRates"], []any{map[string]any{"id": vat, "percentage": "20"}})
			eq(t, "default line overridden", lines[0].(map[string]any)["taxRatesOverridden"], any(false))
			sameJSON(t, "untaxed line rates", lines[1].(map[string]any)["taxRates"], []any{})
			sameJSON(t, "untaxed line taxes", lines[1].(map[string]any)["taxAmounts"], []any{})
			eq(t, "untaxed line overridden", lines[1].(map[string]any)["taxRatesOverridden"], any(true))
			eq(t, "reduced line rate", apitest.Str(t, lines[2], "taxRates", 0, "id"), reduced)
			eq(t, "reduced line tax", money(t, lines[2], "taxAmounts", 0, "amount"), "10.00")
			eq(t, "totalTax", money(t, inv, "totalTax"), "30.00")
			eq(t, "total", money(t, inv, "total"), "330.00")
			// Changing the defaults moves only the line that uses them.
			other := c.taxRate("TVA 5.5", "5.5", false)
			inv = c.invoiceOK("invoiceUpdate", map[string]any{"id": inv["id"], "defaultTaxRates": []any{other}})
			eq(t, "totalTax", money(t, inv, "totalTax"), "15.50")
			eq(t, "default line rate", apitest.Str(t, inv, "lines", 0, "taxAmounts", 0, "taxRateId"), other)
			eq(t, "default line rates follow the defaults", apitest.Str(t, inv, "lines", 0, "taxRates", 0, "id"), other)
			sameJSON(t, "untaxed line stays untaxed", apitest.Get(t, inv, "lines", 1, "taxRates"), []any{})
			// A line can go back to the defaults.
			inv = c.invoiceOK("invoiceLineUpdate", map[string]any{"id": apitest.Str(t, lines[1], "id"), "line": map[string]any{"useDefaultTaxRates": true}})
			eq(t, "totalTax", money(t, inv, "totalTax"), "21.00")
			eq(t, "back to the defaults", apitest.Str(t, inv, "lines", 1, "taxRates", 0, "id"), other)
			eq(t, "back to the defaults", apitest.Get(t, inv, "lines", 1, "taxRatesOverridden"), any(false))
			eq(t, "total", money(t, inv, "total"), "321.00")
		})

		t.Run("unitAmountMinor", func(t *testing.T) {
			c := c.with(t)
			inv := c.createInvoice(cus, map[string]any{"lines": []any{
				map[string]any{"description": "En centimes", "quantity": "2", "unitAmountMinor": "12345"},
			}})
			eq(t, "unitAmount", apitest.Str(t, inv, "lines", 0, "unitAmount"), "123.45")
			eq(t, "amount", money(t, inv, "lines", 0, "amount"), "246.90")
			eq(t, "total", money(t, inv, "total"), "246.90")
		})
	})
}
