package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/payer/words"
)

const allowScheduling = `mutation { accountCollectionSettingsUpdate(input: {settings: {scheduledPayments: true}}) { collectionSettings { scheduledPayments } userErrors { field code message } } }`

// TestSchedulePayment schedules a payment on the portal's invoice page:
// refused while the merchant does not offer it, then on the saved card,
// moved after the due date (warned) and onto a new card, with the
// standing in the list, then canceled.
func TestSchedulePayment(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	page := f.base + "/invoices/" + f.open1
	merchant := func() map[string]any {
		return f.e.Query(`query($id: ID!) { invoice(id: $id) { standing dueDate scheduledPayment { at source paymentMethod { last4 } } } }`,
			map[string]any{"id": f.open1})["invoice"].(map[string]any)
	}
	due, err := time.Parse(time.RFC3339, apitest.Str(t, merchant(), "dueDate"))
	if err != nil {
		t.Fatal(err)
	}
	dueText := words.Date(due, "en")
	schedule := func(form url.Values) string {
		t.Helper()
		r := c.post(page+"/schedule", form)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/"+f.slug+"/invoices/"+f.open1+"?") {
			t.Fatalf("schedule: %d → %q", r.Status, r.Location)
		}
		return r.Location
	}
	read := func(loc string) string { t.Helper(); return c.get(f.e.URL + loc).Body }

	mustNotContain(t, "invoice before scheduling is allowed", c.get(page).Body, "Pay on a date", "/schedule")
	mustContain(t, "refused", read(schedule(url.Values{"date": {"2026-02-01"}, "method": {"new"}})), "This seller does not offer scheduled payments.")

	f.e.Mutate("accountCollectionSettingsUpdate", allowScheduling, nil)
	body := c.get(page).Body
	mustContain(t, "schedule form", body, "Pay on a date", `action="/portal/`+f.slug+`/invoices/`+f.open1+`/schedule"`, `min="2026-01-16"`,
		"Due by "+dueText+": a payment after that day is late.", "Visa ending in 4242", `id="schedule-method-new"`)
	b := apitest.NewBrowser(t, f.e.URL)
	b.SetCookie(sessionCookie, c.cookie)
	visa := b.Get(page).Input("method")
	if !strings.HasPrefix(visa, "pm_") {
		t.Fatalf("no saved method on the page: %q", visa)
	}

	done := read(schedule(url.Values{"date": {"2026-02-01"}, "method": {visa}}))
	mustContain(t, "scheduled", done, "Your payment is scheduled for Feb 1, 2026.", "Payment scheduled for Feb 1, 2026", `<span class="badge scheduled" id="status">Payment scheduled</span>`,
		`id="change-schedule"`, `id="unschedule"`)
	mustNotContain(t, "scheduled", done, `id="warning"`)
	inv := merchant()
	if apitest.Str(t, inv, "standing") != "SCHEDULED" || apitest.Str(t, inv, "scheduledPayment", "source") != "PORTAL" || apitest.Str(t, inv, "scheduledPayment", "paymentMethod", "last4") != "4242" {
		t.Errorf("merchant API: %v", inv)
	}
	mustContain(t, "invoice list", c.get(f.base+"/invoices").Body, `<span class="badge scheduled">Payment scheduled</span>`)

	// After the due date, on a new card: warned, and the card is saved.
	late := due.AddDate(0, 0, 3).Format("2006-01-02")
	loc := schedule(url.Values{"date": {late}, "method": {"new"}, "number": {"5555555555554444"}, "expiry": {"12/34"}, "cvc": {"123"}})
	if !strings.Contains(loc, "warning=SCHEDULED_AFTER_DUE_DATE") {
		t.Errorf("no warning after the due date: %s", loc)
	}
	mustContain(t, "late", read(loc), "This date is after the due date ("+dueText+"): your payment will be late.", "Mastercard ending in 4444")
	if apitest.Str(t, merchant(), "scheduledPayment", "paymentMethod", "last4") != "4444" {
		t.Errorf("the new card is not scheduled: %v", merchant())
	}
	mustContain(t, "payment methods", c.get(f.base+"/payment-methods").Body, "Mastercard ending in 4444")

	mustContain(t, "bad date", read(schedule(url.Values{"date": {"2026-01-15"}, "method": {visa}})), "Choose a date from tomorrow to one year from now.")
	// Another customer's invoice is not found.
	if r := c.post(f.base+"/invoices/"+f.othersInvoice+"/schedule", url.Values{"date": {"2026-02-01"}, "method": {visa}}); r.Status != http.StatusNotFound {
		t.Errorf("another's invoice: %d", r.Status)
	}

	r := c.post(page+"/schedule/cancel", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}
	mustContain(t, "canceled", read(r.Location), "Your scheduled payment was canceled.", "Pay on a date")
	if inv := merchant(); inv["scheduledPayment"] != nil || apitest.Str(t, inv, "standing") != "OPEN" {
		t.Errorf("after canceling: %v", inv)
	}
}
