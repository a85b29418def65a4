package servertest_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/apitest"
)

const (
	allowScheduling = `mutation { accountCollectionSettingsUpdate(input: {settings: {scheduledPayments: true}}) { collectionSettings { scheduledPayments } userErrors { field code message } } }`
	scheduleQuery   = `query($id: ID!) { invoice(id: $id) { standing scheduledPayment { at source paymentMethod { id last4 } } customer { defaultPaymentMethod { id } } } }`
)

// TestHostedPageSchedulePayment schedules a payment on the hosted invoice
// page as a customer's browser does (form posts, the page read back):
// refused while the merchant does not offer it, then with a new card
// (saved to the customer, not as their default), moved after the due date
// (warned), a day out of range refused, a cross-site post refused, and
// canceled.
func TestHostedPageSchedulePayment(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["en"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", daysUntilDue: 30, lines: [{description: "Setup", unitAmount: "3000"}]}) { invoice { id } userErrors { field code } } }`,
		map[string]any{"c": cus}), "invoice", "id")
	link := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")

	b := e.Browser()
	page := func(path string) string {
		t.Helper()
		p := b.Get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
		return p.Body
	}
	post := func(path string, form apitest.Form) string {
		t.Helper()
		res := b.Post(path, form)
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, link+"?") {
			t.Fatalf("POST %s: %d → %q", path, res.Status, res.Location)
		}
		return res.Location
	}
	schedule := func(date string, method string) string {
		t.Helper()
		form := apitest.Form{"date": date, "method": method}
		if method == "new" {
			form["number"], form["expiry"], form["cvc"] = "4242424242424242", "12/34", "123"
		}
		return post(link+"/schedule", form)
	}
	merchant := func() map[string]any {
		return e.Query(scheduleQuery, map[string]any{"id": id})["invoice"].(map[string]any)
	}

	// The merchant does not offer it yet: no form, and a post is refused
	// with a clear message.
	mustNotHave(t, "page before scheduling is allowed", page(link), "Pay on a date", `action="`+link+`/schedule"`)
	refused := schedule("2026-02-10", "new")
	mustHave(t, "refused schedule", page(refused), "This seller does not offer scheduled payments.")
	if inv := merchant(); inv["scheduledPayment"] != nil {
		t.Fatalf("refused schedule wrote %v", inv["scheduledPayment"])
	}

	e.Mutate("accountCollectionSettingsUpdate", allowScheduling, nil)
	form := page(link)
	// The clock reads 2026-01-15: tomorrow is the first day, the due date
	// (30 days on) is told before the payer chooses, and offered first.
	mustHave(t, "schedule form", form, "Pay on a date", `action="`+link+`/schedule"`, `min="2026-01-16"`, `value="2026-02-14"`,
		"Due by Feb 14, 2026: a payment after that day is late.", "The card is saved to your account")

	done := schedule("2026-02-10", "new")
	if strings.Contains(done, "warning=") {
		t.Errorf("a day before the due date warned: %s", done)
	}
	body := page(done)
	mustHave(t, "scheduled", body, "Your payment is scheduled for Feb 10, 2026.", "Payment scheduled for Feb 10, 2026",
		"Visa ending in 4242", "What is due that day (€3,000.00 today)", `class="status scheduled"`, `id="change-schedule"`, `id="unschedule"`)
	inv := merchant()
	pm := apitest.Str(t, inv, "scheduledPayment", "paymentMethod", "id")
	if apitest.Str(t, inv, "standing") != "SCHEDULED" || apitest.Str(t, inv, "scheduledPayment", "at") != "2026-02-10T00:00:00Z" ||
		apitest.Str(t, inv, "scheduledPayment", "source") != "HOSTED_PAGE" || apitest.Str(t, inv, "scheduledPayment", "paymentMethod", "last4") != "4242" {
		t.Errorf("merchant API after scheduling: %v", inv)
	}
	if d := apitest.Get(t, inv, "customer", "defaultPaymentMethod"); d != nil {
		t.Errorf("a card saved from a hosted link became the customer's default: %v", d)
	}

	// Change: the same card, a day after the due date, is warned about.
	if m := b.Get(link).Input("method"); m != pm {
		t.Fatalf("the change form offers method %q, want the scheduled %s", m, pm)
	}
	late := schedule("2026-03-01", pm)
	if !strings.Contains(late, "warning=SCHEDULED_AFTER_DUE_DATE") {
		t.Errorf("no warning after the due date: %s", late)
	}
	mustHave(t, "late schedule", page(late), "Your payment is scheduled for Mar 1, 2026.",
		"This date is after the due date (Feb 14, 2026): your payment will be late.", `value="2026-03-01"`)
	if at := apitest.Str(t, merchant(), "scheduledPayment", "at"); at != "2026-03-01T00:00:00Z" {
		t.Errorf("rescheduled at %s", at)
	}

	// A link holder cannot pick the customer's other saved methods.
	other := apitest.Str(t, e.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "5555555555554444", expMonth: 12, expYear: 2034, cvc: "123"}}) { paymentMethod { id } userErrors { code } } }`,
		map[string]any{"c": cus}), "paymentMethod", "id")
	if loc := schedule("2026-02-01", other); !strings.Contains(loc, "error=PAYMENT_METHOD_NOT_ACCEPTED") {
		t.Errorf("another saved method: %s", loc)
	}
	// Today, or malformed: the range to choose from.
	for _, d := range []string{"2026-01-15", "01/02/2026", "2027-06-01"} {
		if body := page(schedule(d, pm)); !strings.Contains(body, "Choose a date from tomorrow to one year from now.") {
			t.Errorf("date %s: no explanation", d)
		}
	}
	if res := b.PostFrom("cross-site", link+"/schedule", apitest.Form{"date": "2026-02-02", "method": pm}); res.Status != http.StatusForbidden {
		t.Errorf("cross-site schedule: %d, want 403", res.Status)
	}
	if res := b.PostFrom("cross-site", link+"/schedule/cancel", nil); res.Status != http.StatusForbidden {
		t.Errorf("cross-site cancel: %d, want 403", res.Status)
	}
	if at := apitest.Str(t, merchant(), "scheduledPayment", "at"); at != "2026-03-01T00:00:00Z" {
		t.Errorf("refused posts moved the schedule to %s", at)
	}

	// Cancel.
	canceled := page(post(link+"/schedule/cancel", nil))
	mustHave(t, "canceled", canceled, "Your scheduled payment was canceled.", "Pay on a date")
	mustNotHave(t, "canceled", canceled, "Payment scheduled for")
	if inv := merchant(); inv["scheduledPayment"] != nil || apitest.Str(t, inv, "standing") != "OPEN" {
		t.Errorf("after canceling: %v", inv)
	}
	// An unknown link opens nothing.
	if res := b.Post("/i/unknowntokenunknowntoken12/schedule/cancel", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown link: %d", res.Status)
	}
}

var hostedLinkRE = regexp.MustCompile(`https?://\S+(/i/[A-Za-z0-9]+)`)

// TestHostedPageConfirmsAutomaticCharge: an automatic charge that the
// card's bank wants authenticated (3-D Secure) emails the customer the
// hosted page, which asks for that confirmation; approving it there pays
// the invoice.
func TestHostedPageConfirmsAutomaticCharge(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["en"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	e.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "4000002760003184", expMonth: 12, expYear: 2034, cvc: "123"}, setDefault: true}) { paymentMethod { id } userErrors { code } } }`,
		map[string]any{"c": cus})
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "USD", collectionMethod: CHARGE_AUTOMATICALLY, lines: [{description: "Subscription", unitAmount: "100"}]}) { invoice { id } userErrors { field code } } }`,
		map[string]any{"c": cus}), "invoice", "id")
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { status standing hostedInvoiceUrl payments { status source } } userErrors { code } } }`, map[string]any{"id": id})
	link := apitest.Str(t, fin, "invoice", "hostedInvoiceUrl")
	if apitest.Str(t, fin, "invoice", "standing") != "PENDING" || apitest.Str(t, fin, "invoice", "payments", 0, "status") != "REQUIRES_ACTION" ||
		apitest.Str(t, fin, "invoice", "payments", 0, "source") != "AUTOMATIC" {
		t.Fatalf("finalized: %v", fin)
	}

	// The email sends the customer to the hosted page.
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	msgs, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.Kind("payment_action_required")).All(ctx)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("action-required emails: %d, %v", len(msgs), err)
	}
	m := hostedLinkRE.FindStringSubmatch(msgs[0].TextBody)
	if m == nil || m[1] != link {
		t.Fatalf("the email links to %v, want %s:\n%s", m, link, msgs[0].TextBody)
	}

	b := e.Browser()
	p := b.Get(link)
	mustHave(t, "hosted page", p.Body, `id="confirm"`, "Your bank asks you to confirm the payment of $100.00.", "Payment in progress")
	mustNotHave(t, "hosted page", p.Body, `action="`+link+`/pay"`)
	pid := p.Input("payment")
	if pid == "" {
		t.Fatal("no payment to confirm on the page")
	}
	res := b.Post(link+"/confirm", apitest.Form{"payment": pid, "outcome": "approve"})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.Status)
	}
	mustHave(t, "after confirming", b.Get(res.Location).Body, "Thank you: your payment of $100.00 was received.")
	inv := e.Query(`query($id: ID!) { invoice(id: $id) { status payments { status } } }`, map[string]any{"id": id})
	if apitest.Str(t, inv, "invoice", "status") != "PAID" || apitest.Str(t, inv, "invoice", "payments", 0, "status") != "SUCCEEDED" {
		t.Errorf("after confirming: %v", inv)
	}
}

func mustHave(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotHave(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q", what, w)
		}
	}
}
