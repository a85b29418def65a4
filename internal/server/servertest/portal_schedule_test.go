package servertest_test

import (
	"slices"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

const (
	papiSchedule = `mutation($in: InvoiceSchedulePaymentInput!) { invoiceSchedulePayment(input: $in) {
  invoice { id standing canSchedulePayment scheduledPayment { date paymentMethod { id last4 } amount { amount } scheduledAt } }
  warnings { field code message } userErrors { field code message } } }`
	papiUnschedule = `mutation($id: ID!) { invoiceCancelScheduledPayment(input: {invoice: $id}) { invoice { id standing scheduledPayment { date } } userErrors { field code message } } }`
	papiScheduled  = `query($id: ID!) { invoice(id: $id) { standing canSchedulePayment scheduledPayment { date } } }`
)

// TestPortalAPISchedulePayment schedules, moves and cancels a payment
// through the portal API: refused while the merchant does not offer it or
// turned paying in the portal off, warned after the due date, the
// standing filter finding it SCHEDULED, and another customer's invoice
// or method out of reach.
func TestPortalAPISchedulePayment(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		ada := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		visa := p.card(ada, cardOK)
		inv := p.open(ada, "EUR", "500.00", map[string]any{"daysUntilDue": 30}) // due 2026-02-14
		paid := p.open(ada, "EUR", "20.00", nil)
		p.payOK(paid, "", "")
		bob := p.customer("Bob", "bob@example.com", "EUR")
		bobs := p.open(bob, "EUR", "70.00", nil)
		bobsCard := p.card(bob, "5555555555554444")
		c := newPapi(t, e).login(slug, "ada@example.com")

		schedule := func(id, date, method string) map[string]any {
			t.Helper()
			return c.payload("invoiceSchedulePayment", papiSchedule, map[string]any{"in": map[string]any{"invoice": id, "date": date, "paymentMethod": method}}, nil)
		}
		read := func(id string) map[string]any {
			t.Helper()
			return c.query(papiScheduled, map[string]any{"id": id})["invoice"].(map[string]any)
		}
		count := func(standing string) float64 {
			t.Helper()
			d := c.query(`query($s: [InvoiceStanding!]) { invoices(status: $s) { totalCount } }`, map[string]any{"s": []string{standing}})
			return apitest.Get(t, d, "invoices", "totalCount").(float64)
		}

		if got := read(inv); got["canSchedulePayment"] != false || got["scheduledPayment"] != nil {
			t.Fatalf("before the merchant allows it: %v", got)
		}
		wantCodes(t, "not offered", schedule(inv, "2026-02-01", visa), "SCHEDULING_DISABLED")

		e.Mutate("accountCollectionSettingsUpdate", allowScheduling, nil)
		if read(inv)["canSchedulePayment"] != true || read(paid)["canSchedulePayment"] != false {
			t.Fatalf("canSchedulePayment: open %v, paid %v", read(inv), read(paid))
		}
		pl := schedule(inv, "2026-02-01", visa)
		wantCodes(t, "schedule", pl)
		if w := pl["warnings"].([]any); len(w) != 0 {
			t.Errorf("warnings before the due date: %v", w)
		}
		if apitest.Str(t, pl, "invoice", "standing") != "SCHEDULED" || apitest.Str(t, pl, "invoice", "scheduledPayment", "date") != "2026-02-01" ||
			apitest.Str(t, pl, "invoice", "scheduledPayment", "paymentMethod", "id") != visa || apitest.Get(t, pl, "invoice", "scheduledPayment", "amount") != nil {
			t.Errorf("scheduled: %v", pl["invoice"])
		}
		if n := count("SCHEDULED"); n != 1 {
			t.Errorf("invoices(status: [SCHEDULED]): %v, want 1", n)
		}
		if n := count("OPEN"); n != 0 {
			t.Errorf("invoices(status: [OPEN]): %v, want 0 (the open invoice is SCHEDULED)", n)
		}

		pl = schedule(inv, "2026-02-20", visa)
		wantCodes(t, "after the due date", pl)
		w := pl["warnings"].([]any)
		if len(w) != 1 || apitest.Str(t, w[0], "code") != "SCHEDULED_AFTER_DUE_DATE" || !slices.Equal(apitest.Get(t, w[0], "field").([]any), []any{"input", "date"}) {
			t.Errorf("warnings after the due date: %v", w)
		}
		if d := apitest.Str(t, pl, "invoice", "scheduledPayment", "date"); d != "2026-02-20" {
			t.Errorf("moved to %s", d)
		}

		for _, tc := range []struct {
			what, id, date, method, code string
			field                        []any
		}{
			{"malformed date", inv, "20/02/2026", visa, "INVALID", []any{"input", "date"}},
			{"today", inv, "2026-01-15", visa, "INVALID", []any{"input", "date"}},
			{"no method", inv, "2026-02-01", "", "REQUIRED", []any{"input", "paymentMethod"}},
			{"another's method", inv, "2026-02-01", bobsCard, "PAYMENT_METHOD_NOT_ACCEPTED", []any{"input", "paymentMethod"}},
			{"another's invoice", bobs, "2026-02-01", visa, "NOT_FOUND", []any{"input", "invoice"}},
			{"a paid invoice", paid, "2026-02-01", visa, "INVALID_TRANSITION", []any{"input", "invoice"}},
		} {
			pl := schedule(tc.id, tc.date, tc.method)
			wantCodes(t, tc.what, pl, tc.code)
			if f := apitest.Get(t, pl["userErrors"].([]any)[0], "field"); !slices.Equal(f.([]any), tc.field) {
				t.Errorf("%s: field %v, want %v", tc.what, f, tc.field)
			}
		}
		if d := apitest.Str(t, read(inv), "scheduledPayment", "date"); d != "2026-02-20" {
			t.Errorf("refused schedules moved it to %s", d)
		}

		cancel := func(id string) map[string]any {
			t.Helper()
			return c.payload("invoiceCancelScheduledPayment", papiUnschedule, map[string]any{"id": id}, nil)
		}
		wantCodes(t, "cancel another's", cancel(bobs), "NOT_FOUND")
		pl = cancel(inv)
		wantCodes(t, "cancel", pl)
		if apitest.Get(t, pl, "invoice", "scheduledPayment") != nil || apitest.Str(t, pl, "invoice", "standing") != "OPEN" {
			t.Errorf("canceled: %v", pl["invoice"])
		}
		wantCodes(t, "cancel again", cancel(inv), "NOT_FOUND")

		// Paying in the portal turned off: no scheduling either.
		e.Query(`mutation { portalSettingsUpdate(input: {payInvoices: false}) { userErrors { code } } }`, nil)
		wantCodes(t, "pay feature off", schedule(inv, "2026-02-01", visa), "FEATURE_DISABLED")
		if read(inv)["canSchedulePayment"] != false {
			t.Errorf("canSchedulePayment with paying turned off")
		}
	})
}
