package servertest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

const (
	recordPaymentFields = `id status methodType outOfBandMethod reference source amount { minorUnits currency } succeededAt paymentMethod { id }`
	recordMutation      = `mutation($in: InvoiceRecordPaymentInput!) { invoiceRecordPayment(input: $in) { invoice { ` + payInvoiceFields + ` } payment { ` + recordPaymentFields + ` } userErrors { field code message } } }`
)

// record runs invoiceRecordPayment.
func (p *payT) record(id, amount, method, reference string, paidAt *time.Time) map[string]any {
	p.t.Helper()
	in := map[string]any{"id": id, "amount": amount, "method": method}
	if reference != "" {
		in["reference"] = reference
	}
	if paidAt != nil {
		in["paidAt"] = paidAt.Format(time.RFC3339)
	}
	return p.payload("invoiceRecordPayment", recordMutation, map[string]any{"in": in}, "")
}

// invoiceEvents lists the types of an object's events, oldest first.
func invoiceEvents(t *testing.T, e *apitest.Env, id string) []string {
	t.Helper()
	var out []string
	for _, ev := range listEvents(t, e, e.Key, map[string]any{"objectId": id}) {
		out = append(out, ev.Type)
	}
	return out
}

// TestRecordPayment books a bank transfer of part of an invoice, then the
// rest: the first is a payment with method type OUT_OF_BAND, its method
// and reference, dated when it was received, that leaves the invoice
// partially paid; the second makes it PAID through the one transition
// path. Bad amounts, a date in the future and unknown methods are refused
// with nothing written; the invoice can no longer be voided, and the
// message says to issue a credit note.
func TestRecordPayment(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "EUR")
		id := p.open(cus, "EUR", "1000.00", nil)
		yesterday := e.Clock.Now().Add(-24 * time.Hour).UTC()

		pl := p.record(id, "400.00", "bank_transfer", "VIR-2026-001", &yesterday)
		if ue := apitest.ErrorCodes(t, pl); len(ue) > 0 {
			t.Fatalf("record: %v", pl["userErrors"])
		}
		pay := pl["payment"].(map[string]any)
		if pay["status"] != "SUCCEEDED" || pay["methodType"] != "OUT_OF_BAND" || pay["outOfBandMethod"] != "bank_transfer" ||
			pay["reference"] != "VIR-2026-001" || minor(t, pay, "amount") != "40000" || pay["paymentMethod"] != nil ||
			!parseTime(t, pay, "succeededAt").Equal(yesterday.Truncate(time.Second)) {
			t.Fatalf("recorded payment %v", pay)
		}
		inv := p.invoice(id)
		if inv["status"] != "OPEN" || inv["standing"] != "PARTIALLY_PAID" {
			t.Errorf("invoice %s/%s, want OPEN/PARTIALLY_PAID", inv["status"], inv["standing"])
		}
		expectMoney(t, "after 400.00", inv, map[string]string{"amountPaid": "40000", "amountRemaining": "60000", "amountPending": "0"})
		if note, ok := historyNote(t, inv, "record_payment"); !ok || !strings.Contains(note, "600.00 remaining") || !strings.Contains(note, "VIR-2026-001") {
			t.Errorf("history %v: record_payment note %q", actionsOf(t, inv), note)
		}
		if n := len(inv["payments"].([]any)); n != 1 || apitest.Str(t, inv, "payments", 0, "methodType") != "OUT_OF_BAND" {
			t.Errorf("payments %v", inv["payments"])
		}
		if n := p.paymentsCount(id); n != 1 {
			t.Errorf("payments(invoice) totalCount %d, want 1", n)
		}
		if evs := invoiceEvents(t, e, apitest.Str(t, pay, "id")); !slices.Equal(evs, []string{"payment.succeeded"}) {
			t.Errorf("payment events %v", evs)
		}

		// Refusals: nothing written, no event.
		before := p.invoice(id)
		events := len(listEvents(t, e, e.Key, nil))
		tomorrow := e.Clock.Now().Add(24 * time.Hour)
		for _, c := range []struct {
			what, amount, method string
			paidAt               *time.Time
			code, field          string
		}{
			{"more than remains", "600.01", "bank_transfer", nil, "AMOUNT_EXCEEDS_REMAINING", "input.amount"},
			{"zero", "0", "bank_transfer", nil, "INVALID_AMOUNT", "input.amount"},
			{"negative", "-10", "bank_transfer", nil, "INVALID_AMOUNT", "input.amount"},
			{"too precise", "1.001", "bank_transfer", nil, "INVALID_AMOUNT", "input.amount"},
			{"empty", "", "bank_transfer", nil, "REQUIRED", "input.amount"},
			{"in the future", "10.00", "bank_transfer", &tomorrow, "INVALID", "input.paidAt"},
			{"unknown method", "10.00", "bitcoin", nil, "INVALID", "input.method"},
		} {
			pl := p.record(id, c.amount, c.method, "", c.paidAt)
			p.refused(c.what, pl, c.code)
			if ue := pl["userErrors"].([]any); len(ue) == 1 {
				var parts []string
				for _, f := range ue[0].(map[string]any)["field"].([]any) {
					parts = append(parts, f.(string))
				}
				if got := strings.Join(parts, "."); got != c.field {
					t.Errorf("%s: field %q, want %q", c.what, got, c.field)
				}
			}
		}
		void := p.payload("invoiceVoid", payVoid, map[string]any{"id": id}, "")
		p.refused("void after a recorded payment", void, "HAS_PAYMENTS")
		if msg := apitest.Str(t, void, "userErrors", 0, "message"); !strings.Contains(msg, "credit note") || !strings.Contains(msg, "creditNoteCreate") {
			t.Errorf("HAS_PAYMENTS message %q does not say to issue a credit note", msg)
		}
		revise := p.payload("invoiceRevise", payRevise, map[string]any{"id": id}, "")
		p.refused("revise after a recorded payment", revise, "HAS_PAYMENTS")
		if msg := apitest.Str(t, revise, "userErrors", 0, "message"); !strings.Contains(msg, "credit note") {
			t.Errorf("HAS_PAYMENTS message %q does not say to issue a credit note", msg)
		}
		p.unchanged("refused records", id, before)
		if n := len(listEvents(t, e, e.Key, nil)); n != events {
			t.Errorf("refusals wrote %d events", n-events)
		}
		// Money received outside Remit is not refunded through Remit.
		p.refused("refund of a recorded payment", p.refund(apitest.Str(t, pay, "id"), "", "", newIdemKey()), "INVALID")

		// The rest: PAID, dated when the money came.
		now := e.Clock.Now().UTC()
		pl = p.record(id, "600.00", "check", "CHQ-7", nil)
		if ue := apitest.ErrorCodes(t, pl); len(ue) > 0 {
			t.Fatalf("record the rest: %v", pl["userErrors"])
		}
		inv = p.invoice(id)
		if inv["status"] != "PAID" || inv["standing"] != "PAID" {
			t.Errorf("invoice %s/%s after the rest, want PAID", inv["status"], inv["standing"])
		}
		expectMoney(t, "paid", inv, map[string]string{"amountPaid": "100000", "amountRemaining": "0"})
		if n := len(inv["payments"].([]any)); n != 2 {
			t.Errorf("%d payments, want 2", n)
		}
		evs := invoiceEvents(t, e, id)
		if last := evs[len(evs)-1]; last != "invoice.paid" {
			t.Errorf("invoice events %v end with %s, want invoice.paid", evs, last)
		}
		paidAt := p.query(`query($id: ID!) { invoice(id: $id) { paidAt } }`, map[string]any{"id": id})
		if !parseTime(t, paidAt, "invoice", "paidAt").Equal(now.Truncate(time.Second)) {
			t.Errorf("paidAt %v, want %v", apitest.Get(t, paidAt, "invoice", "paidAt"), now)
		}
		p.refused("record on a paid invoice", p.record(id, "1.00", "cash", "", nil), "INVALID_TRANSITION")
	})
}

// TestRecordPaymentPlanAndShortcuts: money recorded outside Remit settles
// a payment plan's installments in due order; a payment in flight counts
// against what may be recorded; an uncollectible invoice can be recorded
// as paid; invoiceMarkPaid records whatever remains as one more payment.
func TestRecordPaymentPlanAndShortcuts(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "EUR")

		// A plan of three installments.
		plan := p.draft(cus, "EUR", "6000.00", map[string]any{"collectionMethod": "SEND_INVOICE", "amountsDue": planInput("2000.00", 30, "2000.00", 60, "2000.00", 90)})
		p.finalize(plan)
		status := func() []string {
			var out []string
			for _, it := range p.invoice(plan)["amountsDue"].([]any) {
				out = append(out, apitest.Str(t, it, "status")+" "+minor(t, it, "amountPaid"))
			}
			return out
		}
		p.must("invoiceRecordPayment", recordMutation, map[string]any{"in": map[string]any{"id": plan, "amount": "2500.00", "method": "bank_transfer"}})
		if got, want := status(), []string{"PAID 200000", "PARTIALLY_PAID 50000", "OPEN 0"}; !slices.Equal(got, want) {
			t.Errorf("installments %v, want %v", got, want)
		}
		p.must("invoiceRecordPayment", recordMutation, map[string]any{"in": map[string]any{"id": plan, "amount": "1500.00", "method": "bank_transfer"}})
		if got, want := status(), []string{"PAID 200000", "PAID 200000", "OPEN 0"}; !slices.Equal(got, want) {
			t.Errorf("installments %v, want %v", got, want)
		}
		if s := apitest.Str(t, p.invoice(plan), "status"); s != "OPEN" {
			t.Errorf("plan %s with one installment left", s)
		}
		p.must("invoiceRecordPayment", recordMutation, map[string]any{"in": map[string]any{"id": plan, "amount": "2000.00", "method": "cash"}})
		if got, want := status(), []string{"PAID 200000", "PAID 200000", "PAID 200000"}; !slices.Equal(got, want) {
			t.Errorf("installments %v, want %v", got, want)
		}
		if s := apitest.Str(t, p.invoice(plan), "status"); s != "PAID" {
			t.Errorf("plan %s once recorded in full, want PAID", s)
		}

		// A debit in flight holds its amount.
		debit := p.open(cus, "EUR", "100.00", nil)
		p.payOK(debit, "60.00", p.sepa(cus, ibanOK))
		before := p.invoice(debit)
		p.refused("more than remains less what is in flight", p.record(debit, "40.01", "cash", "", nil), "AMOUNT_EXCEEDS_REMAINING")
		p.unchanged("refused record", debit, before)
		if st := apitest.Str(t, p.record(debit, "40.00", "cash", "", nil), "invoice", "status"); st != "OPEN" {
			t.Errorf("invoice %s with a debit in flight, want OPEN", st)
		}

		// Uncollectible, then paid outside Remit after all.
		bad := p.open(cus, "EUR", "300.00", nil)
		p.must("invoiceMarkUncollectible", payUncollectible, map[string]any{"id": bad})
		p.must("invoiceRecordPayment", recordMutation, map[string]any{"in": map[string]any{"id": bad, "amount": "100.00", "method": "check"}})
		if st := apitest.Str(t, p.invoice(bad), "status"); st != "UNCOLLECTIBLE" {
			t.Errorf("uncollectible invoice %s after a part, want UNCOLLECTIBLE", st)
		}
		if st := apitest.Str(t, p.record(bad, "200.00", "check", "", nil), "invoice", "status"); st != "PAID" {
			t.Errorf("uncollectible invoice %s once recorded in full, want PAID", st)
		}

		// invoiceMarkPaid: whatever remains, as one more payment.
		part := p.open(cus, "EUR", "500.00", nil)
		p.must("invoiceRecordPayment", recordMutation, map[string]any{"in": map[string]any{"id": part, "amount": "125.00", "method": "bank_transfer"}})
		inv := p.must("invoiceMarkPaid", payMarkPaid, map[string]any{"id": part})["invoice"].(map[string]any)
		if inv["status"] != "PAID" {
			t.Errorf("marked paid: %s", inv["status"])
		}
		expectMoney(t, "marked paid", inv, map[string]string{"amountPaid": "50000", "amountRemaining": "0"})
		if _, ok := historyNote(t, inv, "mark_paid"); !ok {
			t.Errorf("history %v lacks mark_paid", actionsOf(t, inv))
		}
		oob := p.query(`query($id: ID!) { invoice(id: $id) { outOfBandPayment { method reference } payments { amount { minorUnits } methodType outOfBandMethod reference } } }`, map[string]any{"id": part})
		var got []string
		for _, pay := range apitest.Get(t, oob, "invoice", "payments").([]any) {
			got = append(got, strings.Join([]string{minor(t, pay, "amount"), apitest.Str(t, pay, "methodType"), apitest.Str(t, pay, "outOfBandMethod"), apitest.Str(t, pay, "reference")}, " "))
		}
		slices.Sort(got)
		if want := []string{"12500 OUT_OF_BAND bank_transfer ", "37500 OUT_OF_BAND bank_transfer VIR-42"}; !slices.Equal(got, want) {
			t.Errorf("payments after mark paid %q, want %q", got, want)
		}
		if apitest.Str(t, oob, "invoice", "outOfBandPayment", "reference") != "VIR-42" {
			t.Errorf("mark paid record %v", oob)
		}
	})
}
