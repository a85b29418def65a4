package billingtest_test

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// Defects of the documents a customer reads (issue 13, item 6), each read
// back from the PDF (pdftotext) or the hosted page's HTML.

// attachCard gives a customer a default test card.
func (c *client) attachCard(cus string) {
	c.t.Helper()
	c.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, setDefault: true, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}}) { userErrors { code message } } }`,
		map[string]any{"c": cus})
}

// pay pays an open invoice (the next installment of a plan) with the
// customer's default card.
func (c *client) pay(id, key string) map[string]any {
	c.t.Helper()
	p := c.MutateKeyed("invoicePay", `mutation($in: InvoicePayInput!) { invoicePay(input: $in) {
  invoice { id status hostedInvoiceUrl } payment { status } `+userErrorFields+` } }`, map[string]any{"in": map[string]any{"id": id}}, key)
	if ue := p["userErrors"].([]any); len(ue) > 0 {
		c.t.Fatalf("invoicePay: %v", ue)
	}
	return p
}

// hostedURL reads an invoice's hosted page link.
func (c *client) hostedURL(id string) string {
	c.t.Helper()
	return apitest.Str(c.t, c.Query(`query($id: ID!) { invoice(id: $id) { hostedInvoiceUrl } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
}

// TestPaidInvoiceSaysSo: a paid invoice's PDF and hosted page say it is
// paid, when and how, where they used to ask for "0,00 € à régler au plus
// tard le …".
func TestPaidInvoiceSaysSo(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("TVA", "20", false)
		lines := []any{line("Conseil", "1", "1000", "taxRates", []any{vat})}

		// Paid outside Remit, by bank transfer: 1 000 + 20 % = 1 200.
		fr := c.newCustomer("Jenny Rosen", "jenny@example.com", "preferredLocales", []any{"fr"})
		inv := c.finalize(apitest.Str(t, c.createInvoice(fr, map[string]any{"currency": "EUR", "lines": lines}), "id"))
		id := apitest.Str(t, inv, "id")
		ref := "VIR-" + id[len(id)-6:]
		paid := c.markPaid(id)
		eq(t, "status", apitest.Str(t, paid, "status"), "PAID")
		text := pdfText(t, c.Env, id)
		contains(t, "PDF", text, "1 200,00 € réglé le 15/01/2026 par virement bancaire (réf. "+ref+"), paiement enregistré par le vendeur",
			"Montant dû 0,00 €")
		lacks(t, "PDF", text, "à régler")
		page := hostedPage(t, c.Env, c.hostedURL(id))
		contains(t, "hosted page", page, "Réglée le 15/01/2026 — Virement, référence "+ref+", enregistré par le vendeur")
		lacks(t, "hosted page", page, "Échéance")

		// Paid by card through Remit, read in English.
		en := c.newCustomer("Sam Smith", "sam@example.com", "preferredLocales", []any{"en"})
		c.attachCard(en)
		inv = c.finalize(apitest.Str(t, c.createInvoice(en, map[string]any{"currency": "EUR", "lines": lines}), "id"))
		id = apitest.Str(t, inv, "id")
		eq(t, "status", apitest.Str(t, c.pay(id, "paid-"+id), "invoice", "status"), "PAID")
		text = pdfText(t, c.Env, id)
		contains(t, "PDF", text, "€1,200.00 paid on Jan 15, 2026 by card")
		lacks(t, "PDF", text, "€0.00 due")
		page = hostedPage(t, c.Env, c.hostedURL(id))
		contains(t, "hosted page", page, "€1,200.00 Paid on Jan 15, 2026 — Card Paid")
		lacks(t, "hosted page", page, "Date due", "€0.00")
	})
}

// TestEnglishPDFLegalWording: an English PDF of a French seller prints the
// late-payment penalty in English, legal default rate and indemnity
// included, where it used to print them in French.
func TestEnglishPDFLegalWording(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		en := c.newCustomer("Sam Smith", "sam@example.com", "preferredLocales", []any{"en"})
		text := pdfText(t, c.Env, apitest.Str(t, c.finalize(apitest.Str(t, c.createInvoice(en, map[string]any{"currency": "EUR"}), "id")), "id"))
		contains(t, "PDF", text, "Late payment: penalties at three times the French legal interest rate are due from the day after the due date, "+
			"plus a fixed indemnity for recovery costs of €40")
		lacks(t, "PDF", text, "trois fois", "taux d'intérêt", "40 €")
		fr := c.newCustomer("Jenny Rosen", "jenny@example.com", "preferredLocales", []any{"fr"})
		text = pdfText(t, c.Env, apitest.Str(t, c.finalize(apitest.Str(t, c.createInvoice(fr, map[string]any{"currency": "EUR"}), "id")), "id"))
		contains(t, "PDF", text, "des pénalités au taux de trois fois le taux d'intérêt légal", "indemnité forfaitaire pour frais de recouvrement de 40 €")
	})
}

// TestPaymentPlanPDF: a plan's installments are named ("Échéance 2"), and
// the headline asks for the next installment by its own date, where it
// used to print "– 2 :" and the whole amount by the last date.
func TestPaymentPlanPDF(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com", "preferredLocales", []any{"fr"})
		c.attachCard(cus)
		// 1 200,00 € in three installments, due 30, 60 and 90 days after
		// finalization on 15/01/2026: 14/02, 16/03 and 15/04/2026.
		inv := c.finalize(apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR",
			"lines": []any{line("Installation", "1", "1200")},
			"amountsDue": []any{
				map[string]any{"amount": "400", "daysUntilDue": 30},
				map[string]any{"amount": "400", "daysUntilDue": 60},
				map[string]any{"amount": "400", "daysUntilDue": 90, "description": "Solde"},
			}}), "id"))
		id := apitest.Str(t, inv, "id")
		text := pdfText(t, c.Env, id)
		contains(t, "PDF", text,
			"Échéance 1 sur 3 : 400,00 € à régler au plus tard le 14/02/2026",
			"Échéancier : – Échéance 1 : 400,00 € — 14/02/2026 – Échéance 2 : 400,00 € — 16/03/2026 – Solde : 400,00 € — 15/04/2026")
		lacks(t, "PDF", text, "– 2 :", "1 200,00 € à régler")

		c.pay(id, "plan-1-"+id)
		text = pdfText(t, c.Env, id)
		contains(t, "PDF", text, "Échéance 2 sur 3 : 400,00 € à régler au plus tard le 16/03/2026",
			"– Échéance 1 : 400,00 € — 14/02/2026 (réglée)")
		lacks(t, "PDF", text, "800,00 € à régler")
	})
}

// TestShippingAddressPrinted: the customer's shipping address, stored
// and frozen with the invoice, is printed as the delivery address.
func TestShippingAddressPrinted(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com", "preferredLocales", []any{"fr"},
			"address", map[string]any{"line1": "8 avenue Foch", "postalCode": "69006", "city": "Lyon", "country": "FR"},
			"shipping", map[string]any{"name": "Entrepôt Rosen", "address": map[string]any{
				"line1": "Hafenstraße 1", "postalCode": "20457", "city": "Hamburg", "country": "DE"}})
		id := apitest.Str(t, c.finalize(apitest.Str(t, c.createInvoice(cus, map[string]any{"currency": "EUR"}), "id")), "id")
		layout := pdfLayout(t, c.Env, id)
		text := strings.Join(strings.Fields(layout), " ")
		contains(t, "PDF", text, "Adresse de livraison", "Entrepôt Rosen", "Hafenstraße 1", "20457 Hamburg", "Allemagne")
		// Beside the buyer's block, on the lines of its address.
		for _, pair := range [][2]string{{"8 avenue Foch", "Hafenstraße 1"}, {"69006 Lyon", "20457 Hamburg"}} {
			found := false
			for _, l := range strings.Split(layout, "\n") {
				found = found || (strings.Contains(l, pair[0]) && strings.Contains(l, pair[1]) && strings.Index(l, pair[0]) < strings.Index(l, pair[1]))
			}
			if !found {
				t.Errorf("%q is not printed beside %q:\n%s", pair[1], pair[0], layout)
			}
		}

		// Without a shipping address, no delivery block.
		plain := c.newCustomer("Sam", "sam@example.com", "preferredLocales", []any{"fr"})
		text = pdfText(t, c.Env, apitest.Str(t, c.finalize(apitest.Str(t, c.createInvoice(plain, map[string]any{"currency": "EUR"}), "id")), "id"))
		lacks(t, "PDF", text, "Adresse de livraison")
	})
}
