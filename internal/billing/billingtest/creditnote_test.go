package billingtest_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// Credit notes through the GraphQL API over HTTP, on SQLite and
// PostgreSQL (reference §5.3): pre-payment credits on open invoices,
// post-payment credits on paid ones, mixed on a partly paid plan, voiding,
// numbering, every refusal, and concurrent credit notes on one invoice.

const creditNoteFields = `
fragment CN on CreditNote {
  id number status type reason currency memo metadata pdfUrl voidedAt createdAt
  invoice { id number status amountDue { amount } amountRemaining { amount }
    prePaymentCreditNotesAmount { amount } postPaymentCreditNotesAmount { amount } }
  customer { id }
  lines { id type method description quantity unitAmount invoiceLine { id }
    amount { amount } discountAmount { amount }
    taxAmounts { taxRateId percentage inclusive taxableAmount { amount } amount { amount } } }
  subtotal { amount } totalDiscount { amount } totalExcludingTax { amount } totalTax { amount } total { amount currency }
  taxes { taxRateId displayName percentage inclusive taxableAmount { amount } amount { amount } }
  prePaymentAmount { amount } postPaymentAmount { amount } refundAmount { amount } creditAmount { amount } outOfBandAmount { amount }
}`

const creditNotePreviewFields = `
fragment CNP on CreditNotePreview {
  type reason currency memo invoice { id amountDue { amount } }
  lines { id type method description quantity unitAmount invoiceLine { id } amount { amount } discountAmount { amount } }
  subtotal { amount } totalDiscount { amount } totalExcludingTax { amount } totalTax { amount } total { amount }
  taxes { taxRateId percentage inclusive taxableAmount { amount } amount { amount } }
  prePaymentAmount { amount } postPaymentAmount { amount } creditAmount { amount } outOfBandAmount { amount }
}`

// creditNoteOp runs a credit note mutation (creditNoteCreate, Update, Void)
// and returns its payload, userErrors and all.
func (c *client) creditNoteOp(field string, input map[string]any) map[string]any {
	c.t.Helper()
	typ := map[string]string{
		"creditNoteCreate": "CreditNoteCreateInput", "creditNoteUpdate": "CreditNoteUpdateInput", "creditNoteVoid": "CreditNoteVoidInput",
	}[field]
	return c.MutateErr(field, fmt.Sprintf(`mutation($input: %s!) { %s(input: $input) { creditNote { ...CN } %s } }`, typ, field, userErrorFields)+creditNoteFields,
		map[string]any{"input": input})
}

// creditNote issues a credit note that must succeed (no email unless the
// input says so) and returns it.
func (c *client) creditNote(input map[string]any) map[string]any {
	c.t.Helper()
	if _, ok := input["email"]; !ok {
		input["email"] = false
	}
	p := c.creditNoteOp("creditNoteCreate", input)
	if ue := p["userErrors"].([]any); len(ue) > 0 {
		c.t.Fatalf("creditNoteCreate: unexpected userErrors: %v", ue)
	}
	return p["creditNote"].(map[string]any)
}

func (c *client) previewCreditNote(input map[string]any) map[string]any {
	c.t.Helper()
	data := c.Query(`query($input: CreditNoteCreateInput!) { creditNotePreview(input: $input) { creditNote { ...CNP } `+userErrorFields+` } }`+creditNotePreviewFields,
		map[string]any{"input": input})
	return data["creditNotePreview"].(map[string]any)
}

// issued creates and finalizes an invoice; lines default to the client's.
func (c *client) issued(customer string, input map[string]any) map[string]any {
	c.t.Helper()
	return c.finalize(apitest.Str(c.t, c.createInvoice(customer, input), "id"))
}

// lineID is the id of line i of invoice inv.
func lineID(t testing.TB, inv map[string]any, i int) string {
	t.Helper()
	return apitest.Str(t, inv, "lines", i, "id")
}

// prefixOf is the invoice prefix of an invoice number (ACME-0001 → ACME).
func prefixOf(number string) string { return number[:strings.LastIndex(number, "-")] }

// eventTypes lists the types of the events about object, oldest first.
func (c *client) eventTypes(object string) []string {
	c.t.Helper()
	data := c.Query(`query($id: ID!) { events(first: 100, filter: {objectId: $id}) { edges { node { type } } } }`, map[string]any{"id": object})
	var out []string
	for _, e := range apitest.Get(c.t, data, "events", "edges").([]any) {
		out = append(out, e.(map[string]any)["node"].(map[string]any)["type"].(string))
	}
	slices.Reverse(out)
	return out
}

// historyActions lists an invoice's history as "action note".
func (c *client) historyActions(id string) []string {
	c.t.Helper()
	var out []string
	for _, h := range c.invoice(id)["history"].([]any) {
		m := h.(map[string]any)
		out = append(out, m["action"].(string)+" "+m["toStatus"].(string))
	}
	return out
}

// TestCreditNotePrePayment credits an open invoice: the preview writes
// nothing; each credit note takes the next number and comes off the amount
// due, with the invoice lines' own taxes; the one that leaves nothing to
// pay pays the invoice.
func TestCreditNotePrePayment(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		inv := c.issued(cus, map[string]any{"lines": []any{
			line("Formation", "3", "100.00", "taxRates", []any{vat}),
			line("Support", "1", "50.00", "taxRates", []any{vat}),
		}})
		id := apitest.Str(t, inv, "id")
		number := apitest.Str(t, inv, "number")
		eq(t, "invoice total", money(t, inv, "total"), "420.00")
		a, b := lineID(t, inv, 0), lineID(t, inv, 1)

		before := dbState(t, c.Env)
		p := c.previewCreditNote(map[string]any{"invoice": id, "lines": []any{map[string]any{"invoiceLine": a, "quantity": "1"}}})
		wantCodes(t, p)
		pv := p["creditNote"].(map[string]any)
		eq(t, "preview type", pv["type"], any("PRE_PAYMENT"))
		eq(t, "preview subtotal", money(t, pv, "subtotal"), "100.00")
		eq(t, "preview tax", money(t, pv, "totalTax"), "20.00")
		eq(t, "preview total", money(t, pv, "total"), "120.00")
		eq(t, "preview pre-payment", money(t, pv, "prePaymentAmount"), "120.00")
		eq(t, "preview line id", apitest.Str(t, pv, "lines", 0, "id"), "")
		eq(t, "preview line's invoice line", apitest.Str(t, pv, "lines", 0, "invoiceLine", "id"), a)
		sameJSON(t, "data after a preview", dbState(t, c.Env), before)

		c.Clock.Advance(time.Minute)
		cn := c.creditNote(map[string]any{
			"invoice": id, "reason": "DUPLICATE", "memo": "Une journée facturée en double.", "metadata": map[string]any{"ticket": "T-1"},
			"lines": []any{map[string]any{"invoiceLine": a, "quantity": "1"}},
		})
		eq(t, "number", cn["number"], any(prefixOf(number)+"-AV-0001"))
		eq(t, "status", cn["status"], any("ISSUED"))
		eq(t, "type", cn["type"], any("PRE_PAYMENT"))
		eq(t, "reason", cn["reason"], any("DUPLICATE"))
		eq(t, "pdfUrl", cn["pdfUrl"], any("/credit_notes/"+apitest.Str(t, cn, "id")+"/pdf"))
		eq(t, "total", money(t, cn, "total"), "120.00")
		eq(t, "pre-payment", money(t, cn, "prePaymentAmount"), "120.00")
		eq(t, "post-payment", money(t, cn, "postPaymentAmount"), "0.00")
		sameJSON(t, "line", []any{
			apitest.Get(t, cn, "lines", 0, "type"), apitest.Get(t, cn, "lines", 0, "method"), apitest.Get(t, cn, "lines", 0, "description"),
			apitest.Get(t, cn, "lines", 0, "quantity"), apitest.Get(t, cn, "lines", 0, "unitAmount"), apitest.Get(t, cn, "lines", 0, "invoiceLine", "id"),
			money(t, cn, "lines", 0, "amount"), money(t, cn, "lines", 0, "taxAmounts", 0, "amount"),
		}, []any{"INVOICE_LINE", "QUANTITY", "Formation", "1", "100", a, "100.00", "20.00"})
		sameJSON(t, "taxes", []any{apitest.Get(t, cn, "taxes", 0, "taxRateId"), money(t, cn, "taxes", 0, "taxableAmount"), money(t, cn, "taxes", 0, "amount")},
			[]any{vat, "100.00", "20.00"})
		eq(t, "invoice amountDue", money(t, cn, "invoice", "amountDue"), "300.00")
		eq(t, "invoice amountRemaining", money(t, cn, "invoice", "amountRemaining"), "300.00")
		eq(t, "invoice pre-payment credits", money(t, cn, "invoice", "prePaymentCreditNotesAmount"), "120.00")
		eq(t, "invoice status", cn["invoice"].(map[string]any)["status"], any("OPEN"))
		eq(t, "events", strings.Join(c.eventTypes(apitest.Str(t, cn, "id")), ","), "credit_note.created")

		// The rest of the first line by quantity, the second by amount:
		// nothing remains to pay, so the invoice is paid.
		c.Clock.Advance(time.Minute)
		cn2 := c.creditNote(map[string]any{"invoice": id, "lines": []any{
			map[string]any{"invoiceLine": a, "quantity": "2"},
			map[string]any{"invoiceLine": b, "amount": "50.00"},
		}})
		eq(t, "second number", cn2["number"], any(prefixOf(number)+"-AV-0002"))
		eq(t, "second total", money(t, cn2, "total"), "300.00")
		eq(t, "second tax", money(t, cn2, "totalTax"), "50.00")
		eq(t, "credit by amount", apitest.Get(t, cn2, "lines", 1, "method"), any("AMOUNT"))
		eq(t, "credit by amount has no quantity", apitest.Get(t, cn2, "lines", 1, "quantity"), nil)
		after := c.invoice(id)
		eq(t, "invoice status", after["status"], any("PAID"))
		eq(t, "paidAt", after["paidAt"], any(ts(c.Clock.Now())))
		eq(t, "amountDue", money(t, after, "amountDue"), "0.00")
		eq(t, "amountRemaining", money(t, after, "amountRemaining"), "0.00")
		sameJSON(t, "history", c.historyActions(id), []string{"create DRAFT", "finalize OPEN", "credit_note OPEN", "credit_note PAID"})
		invEvents := c.eventTypes(id)
		eq(t, "invoice events", strings.Join(invEvents[len(invEvents)-2:], ","), "invoice.updated,invoice.paid")
		data := c.Query(`query($id: ID!) { invoice(id: $id) { creditNotes { number } prePaymentCreditNotesAmount { amount } } }`, map[string]any{"id": id})
		sameJSON(t, "invoice creditNotes", apitest.Get(t, data, "invoice", "creditNotes"),
			[]any{map[string]any{"number": prefixOf(number) + "-AV-0001"}, map[string]any{"number": prefixOf(number) + "-AV-0002"}})
		eq(t, "invoice pre-payment credits", money(t, data, "invoice", "prePaymentCreditNotesAmount"), "420.00")

		// Nothing is left to credit.
		p = c.creditNoteOp("creditNoteCreate", map[string]any{"invoice": id, "amount": "0.01", "email": false})
		wantCodes(t, p, "input.amount:CREDIT_EXCEEDS_REMAINING")
	})
}

// TestCreditNoteNumbering checks the credit note sequence is gapless and
// its own: invoices keep theirs, and test and live number apart.
func TestCreditNoteNumbering(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		first := c.issued(cus, nil)
		c.creditNote(map[string]any{"invoice": apitest.Str(t, first, "id"), "amount": "10.00"})
		second := c.issued(cus, nil)
		prefix := prefixOf(apitest.Str(t, first, "number"))
		eq(t, "invoice numbers go on", second["number"], any(prefix+"-0002"))
		// A refused credit note takes no number.
		wantCodes(t, c.creditNoteOp("creditNoteCreate", map[string]any{"invoice": apitest.Str(t, second, "id"), "amount": "6000.00", "email": false}),
			"input.amount:CREDIT_EXCEEDS_REMAINING")
		cn := c.creditNote(map[string]any{"invoice": apitest.Str(t, second, "id"), "amount": "10.00"})
		eq(t, "credit note numbers", cn["number"], any(prefix+"-AV-0002"))

		live := c.with(t)
		live.Key = c.NewKey(c.Account, viewer.Live)
		lcus := live.newCustomer("Live Customer", "live@example.com")
		linv := live.issued(lcus, nil)
		lcn := live.creditNote(map[string]any{"invoice": apitest.Str(t, linv, "id"), "amount": "10.00"})
		eq(t, "live numbers apart", lcn["number"], any(prefix+"-AV-0001"))
	})
}

// TestCreditNotePostPayment credits a paid invoice: the credit goes to the
// customer's balance (a CREDIT_NOTE ledger entry and customer.updated),
// the rest is recorded as returned outside Remit, the invoice stays paid,
// the next invoice uses the balance, and the credit note cannot be voided.
func TestCreditNotePostPayment(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		inv := c.issued(cus, map[string]any{"lines": []any{line("Licence", "2", "50.00", "taxRates", []any{vat})}})
		id := apitest.Str(t, inv, "id")
		c.markPaid(id)
		c.Clock.Advance(time.Minute)

		cn := c.creditNote(map[string]any{
			"invoice": id, "reason": "PRODUCT_UNSATISFACTORY",
			"lines":        []any{map[string]any{"invoiceLine": lineID(t, inv, 0), "quantity": "1"}},
			"creditAmount": "40.00", "outOfBandAmount": "20.00",
		})
		eq(t, "type", cn["type"], any("POST_PAYMENT"))
		eq(t, "total", money(t, cn, "total"), "60.00")
		eq(t, "credit", money(t, cn, "creditAmount"), "40.00")
		eq(t, "out of band", money(t, cn, "outOfBandAmount"), "20.00")
		eq(t, "pre-payment", money(t, cn, "prePaymentAmount"), "0.00")
		eq(t, "invoice stays paid", cn["invoice"].(map[string]any)["status"], any("PAID"))
		eq(t, "invoice post-payment credits", money(t, cn, "invoice", "postPaymentCreditNotesAmount"), "60.00")
		eq(t, "balance", c.balance(cus), "-40.00")
		sameJSON(t, "ledger", c.ledger(cus), []string{"CREDIT_NOTE -40.00 → -40.00"})
		data := c.Query(`query($id: ID!) { customer(id: $id) { balanceTransactions(first: 1) { edges { node { creditNote { id number } description } } } } }`, map[string]any{"id": cus})
		eq(t, "ledger entry's credit note", apitest.Str(t, data, "customer", "balanceTransactions", "edges", 0, "node", "creditNote", "id"), apitest.Str(t, cn, "id"))
		cusEvents := c.eventTypes(cus)
		eq(t, "customer event", cusEvents[len(cusEvents)-1], "customer.updated")

		// Void is refused: the invoice is paid.
		before := dbState(t, c.Env)
		wantCodes(t, c.creditNoteOp("creditNoteVoid", map[string]any{"id": apitest.Str(t, cn, "id")}), "input.id:INVALID_TRANSITION")
		sameJSON(t, "data after a refused void", dbState(t, c.Env), before)

		// What was credited is credited once only.
		wantCodes(t, c.creditNoteOp("creditNoteCreate", map[string]any{
			"invoice": id, "amount": "60.01", "creditAmount": "60.01", "email": false,
		}), "input.amount:CREDIT_EXCEEDS_REMAINING")

		// The credit pays part of the next invoice.
		c.Clock.Advance(time.Minute)
		next := c.issued(cus, map[string]any{"lines": []any{line("Licence", "1", "100.00")}})
		eq(t, "next appliedBalance", money(t, next, "appliedBalance"), "-40.00")
		eq(t, "next amountDue", money(t, next, "amountDue"), "60.00")
	})
}

// TestCreditNoteMixedOnPlan credits a partly paid payment plan: the
// post-payment part goes to the balance, the pre-payment part comes off
// the last installment; voiding puts both back.
func TestCreditNoteMixedOnPlan(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		c.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, setDefault: true, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}}) { paymentMethod { id } userErrors { code } } }`, map[string]any{"c": cus})
		inv := c.issued(cus, map[string]any{
			"lines": []any{line("Chantier", "1", "300.00")},
			"amountsDue": []any{
				map[string]any{"amount": "100.00", "daysUntilDue": 10, "description": "Acompte"},
				map[string]any{"amount": "200.00", "daysUntilDue": 40, "description": "Solde"},
			},
		})
		id := apitest.Str(t, inv, "id")
		paid := c.MutateKeyed("invoicePay", `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { invoice { amountPaid { amount } } payment { status } `+userErrorFields+` } }`,
			map[string]any{"in": map[string]any{"id": id}}, "pay-"+id)
		wantCodes(t, paid)
		eq(t, "first installment paid", money(t, paid, "invoice", "amountPaid"), "100.00")
		c.Clock.Advance(time.Minute)

		plan := func() []string {
			data := c.Query(`query($id: ID!) { invoice(id: $id) { amountsDue { amount { amount } status } } }`, map[string]any{"id": id})
			var out []string
			for _, it := range apitest.Get(t, data, "invoice", "amountsDue").([]any) {
				out = append(out, money(t, it, "amount")+" "+it.(map[string]any)["status"].(string))
			}
			return out
		}
		cn := c.creditNote(map[string]any{"invoice": id, "amount": "150.00", "creditAmount": "50.00", "reason": "ORDER_CHANGE"})
		eq(t, "type", cn["type"], any("MIXED"))
		eq(t, "pre-payment", money(t, cn, "prePaymentAmount"), "100.00")
		eq(t, "post-payment", money(t, cn, "postPaymentAmount"), "50.00")
		eq(t, "lump sum line", apitest.Str(t, cn, "lines", 0, "description"), "Credit on invoice "+apitest.Str(t, inv, "number"))
		eq(t, "amountDue", money(t, cn, "invoice", "amountDue"), "200.00")
		eq(t, "amountRemaining", money(t, cn, "invoice", "amountRemaining"), "100.00")
		sameJSON(t, "plan", plan(), []string{"100.00 PAID", "100.00 OPEN"})
		eq(t, "balance", c.balance(cus), "-50.00")

		c.Clock.Advance(time.Minute)
		v := c.creditNoteOp("creditNoteVoid", map[string]any{"id": apitest.Str(t, cn, "id")})
		wantCodes(t, v)
		voided := v["creditNote"].(map[string]any)
		eq(t, "status", voided["status"], any("VOID"))
		eq(t, "voidedAt", voided["voidedAt"], any(ts(c.Clock.Now())))
		eq(t, "amountDue again", money(t, voided, "invoice", "amountDue"), "300.00")
		eq(t, "amountRemaining again", money(t, voided, "invoice", "amountRemaining"), "200.00")
		eq(t, "pre-payment credits", money(t, voided, "invoice", "prePaymentCreditNotesAmount"), "0.00")
		eq(t, "post-payment credits", money(t, voided, "invoice", "postPaymentCreditNotesAmount"), "0.00")
		sameJSON(t, "plan again", plan(), []string{"100.00 PAID", "200.00 OPEN"})
		eq(t, "balance back", c.balance(cus), "0.00")
		sameJSON(t, "ledger", c.ledger(cus), []string{"CREDIT_NOTE 50.00 → 0.00", "CREDIT_NOTE -50.00 → -50.00"})
		sameJSON(t, "events", c.eventTypes(apitest.Str(t, cn, "id")), []string{"credit_note.created", "credit_note.voided"})
		hist := c.historyActions(id)
		eq(t, "history", strings.Join(hist[len(hist)-2:], ","), "credit_note OPEN,credit_note_void OPEN")

		before := dbState(t, c.Env)
		wantCodes(t, c.creditNoteOp("creditNoteVoid", map[string]any{"id": apitest.Str(t, cn, "id")}), "input.id:INVALID_TRANSITION")
		sameJSON(t, "data after voiding twice", dbState(t, c.Env), before)
		// The voided credit note gave its amount back: it can be credited again.
		c.creditNote(map[string]any{"invoice": id, "amount": "200.00"})
		eq(t, "paid by the new credit", c.invoice(id)["status"], any("PAID"))
	})
}

// TestCreditNoteLumpSumTaxes credits an amount alone on an invoice with
// two VAT rates: it splits pro rata to each rate's total, tax included,
// and each part's tax is extracted with the one rounding rule (figures by
// hand: 112.75 over 120.00 and 105.50 is 60.00 and 52.75; 60.00 at 20 %
// holds 10.00 of tax, 52.75 at 5.5 % holds 2.75).
func TestCreditNoteLumpSumTaxes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		std := c.taxRate("TVA", "20", false)
		low := c.taxRate("TVA réduite", "5.5", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		inv := c.issued(cus, map[string]any{"lines": []any{
			line("Service", "1", "100.00", "taxRates", []any{std}),
			line("Livre", "1", "100.00", "taxRates", []any{low}),
		}})
		eq(t, "invoice total", money(t, inv, "total"), "225.50")
		cn := c.creditNote(map[string]any{"invoice": apitest.Str(t, inv, "id"), "amount": "112.75"})
		eq(t, "total", money(t, cn, "total"), "112.75")
		eq(t, "tax", money(t, cn, "totalTax"), "12.75")
		eq(t, "excluding tax", money(t, cn, "totalExcludingTax"), "100.00")
		got := map[string][2]string{}
		for _, tx := range cn["taxes"].([]any) {
			got[tx.(map[string]any)["taxRateId"].(string)] = [2]string{money(t, tx, "taxableAmount"), money(t, tx, "amount")}
		}
		sameJSON(t, "taxes", got, map[string][2]string{std: {"50.00", "10.00"}, low: {"50.00", "2.75"}})
		eq(t, "lines", len(cn["lines"].([]any)), 2)
		eq(t, "amountDue", money(t, cn, "invoice", "amountDue"), "112.75")

		// A custom line with its own rate, and amount as a check.
		cn2 := c.creditNote(map[string]any{"invoice": apitest.Str(t, inv, "id"), "amount": "12.00", "lines": []any{
			map[string]any{"description": "Geste commercial", "quantity": "2", "unitAmount": "5.00", "taxRates": []any{std}},
		}})
		eq(t, "custom line", apitest.Str(t, cn2, "lines", 0, "type"), "CUSTOM")
		eq(t, "custom total", money(t, cn2, "total"), "12.00")
		wantCodes(t, c.creditNoteOp("creditNoteCreate", map[string]any{"invoice": apitest.Str(t, inv, "id"), "amount": "11.00", "email": false, "lines": []any{
			map[string]any{"description": "Geste commercial", "quantity": "2", "unitAmount": "5.00", "taxRates": []any{std}},
		}}), "input.amount:CREDIT_AMOUNT_MISMATCH")
	})
}

// TestCreditNoteDiscountedLine credits a line with a line discount and an
// invoice discount by quantity in pieces: each piece gives back its share
// of both, and the last piece exactly what is left.
func TestCreditNoteDiscountedLine(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		inv := c.issued(cus, map[string]any{
			"lines": []any{line("Heures", "3", "33.33", "taxRates", []any{vat}, "discounts", []any{map[string]any{"percent": "10"}})},
			// 89.99 net, less 10.00 → 79.99, tax 16.00: 95.99.
			"discounts": []any{map[string]any{"amountOff": "10.00"}},
		})
		id, l := apitest.Str(t, inv, "id"), lineID(t, inv, 0)
		eq(t, "invoice total", money(t, inv, "total"), "95.99")
		var total int64
		for i, q := range []string{"1", "1", "1"} {
			cn := c.creditNote(map[string]any{"invoice": id, "lines": []any{map[string]any{"invoiceLine": l, "quantity": q}}})
			var major, minor int64
			fmt.Sscanf(money(t, cn, "total"), "%d.%d", &major, &minor)
			total += major*100 + minor
			if i == 0 {
				// 89.99 / 3 = 30.00 (29.9967), discount 10.00 / 3 = 3.33, tax 20 % of 26.67 = 5.33.
				sameJSON(t, "first piece", []string{money(t, cn, "subtotal"), money(t, cn, "totalDiscount"), money(t, cn, "totalTax"), money(t, cn, "total")},
					[]string{"30.00", "3.33", "5.33", "32.00"})
			}
		}
		eq(t, "pieces add up to the invoice", total, int64(9599))
		eq(t, "status", c.invoice(id)["status"], any("PAID"))
		wantCodes(t, c.creditNoteOp("creditNoteCreate", map[string]any{"invoice": id, "email": false, "lines": []any{map[string]any{"invoiceLine": l, "quantity": "0.5"}}}),
			"input.lines.0.quantity:CREDIT_QUANTITY_EXCEEDS_REMAINING")
	})
}

// TestCreditNoteUpdateAndList edits what stays editable and reads credit
// notes back: by id, by node, and listed with each filter.
func TestCreditNoteUpdateAndList(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		jenny := c.newCustomer("Jenny Rosen", "jenny@example.com")
		max := c.newCustomer("Max Mustermann", "max@example.com")
		ij := c.issued(jenny, nil)
		im := c.issued(max, nil)
		c1 := c.creditNote(map[string]any{"invoice": apitest.Str(t, ij, "id"), "amount": "100.00", "metadata": map[string]any{"a": "1", "b": "2"}})
		c.Clock.Advance(time.Hour)
		c2 := c.creditNote(map[string]any{"invoice": apitest.Str(t, im, "id"), "amount": "200.00"})
		c.Clock.Advance(time.Hour)
		c3 := c.creditNote(map[string]any{"invoice": apitest.Str(t, ij, "id"), "amount": "300.00"})
		c.creditNoteOp("creditNoteVoid", map[string]any{"id": apitest.Str(t, c3, "id")})

		u := c.creditNoteOp("creditNoteUpdate", map[string]any{"id": apitest.Str(t, c1, "id"), "memo": "Remise accordée", "metadata": map[string]any{"a": "", "c": "3"}})
		wantCodes(t, u)
		eq(t, "memo", apitest.Str(t, u, "creditNote", "memo"), "Remise accordée")
		sameJSON(t, "metadata", apitest.Get(t, u, "creditNote", "metadata"), map[string]any{"b": "2", "c": "3"})
		eq(t, "total unchanged", money(t, u, "creditNote", "total"), "100.00")
		sameJSON(t, "events", c.eventTypes(apitest.Str(t, c1, "id")), []string{"credit_note.created", "credit_note.updated"})
		wantCodes(t, c.creditNoteOp("creditNoteUpdate", map[string]any{"id": apitest.Str(t, c1, "id"), "memo": strings.Repeat("x", 1501)}), "input.memo:LIMIT_EXCEEDED")
		wantCodes(t, c.creditNoteOp("creditNoteUpdate", map[string]any{"id": "cn_nope"}), "input.id:NOT_FOUND")

		data := c.Query(`query($id: ID!) { creditNote(id: $id) { number } node(id: $id) { ... on CreditNote { number } } }`, map[string]any{"id": apitest.Str(t, c2, "id")})
		eq(t, "creditNote", apitest.Str(t, data, "creditNote", "number"), apitest.Str(t, c2, "number"))
		eq(t, "node", apitest.Str(t, data, "node", "number"), apitest.Str(t, c2, "number"))

		list := func(filter map[string]any) []string {
			data := c.Query(`query($f: CreditNoteFilter) { creditNotes(first: 10, filter: $f) { totalCount edges { node { id } } } }`, map[string]any{"f": filter})
			var out []string
			for _, e := range apitest.Get(t, data, "creditNotes", "edges").([]any) {
				out = append(out, e.(map[string]any)["node"].(map[string]any)["id"].(string))
			}
			return out
		}
		id := func(cn map[string]any) string { return apitest.Str(t, cn, "id") }
		sameJSON(t, "all, newest first", list(nil), []string{id(c3), id(c2), id(c1)})
		sameJSON(t, "by invoice", list(map[string]any{"invoice": apitest.Str(t, ij, "id")}), []string{id(c3), id(c1)})
		sameJSON(t, "by customer", list(map[string]any{"customer": max}), []string{id(c2)})
		sameJSON(t, "by status", list(map[string]any{"status": []any{"VOID"}}), []string{id(c3)})
		sameJSON(t, "by creation", list(map[string]any{"createdAfter": apitest.Str(t, c2, "createdAt"), "createdBefore": apitest.Str(t, c3, "createdAt")}), []string{id(c2)})

		// Another account finds none of them.
		_, other := c.NewAccount("Other SARL", viewer.Test)
		res := c.Do(apitest.Request{Key: other, Query: `query($id: ID!) { creditNote(id: $id) { id } creditNotes(first: 10) { totalCount } }`, Variables: map[string]any{"id": id(c1)}})
		eq(t, "other account's view", string(res.RawBody), `{"data":{"creditNote":null,"creditNotes":{"totalCount":0}}}`)
	})
}

// TestCreditNoteRefusals sends every kind of bad input: each is a typed
// user error at its field and leaves the data exactly as it was.
func TestCreditNoteRefusals(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		silent := c.newCustomer("No Email", "")
		open := c.issued(cus, map[string]any{"lines": []any{line("Formation", "2", "100.00", "taxRates", []any{vat}), line("Support", "1", "50.00")}})
		other := c.issued(cus, nil)
		paid := c.issued(cus, nil)
		c.markPaid(apitest.Str(t, paid, "id"))
		draft := c.createInvoice(cus, nil)
		voided := c.issued(cus, nil)
		c.byID("invoiceVoid", apitest.Str(t, voided, "id"))
		quiet := c.issued(silent, nil)
		id := apitest.Str(t, open, "id")
		a, b := lineID(t, open, 0), lineID(t, open, 1)
		// Line a was credited by quantity once.
		c.creditNote(map[string]any{"invoice": id, "lines": []any{map[string]any{"invoiceLine": a, "quantity": "1"}}})

		lines := func(ls ...map[string]any) []any {
			out := make([]any, len(ls))
			for i, l := range ls {
				out[i] = l
			}
			return out
		}
		for _, tc := range []struct {
			name  string
			input map[string]any
			want  string
		}{
			{"unknown invoice", map[string]any{"invoice": "in_nope", "amount": "1.00"}, "input.invoice:NOT_FOUND"},
			{"draft", map[string]any{"invoice": apitest.Str(t, draft, "id"), "amount": "1.00"}, "input.invoice:INVALID_TRANSITION"},
			{"void invoice", map[string]any{"invoice": apitest.Str(t, voided, "id"), "amount": "1.00"}, "input.invoice:INVALID_TRANSITION"},
			{"nothing to credit", map[string]any{"invoice": id}, "input.lines:REQUIRED"},
			{"not a decimal", map[string]any{"invoice": id, "amount": "ten"}, "input.amount:INVALID_DECIMAL"},
			{"too precise", map[string]any{"invoice": id, "amount": "1.001"}, "input.amount:INVALID_AMOUNT"},
			{"zero", map[string]any{"invoice": id, "amount": "0"}, "input.amount:INVALID_AMOUNT"},
			{"negative credit", map[string]any{"invoice": id, "amount": "1.00", "creditAmount": "-1.00"}, "input.creditAmount:INVALID_AMOUNT"},
			{"unknown line", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": "il_nope", "quantity": "1"})}, "input.lines.0.invoiceLine:NOT_FOUND"},
			{"another invoice's line", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": lineID(t, other, 0), "quantity": "1"})}, "input.lines.0.invoiceLine:NOT_FOUND"},
			{"quantity and amount", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": b, "quantity": "1", "amount": "1.00"})}, "input.lines.0.quantity:INVALID"},
			{"neither", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": b})}, "input.lines.0.quantity:INVALID"},
			{"bad quantity", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": b, "quantity": "0.00001"})}, "input.lines.0.quantity:INVALID"},
			{"a line twice", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": b, "quantity": "1"}, map[string]any{"invoiceLine": b, "amount": "1.00"})}, "input.lines.1.invoiceLine:INVALID"},
			{"price of an invoice line", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": b, "quantity": "1", "unitAmount": "1.00"})}, "input.lines.0.unitAmount:INVALID"},
			{"quantity over what remains", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": a, "quantity": "1.5"})}, "input.lines.0.quantity:CREDIT_QUANTITY_EXCEEDS_REMAINING"},
			{"amount over what remains", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": b, "amount": "50.01"})}, "input.lines.0.amount:CREDIT_LINE_AMOUNT_EXCEEDS_REMAINING"},
			{"quantity line by amount", map[string]any{"invoice": id, "lines": lines(map[string]any{"invoiceLine": a, "amount": "1.00"})}, "input.lines.0.amount:CREDIT_METHOD_MISMATCH"},
			{"custom line without description", map[string]any{"invoice": id, "lines": lines(map[string]any{"unitAmount": "1.00"})}, "input.lines.0.description:REQUIRED"},
			{"custom line without price", map[string]any{"invoice": id, "lines": lines(map[string]any{"description": "Geste"})}, "input.lines.0.unitAmount:REQUIRED"},
			{"custom line with amount", map[string]any{"invoice": id, "lines": lines(map[string]any{"description": "Geste", "unitAmount": "1.00", "amount": "1.00"})}, "input.lines.0.amount:INVALID"},
			{"unknown tax rate", map[string]any{"invoice": id, "lines": lines(map[string]any{"description": "Geste", "unitAmount": "1.00", "taxRates": []any{"txr_nope"}})}, "input.lines.0.taxRates.0:NOT_FOUND"},
			{"zero custom line", map[string]any{"invoice": id, "lines": lines(map[string]any{"description": "Geste", "unitAmount": "0"})}, "input.lines:INVALID_AMOUNT"},
			{"amount disagrees with lines", map[string]any{"invoice": id, "amount": "10.00", "lines": lines(map[string]any{"invoiceLine": b, "amount": "5.00"})}, "input.amount:CREDIT_AMOUNT_MISMATCH"},
			{"more than remains", map[string]any{"invoice": id, "amount": "250.01"}, "input.amount:CREDIT_EXCEEDS_REMAINING"},
			{"split over the total", map[string]any{"invoice": id, "amount": "10.00", "outOfBandAmount": "10.01"}, "input.outOfBandAmount:CREDIT_SPLIT_EXCEEDS_TOTAL"},
			{"nothing paid to give back", map[string]any{"invoice": id, "amount": "10.00", "creditAmount": "10.00"}, "input.creditAmount:POST_PAYMENT_EXCEEDS_PAID"},
			{"paid invoice owes nothing", map[string]any{"invoice": apitest.Str(t, paid, "id"), "amount": "10.00"}, "input.amount:PRE_PAYMENT_EXCEEDS_REMAINING"},
			{"refund", map[string]any{"invoice": apitest.Str(t, paid, "id"), "amount": "10.00", "refundAmount": "10.00"}, "input.refundAmount:REFUND_EXCEEDS_PAYMENT"},
			{"email without an address", map[string]any{"invoice": apitest.Str(t, quiet, "id"), "amount": "10.00", "email": true}, "input.email:REQUIRED"},
			{"memo too long", map[string]any{"invoice": id, "amount": "1.00", "memo": strings.Repeat("x", 1501)}, "input.memo:LIMIT_EXCEEDED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := c.with(t)
				if _, ok := tc.input["email"]; !ok {
					tc.input["email"] = false
				}
				before := dbState(t, c.Env)
				wantCodes(t, c.creditNoteOp("creditNoteCreate", tc.input), tc.want)
				if p := c.previewCreditNote(tc.input); len(codes(p)) != 1 || codes(p)[0] != tc.want {
					t.Errorf("preview: %v, want %s", codes(p), tc.want)
				}
				sameJSON(t, "data after a refusal", dbState(t, c.Env), before)
			})
		}
		t.Run("void", func(t *testing.T) {
			c := c.with(t)
			before := dbState(t, c.Env)
			wantCodes(t, c.creditNoteOp("creditNoteVoid", map[string]any{"id": "cn_nope"}), "input.id:NOT_FOUND")
			sameJSON(t, "data after a refusal", dbState(t, c.Env), before)
		})
	})
}

// TestCreditNoteConcurrent issues credit notes on one invoice from many
// clients at once: together they never credit more than the invoice, the
// numbers have no gap, and the invoice ends paid.
func TestCreditNoteConcurrent(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		inv := c.issued(cus, map[string]any{"lines": []any{line("Abonnement", "1", "100.00")}})
		id := apitest.Str(t, inv, "id")
		const clients = 16 // 10 fit
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			numbers []string
			refused []string
		)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cc := c.with(t)
				p := cc.creditNoteOp("creditNoteCreate", map[string]any{"invoice": id, "amount": "10.00", "email": false, "metadata": map[string]any{"i": fmt.Sprint(i)}})
				mu.Lock()
				defer mu.Unlock()
				if cn, ok := p["creditNote"].(map[string]any); ok {
					numbers = append(numbers, cn["number"].(string))
				} else {
					refused = append(refused, codes(p)...)
				}
			}()
		}
		wg.Wait()
		eq(t, "issued", len(numbers), 10)
		for _, code := range refused {
			eq(t, "refusal", code, "input.amount:CREDIT_EXCEEDS_REMAINING")
		}
		eq(t, "refused", len(refused), clients-10)
		slices.Sort(numbers)
		prefix := prefixOf(apitest.Str(t, inv, "number"))
		for i, n := range numbers {
			eq(t, "gapless", n, fmt.Sprintf("%s-AV-%04d", prefix, i+1))
		}
		after := c.invoice(id)
		eq(t, "status", after["status"], any("PAID"))
		eq(t, "amountDue", money(t, after, "amountDue"), "0.00")
		data := c.Query(`query($id: ID!) { invoice(id: $id) { prePaymentCreditNotesAmount { amount } creditNotes { total { amount } } } }`, map[string]any{"id": id})
		eq(t, "credited", money(t, data, "invoice", "prePaymentCreditNotesAmount"), "100.00")
		eq(t, "credit notes", len(apitest.Get(t, data, "invoice", "creditNotes").([]any)), 10)
	})
}

// TestCreditNoteRefund gives money back through a credit note's
// refundAmount: a refund of the card payment, linked both ways, which
// counts against what later credit notes and refunds can take, as a
// refund made by paymentRefund counts against credit notes.
func TestCreditNoteRefund(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		c.attachCard(cus)
		inv := c.issued(cus, map[string]any{"lines": []any{line("Licence", "2", "50.00", "taxRates", []any{vat})}})
		id := apitest.Str(t, inv, "id")
		c.pay(id, "pay-"+id)
		c.Clock.Advance(time.Minute)

		cn := c.creditNote(map[string]any{
			"invoice": id, "reason": "DUPLICATE",
			"lines":        []any{map[string]any{"invoiceLine": lineID(t, inv, 0), "quantity": "1"}},
			"refundAmount": "60.00",
		})
		eq(t, "type", cn["type"], any("POST_PAYMENT"))
		eq(t, "refund", money(t, cn, "refundAmount"), "60.00")
		eq(t, "invoice stays paid", cn["invoice"].(map[string]any)["status"], any("PAID"))
		cnID := apitest.Str(t, cn, "id")

		const refundsQuery = `query($id: ID!) { creditNote(id: $id) { refunds { id status reason amount { amount }
  creditNote { id } payment { id amountRefunded { amount } } } } }`
		refunds := c.Query(refundsQuery, map[string]any{"id": cnID})["creditNote"].(map[string]any)["refunds"].([]any)
		if len(refunds) != 1 {
			t.Fatalf("credit note refunds: %v", refunds)
		}
		eq(t, "refund status", apitest.Str(t, refunds[0], "status"), "SUCCEEDED")
		eq(t, "refund reason", apitest.Str(t, refunds[0], "reason"), "DUPLICATE")
		eq(t, "refund amount", money(t, refunds[0], "amount"), "60.00")
		eq(t, "refund's credit note", apitest.Str(t, refunds[0], "creditNote", "id"), cnID)
		eq(t, "payment refunded", money(t, refunds[0], "payment", "amountRefunded"), "60.00")
		paymentID := apitest.Str(t, refunds[0], "payment", "id")

		// A refund made apart takes 30.00 more of what was paid…
		r := c.MutateKeyed("paymentRefund", `mutation($in: PaymentRefundInput!) { paymentRefund(input: $in) { refund { status } `+userErrorFields+` } }`,
			map[string]any{"in": map[string]any{"payment": paymentID, "amount": "30.00"}}, "refund-apart-"+id)
		wantCodes(t, r)
		eq(t, "refund apart", apitest.Str(t, r, "refund", "status"), "SUCCEEDED")

		// …so a credit note can only take the 30.00 left, and refunding more
		// than the payment still holds is refused, with nothing written.
		before := dbState(t, c.Env)
		wantCodes(t, c.creditNoteOp("creditNoteCreate", map[string]any{
			"invoice": id, "amount": "30.01", "refundAmount": "30.01", "email": false, "reason": "DUPLICATE",
		}), "input.amount:CREDIT_EXCEEDS_REMAINING")
		sameJSON(t, "data after a refused credit note", dbState(t, c.Env), before)

		last := c.creditNote(map[string]any{"invoice": id, "amount": "30.00", "refundAmount": "30.00"})
		eq(t, "last refund", money(t, last, "refundAmount"), "30.00")
		p := c.Query(`query($id: ID!) { node(id: $id) { ... on Payment { amountRefunded { amount } } } }`, map[string]any{"id": paymentID})
		eq(t, "payment refunded in full", money(t, p, "node", "amountRefunded"), "120.00")

		// A credit note that refunded money cannot be voided.
		wantCodes(t, c.creditNoteOp("creditNoteVoid", map[string]any{"id": cnID}), "input.id:INVALID_TRANSITION")
	})
}

// TestCreditNoteReverseCharge credits a reverse-charge invoice: the credit
// of its line and a custom line with a 20 % rate are reverse charge too,
// as the invoice was, so the credit note gives back no VAT.
func TestCreditNoteReverseCharge(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.sellerWithVAT()
		vat := c.taxRate("TVA", "20", false)
		cus := c.newCustomer("Rosen GmbH", "ap@rosen.example", "taxExempt", "REVERSE",
			"taxIds", []any{map[string]any{"type": "eu_vat", "value": "DE136695976"}})
		inv := c.issued(cus, map[string]any{"lines": []any{line("Conseil", "1", "1000", "taxRates", []any{vat})}})
		eq(t, "invoice total", money(t, inv, "total"), "1000.00")

		cn := c.creditNote(map[string]any{
			"invoice": apitest.Str(t, inv, "id"), "reason": "ORDER_CHANGE",
			"lines": []any{
				map[string]any{"invoiceLine": lineID(t, inv, 0), "amount": "400.00"},
				map[string]any{"description": "Geste commercial", "quantity": "1", "unitAmount": "100.00", "taxRates": []any{vat}},
			},
		})
		eq(t, "credit total", money(t, cn, "total"), "500.00")
		eq(t, "credit tax", money(t, cn, "totalTax"), "0.00")
		eq(t, "amount due", money(t, cn, "invoice", "amountDue"), "500.00")
		got := c.Query(`query($id: ID!) { creditNote(id: $id) { taxes { category percentage taxableAmount { amount } amount { amount } exemptionCode exemptionReason }
  lines { taxAmounts { category percentage amount { amount } } } } }`, map[string]any{"id": apitest.Str(t, cn, "id")})["creditNote"]
		sameJSON(t, "breakdown", breakdown(t, got), []string{"AE 0 500.00 0.00 VATEX-EU-AE"})
		for i := range 2 {
			eq(t, fmt.Sprintf("line %d category", i), apitest.Str(t, got, "lines", i, "taxAmounts", 0, "category"), "AE")
		}
	})
}

// TestInvoiceWithCreditNotesStands: an open invoice with a credit note
// standing can be neither voided nor revised (the credit note would
// correct an invoice that no longer exists); once the credit note is
// voided, it can.
func TestInvoiceWithCreditNotesStands(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		inv := c.issued(cus, map[string]any{"lines": []any{line("Formation", "3", "100.00")}})
		id := apitest.Str(t, inv, "id")
		cn := c.creditNote(map[string]any{"invoice": id, "amount": "100.00"})

		before := dbState(t, c.Env)
		for _, field := range []string{"invoiceVoid", "invoiceRevise"} {
			p := c.invoiceOp(field, map[string]any{"id": id})
			wantCodes(t, p, "input.id:HAS_CREDIT_NOTES")
		}
		sameJSON(t, "data after refusals", dbState(t, c.Env), before)

		if p := c.creditNoteOp("creditNoteVoid", map[string]any{"id": apitest.Str(t, cn, "id")}); len(p["userErrors"].([]any)) > 0 {
			t.Fatalf("creditNoteVoid: %v", p["userErrors"])
		}
		eq(t, "status", apitest.Str(t, c.byID("invoiceVoid", id), "status"), "VOID")
	})
}
