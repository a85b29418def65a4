package billingtest_test

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// The VAT of exempt and reverse-charge customers (EN 16931 categories E
// and AE): finalizing turns the taxed lines of such a customer's invoice
// into 0 % of their category, with the mention and reason printed, and
// refuses a reverse-charge invoice that lacks a party's VAT number. Every
// figure is worked out by hand in the comments.

// vatTaxesFields selects a breakdown with its categories.
const vatTaxesFields = `taxes { taxRateId percentage category exemptionReason exemptionCode taxableAmount { amount } amount { amount } }`

// vatRate creates a tax rate with a category and returns its id; the
// payload's userErrors are returned for refusals.
func (c *client) vatRate(input map[string]any) (string, map[string]any) {
	c.t.Helper()
	in := map[string]any{"displayName": "TVA", "inclusive": false, "jurisdiction": "FR"}
	for k, v := range input {
		in[k] = v
	}
	p := c.MutateErr("taxRateCreate", `mutation($input: TaxRateCreateInput!) { taxRateCreate(input: $input) {
  taxRate { id percentage category exemptionReason exemptionCode } `+userErrorFields+` } }`, map[string]any{"input": in})
	var id string
	if tr, ok := p["taxRate"].(map[string]any); ok {
		id, _ = tr["id"].(string)
	}
	return id, p
}

// sellerWithVAT gives the account a French identity and VAT number.
func (c *client) sellerWithVAT() {
	c.t.Helper()
	p := c.accountUpdate(map[string]any{"legalName": "Acme SAS", "siren": "732829320", "vatNumber": "FR44732829320", "operationCategory": "SERVICES",
		"address": map[string]any{"line1": "1 rue de la Paix", "postalCode": "75002", "city": "Paris", "country": "FR"}})
	if ue := p["userErrors"].([]any); len(ue) > 0 {
		c.t.Fatalf("accountUpdate: %v", ue)
	}
}

// breakdown reads an invoice's tax breakdown as "category percentage
// taxable tax [code] [reason]" strings.
func breakdown(t testing.TB, inv any) []string {
	t.Helper()
	var out []string
	for _, x := range apitest.Get(t, inv, "taxes").([]any) {
		tx := x.(map[string]any)
		s := strings.Join([]string{apitest.Str(t, tx, "category"), apitest.Str(t, tx, "percentage"),
			money(t, tx, "taxableAmount"), money(t, tx, "amount")}, " ")
		if code, _ := tx["exemptionCode"].(string); code != "" {
			s += " " + code
		}
		if reason, _ := tx["exemptionReason"].(string); reason != "" {
			s += " " + reason
		}
		out = append(out, s)
	}
	return out
}

func TestTaxRateCategories(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		// Defaults: S above 0 %, Z at 0 %; AE, K, G and O take their
		// generic VATEX code.
		for _, tt := range []struct {
			in                 map[string]any
			category, code, re string
		}{
			{map[string]any{"percentage": "20"}, "S", "", ""},
			{map[string]any{"percentage": "0"}, "Z", "", ""},
			{map[string]any{"percentage": "0", "category": "AE"}, "AE", "VATEX-EU-AE", ""},
			{map[string]any{"percentage": "0", "category": "K"}, "K", "VATEX-EU-IC", ""},
			{map[string]any{"percentage": "0", "category": "G"}, "G", "VATEX-EU-G", ""},
			{map[string]any{"percentage": "0", "category": "O", "exemptionReason": "Hors champ"}, "O", "VATEX-EU-O", "Hors champ"},
			{map[string]any{"percentage": "0", "category": "E", "exemptionReason": "TVA non applicable, art. 293 B du CGI", "exemptionCode": "vatex-fr-franchise"},
				"E", "VATEX-FR-FRANCHISE", "TVA non applicable, art. 293 B du CGI"},
		} {
			id, p := c.vatRate(tt.in)
			if id == "" {
				t.Fatalf("%v: %v", tt.in, p["userErrors"])
			}
			eq(t, "category", apitest.Str(t, p, "taxRate", "category"), tt.category)
			eq(t, "code", apitest.Str(t, p, "taxRate", "exemptionCode"), tt.code)
			eq(t, "reason", apitest.Str(t, p, "taxRate", "exemptionReason"), tt.re)
		}
		// Refusals, each at its field, nothing created.
		before := dbState(t, c.Env)
		for _, tt := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"percentage": "0", "category": "S"}, "input.percentage"},
			{map[string]any{"percentage": "5.5", "category": "Z"}, "input.percentage"},
			{map[string]any{"percentage": "20", "category": "AE"}, "input.percentage"},
			{map[string]any{"percentage": "0", "category": "E"}, "input.exemptionReason"},
			{map[string]any{"percentage": "0", "category": "E", "exemptionReason": "Exonéré", "exemptionCode": "VATEX-EU-999"}, "input.exemptionCode"},
			{map[string]any{"percentage": "0", "category": "E", "exemptionReason": "Exonéré", "exemptionCode": "VATEX-EU-AE"}, "input.exemptionCode"},
			{map[string]any{"percentage": "20", "exemptionReason": "why not"}, "input.exemptionReason"},
			{map[string]any{"percentage": "0", "category": "Z", "exemptionCode": "VATEX-EU-O"}, "input.exemptionCode"},
		} {
			_, p := c.vatRate(tt.in)
			ue := p["userErrors"].([]any)
			if len(ue) != 1 || apitest.Str(t, ue[0], "code") != "INVALID" || strings.Join(strs(apitest.Get(t, ue[0], "field")), ".") != tt.field {
				t.Errorf("%v: userErrors %v, want INVALID at %s", tt.in, ue, tt.field)
			}
		}
		// An unknown category is refused by the schema's enum.
		res := c.Do(apitest.Request{Query: `mutation { taxRateCreate(input: {displayName: "X", percentage: "0", inclusive: false, category: X}) { taxRate { id } } }`})
		if len(res.Errors) == 0 {
			t.Error("category X accepted")
		}
		sameDB(t, c.Env, before)

		// Rates created before categories existed (category '') read as S
		// above 0 % and Z at 0 %, even when a query asks for the category
		// alone.
		if _, err := c.Store.DB.Exec(`UPDATE tax_rates SET category = '', exemption_code = '' WHERE category IN ('S', 'Z')`); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, e := range apitest.Get(t, c.Query(`{ taxRates(first: 50) { edges { node { category } } } }`, nil), "taxRates", "edges").([]any) {
			got[apitest.Str(t, e, "node", "category")]++
		}
		sameJSON(t, "categories", got, map[string]int{"S": 1, "Z": 1, "AE": 1, "K": 1, "G": 1, "O": 1, "E": 1})

		// A customer's exemption code must be of its status's category.
		p := c.customerCreate(map[string]any{"name": "Klinik", "taxExempt": "REVERSE", "taxExemptionCode": "VATEX-EU-132"})
		wantCodes(t, p, "input.customer.taxExemptionCode:INVALID")
		p = c.customerCreate(map[string]any{"name": "Klinik", "taxExempt": "EXEMPT", "taxExemptionCode": "VATEX-EU-NOPE"})
		wantCodes(t, p, "input.customer.taxExemptionCode:INVALID")
		cus := c.newCustomer("Klinik", "klinik@example.com", "taxExempt", "EXEMPT", "taxExemptionCode", "VATEX-EU-132-1B",
			"taxExemptionReason", "Hospital care, Article 132(1)(b) of Directive 2006/112/EC")
		p = c.customerUpdate(cus, map[string]any{"taxExempt": "REVERSE"})
		wantCodes(t, p, "input.customer.taxExemptionCode:INVALID")
		eq(t, "status kept", apitest.Str(t, c.customer(cus), "taxExempt"), "EXEMPT")
	})
}

// TestReverseChargeInvoice is the example: 1 000 € of services at
// 20 % for a reverse-charge customer is 0 € of VAT, category AE, 1 000 €
// in total, where it used to be 1 200 € with the reverse-charge mention.
func TestReverseChargeInvoice(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Rosen GmbH", "ap@rosen.example", "taxExempt", "REVERSE", "preferredLocales", []any{"fr"},
			"taxIds", []any{map[string]any{"type": "eu_vat", "value": "DE136695976"}})
		draft := c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": []any{line("Conseil", "1", "1000", "taxRates", []any{vat})}})
		// The draft previews what finalization issues.
		eq(t, "draft tax", money(t, draft, "totalTax"), "0.00")
		eq(t, "draft total", money(t, draft, "total"), "1000.00")

		inv := c.finalize(apitest.Str(t, draft, "id"))
		eq(t, "status", apitest.Str(t, inv, "status"), "OPEN")
		eq(t, "subtotal", money(t, inv, "subtotal"), "1000.00")
		eq(t, "total excluding tax", money(t, inv, "totalExcludingTax"), "1000.00")
		eq(t, "tax", money(t, inv, "totalTax"), "0.00")
		eq(t, "total", money(t, inv, "total"), "1000.00")
		eq(t, "amount due", money(t, inv, "amountDue"), "1000.00")
		got := c.Query(`query($id: ID!) { invoice(id: $id) { `+vatTaxesFields+`
  lines { taxAmounts { category percentage amount { amount } } } customerDetails { taxExempt } } }`, map[string]any{"id": apitest.Str(t, inv, "id")})["invoice"]
		sameJSON(t, "breakdown", breakdown(t, got), []string{"AE 0 1000.00 0.00 VATEX-EU-AE"})
		eq(t, "breakdown rate", apitest.Str(t, got, "taxes", 0, "taxRateId"), vat)
		sameJSON(t, "line tax", apitest.Get(t, got, "lines", 0, "taxAmounts"),
			[]any{map[string]any{"category": "AE", "percentage": "0", "amount": map[string]any{"amount": "0.00"}}})

		text := pdfText(t, c.Env, apitest.Str(t, inv, "id"))
		for _, want := range []string{
			"Autoliquidation – art. 196 directive 2006/112/CE", "TVA due par le preneur (autoliquidation).",
			"Total HT 1 000,00 €", "Total TVA (autoliquidation) 0,00 €", "Total TTC 1 000,00 €",
			"N° TVA intracommunautaire : DE136695976", "N° TVA intracommunautaire : FR44732829320",
			"1 000,00 € à régler au plus tard le",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF lacks %q:\n%s", want, text)
			}
		}
		for _, unwanted := range []string{"200,00", "1 200,00", "TVA 20"} {
			if strings.Contains(text, unwanted) {
				t.Errorf("PDF has %q:\n%s", unwanted, text)
			}
		}
	})
}

// TestExemptCustomerInvoice: an exempt customer's invoice is category E
// with the customer's reason and VATEX code, and needs no VAT number.
func TestExemptCustomerInvoice(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("VAT", "20", false)
		reduced := c.taxRate("VAT", "5.5", false)
		const reason = "Medical care, Article 132(1)(c) of Directive 2006/112/EC"
		cus := c.newCustomer("Clinic", "ap@clinic.example", "taxExempt", "EXEMPT", "preferredLocales", []any{"en"},
			"taxExemptionReason", reason, "taxExemptionCode", "VATEX-EU-132-1C")
		draft := c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": []any{
			line("Consultation", "3", "150", "taxRates", []any{vat}),
			line("Leaflets", "2", "12.50", "taxRates", []any{reduced}),
		}})
		inv := c.finalize(apitest.Str(t, draft, "id"))
		// 3 × 150 + 2 × 12.50 = 475.00; both rates become E at 0 %: one
		// group of 475.00, no tax.
		eq(t, "tax", money(t, inv, "totalTax"), "0.00")
		eq(t, "total", money(t, inv, "total"), "475.00")
		got := c.Query(`query($id: ID!) { invoice(id: $id) { `+vatTaxesFields+` } }`, map[string]any{"id": apitest.Str(t, inv, "id")})["invoice"]
		sameJSON(t, "breakdown", breakdown(t, got), []string{"E 0 475.00 0.00 VATEX-EU-132-1C " + reason})

		text := pdfText(t, c.Env, apitest.Str(t, inv, "id"))
		for _, want := range []string{
			"VAT exempt 0% €475.00 €0.00", "VAT exemption, " + reason, "code VATEX-EU-132-1C",
			"Total excluding tax €475.00", "Total tax (exempt) €0.00", "Total €475.00",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "€95.00") || strings.Contains(text, "Reverse charge") {
			t.Errorf("PDF charges VAT or says reverse charge:\n%s", text)
		}
	})
}

// TestStandardAndZeroRatedLines: a customer who pays VAT, with lines at
// 20 % under two rate objects, at 5.5 % and zero rated: one group per
// category and rate, the two 20 % rates together, rounded once.
func TestStandardAndZeroRatedLines(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("TVA", "20", false)
		vatToo := c.taxRate("TVA", "20", false) // e.g. created twice by mistake
		reduced := c.taxRate("TVA", "5.5", false)
		zero, p := c.vatRate(map[string]any{"percentage": "0", "category": "Z"})
		if zero == "" {
			t.Fatal(p)
		}
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com", "preferredLocales", []any{"fr"})
		inv := c.finalize(apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": []any{
			line("A", "1", "0.03", "taxRates", []any{vat}),
			line("B", "1", "0.03", "taxRates", []any{vatToo}),
			line("Livres", "2", "12.50", "taxRates", []any{reduced}),
			line("Exportable", "1", "50", "taxRates", []any{zero}),
		}}), "id"))
		// S 20 %: 0.06 × 20 % = 0.012 → 0.01 (two groups would round
		// 0.006 twice: 0.02). S 5.5 %: 25.00 × 5.5 % = 1.375 → 1.38.
		// Z: 50.00, no tax. Total 75.06 + 1.39 = 76.45.
		got := c.Query(`query($id: ID!) { invoice(id: $id) { `+vatTaxesFields+` totalTax { amount } total { amount } } }`,
			map[string]any{"id": apitest.Str(t, inv, "id")})["invoice"]
		sameJSON(t, "breakdown", breakdown(t, got), []string{"S 20 0.06 0.01", "S 5.5 25.00 1.38", "Z 0 50.00 0.00"})
		eq(t, "tax", money(t, got, "totalTax"), "1.39")
		eq(t, "total", money(t, got, "total"), "76.45")
		text := pdfText(t, c.Env, apitest.Str(t, inv, "id"))
		for _, want := range []string{"TVA taux zéro", "50,00 €", "Total TVA 1,39 €", "Total TTC 76,45 €"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Autoliquidation") || strings.Contains(text, "Exonération") {
			t.Errorf("PDF has an exemption mention:\n%s", text)
		}
	})
}

// TestReverseChargeNeedsVATNumbers: finalizing a reverse-charge invoice
// without the buyer's and the seller's VAT numbers is refused, each at its
// field, and writes nothing (no number is used up).
func TestReverseChargeNeedsVATNumbers(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Rosen GmbH", "ap@rosen.example", "taxExempt", "REVERSE")
		id := apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR",
			"lines": []any{line("Conseil", "1", "1000", "taxRates", []any{vat})}}), "id")

		before := dbState(t, c.Env)
		p := c.invoiceOp("invoiceFinalize", map[string]any{"id": id})
		wantCodes(t, p, "input.customer.taxIds:TAX_ID_REQUIRED", "input.issuer.vatNumber:TAX_ID_REQUIRED")
		if p["invoice"] != nil {
			t.Errorf("refused finalization returned the invoice: %v", p["invoice"])
		}
		sameDB(t, c.Env, before)

		// The buyer's number alone is not enough; a tax ID that is not a
		// VAT number does not count.
		if ue := c.customerUpdate(cus, map[string]any{"taxIds": []any{map[string]any{"type": "us_ein", "value": "12-3456789"}}})["userErrors"].([]any); len(ue) > 0 {
			t.Fatal(ue)
		}
		p = c.invoiceOp("invoiceFinalize", map[string]any{"id": id})
		wantCodes(t, p, "input.customer.taxIds:TAX_ID_REQUIRED", "input.issuer.vatNumber:TAX_ID_REQUIRED")
		c.customerUpdate(cus, map[string]any{"taxIds": []any{map[string]any{"type": "eu_vat", "value": "DE136695976"}}})
		before = dbState(t, c.Env)
		p = c.invoiceOp("invoiceFinalize", map[string]any{"id": id})
		wantCodes(t, p, "input.issuer.vatNumber:TAX_ID_REQUIRED")
		sameDB(t, c.Env, before)

		c.sellerWithVAT()
		inv := c.finalize(id)
		eq(t, "number", apitest.Str(t, inv, "number"), "ACMESAS-0001") // no number was used up by the refusals
		eq(t, "tax", money(t, inv, "totalTax"), "0.00")

		// A customer who pays VAT needs no VAT number.
		plain := c.newCustomer("Jenny", "jenny@example.com")
		inv = c.finalize(apitest.Str(t, c.createInvoice(plain, map[string]any{"currency": "EUR",
			"lines": []any{line("Conseil", "1", "1000", "taxRates", []any{vat})}}), "id"))
		eq(t, "tax", money(t, inv, "totalTax"), "200.00")
	})
}

// TestTaxStatusChangedAfterDraft: a draft previews its customer's status
// as it was when the draft last changed; finalization issues the status
// as it is then, lines included.
func TestTaxStatusChangedAfterDraft(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Rosen GmbH", "ap@rosen.example",
			"taxIds", []any{map[string]any{"type": "eu_vat", "value": "DE136695976"}})
		lines := []any{line("Conseil", "1", "600", "taxRates", []any{vat}), line("Audit", "1", "400", "taxRates", []any{vat})}
		toReverse := apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": lines}), "id")
		eq(t, "draft tax", money(t, c.invoice(toReverse), "totalTax"), "200.00")

		c.customerUpdate(cus, map[string]any{"taxExempt": "REVERSE"})
		eq(t, "draft tax, not recomputed until it changes", money(t, c.invoice(toReverse), "totalTax"), "200.00")
		inv := c.finalize(toReverse)
		eq(t, "tax", money(t, inv, "totalTax"), "0.00")
		eq(t, "total", money(t, inv, "total"), "1000.00")
		eq(t, "amount due", money(t, inv, "amountDue"), "1000.00")
		for i, want := range []string{"600.00", "400.00"} {
			eq(t, "line category", apitest.Str(t, inv, "lines", i, "taxAmounts", 0, "percentage"), "0")
			eq(t, "line taxable", money(t, inv, "lines", i, "taxAmounts", 0, "taxableAmount"), want)
			eq(t, "line tax", money(t, inv, "lines", i, "taxAmounts", 0, "amount"), "0.00")
		}

		// And back: a REVERSE draft finalized once the customer pays VAT.
		back := apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": lines}), "id")
		eq(t, "draft tax", money(t, c.invoice(back), "totalTax"), "0.00")
		c.customerUpdate(cus, map[string]any{"taxExempt": "NONE"})
		inv = c.finalize(back)
		// 600 × 20 % = 120.00, 400 × 20 % = 80.00.
		eq(t, "tax", money(t, inv, "totalTax"), "200.00")
		eq(t, "total", money(t, inv, "total"), "1200.00")
		eq(t, "line tax", money(t, inv, "lines", 0, "taxAmounts", 0, "amount"), "120.00")
		eq(t, "line tax", money(t, inv, "lines", 1, "taxAmounts", 0, "amount"), "80.00")
		got := c.Query(`query($id: ID!) { invoice(id: $id) { `+vatTaxesFields+` } }`, map[string]any{"id": apitest.Str(t, inv, "id")})["invoice"]
		sameJSON(t, "breakdown", breakdown(t, got), []string{"S 20 1000.00 200.00"})
	})
}

// TestOutOfScopeStandsAlone: lines outside the scope of VAT (category O)
// are invoiced alone (EN 16931 BR-O-11): with a standard-rated line the
// finalization is refused and writes nothing; alone, the invoice issues.
func TestOutOfScopeStandsAlone(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("TVA", "20", false)
		outside, p := c.vatRate(map[string]any{"percentage": "0", "category": "O"})
		if outside == "" {
			t.Fatal(p)
		}
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		mixed := c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": []any{
			line("Débours", "1", "80", "taxRates", []any{outside}),
			line("Conseil", "1", "100", "taxRates", []any{vat}),
		}})
		before := dbState(t, c.Env)
		wantCodes(t, c.invoiceOp("invoiceFinalize", map[string]any{"id": apitest.Str(t, mixed, "id")}), "input.lines:INVALID")
		sameJSON(t, "data after the refusal", dbState(t, c.Env), before)

		alone := c.finalize(apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR", "lines": []any{
			line("Débours", "1", "80", "taxRates", []any{outside}),
		}}), "id"))
		got := c.Query(`query($id: ID!) { invoice(id: $id) { `+vatTaxesFields+` total { amount } } }`, map[string]any{"id": apitest.Str(t, alone, "id")})["invoice"]
		sameJSON(t, "breakdown", breakdown(t, got), []string{"O 0 80.00 0.00 VATEX-EU-O"})
		eq(t, "total", money(t, got, "total"), "80.00")
	})
}
