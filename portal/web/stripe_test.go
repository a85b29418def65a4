package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/payments/stripeproc/stripemocktest"
)

// The portal's pages with the merchant's Stripe account connected (test
// mode): stripe-mock answers Stripe's API behind a Transport that plays
// Stripe's decisions, as in internal/server/servertest/stripe_test.go.

// strictPolicy is the portal's policy on a page without the processor's
// form: no script at all.
const strictPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// stripeFixture is Jenny Rosen, with a card Stripe collected saved as her
// default and an open invoice, on a portal whose account connected Stripe.
type stripeFixture struct {
	*fixture
	stripe *stripemocktest.Transport
	open   string
	pm     string
}

func setupStripe(t *testing.T) *stripeFixture {
	t.Helper()
	tr := stripemocktest.NewTransport(stripemocktest.Start(t))
	e := apitest.StartWith(t, "sqlite3", apitest.Options{Stripe: app.StripeOptions{HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Second}, URL: "http://stripe.invalid"}})
	e.Mutate("accountProcessorConnect", `mutation($in: AccountProcessorConnectInput!) { accountProcessorConnect(input: $in) { paymentProcessor { livemode } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"provider": "STRIPE", "secretKey": "sk_test_51Remit0000000000000000abcd", "publishableKey": "pk_test_51Remit00000000000000",
			"webhookSigningSecret": "whsec_test_remit_0123456789"}})
	f := &stripeFixture{fixture: &fixture{e: e, numbers: map[string]string{}}, stripe: tr}
	f.jenny = apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["en"]}}) { customer { id } userErrors { code } } }`, nil), "customer", "id")
	f.pm = apitest.Str(t, e.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, processorPaymentMethod: "pm_card_visa", setDefault: true}) { paymentMethod { id } userErrors { code } } }`,
		map[string]any{"c": f.jenny}), "paymentMethod", "id")
	f.open = f.invoice(t, "42.00")
	u := apitest.Str(t, e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {enabled: true}) { portalSettings { url } userErrors { code } } }`, nil), "portalSettings", "url")
	f.slug = u[strings.LastIndex(u, "/")+1:]
	f.base = e.URL + "/portal/" + f.slug
	tr.Reset()
	return f
}

// invoice issues Jenny an open invoice of amount euros.
func (f *stripeFixture) invoice(t *testing.T, amount string) string {
	t.Helper()
	id := apitest.Str(t, f.e.Mutate("invoiceCreate", `mutation($c: ID!, $a: Decimal!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Hosting", unitAmount: $a}]}) { invoice { id } userErrors { field code } } }`,
		map[string]any{"c": f.jenny, "a": amount}), "invoice", "id")
	f.e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number } userErrors { code } } }`, map[string]any{"id": id})
	return id
}

func (f *stripeFixture) status(t *testing.T, id string) string {
	t.Helper()
	return apitest.Str(t, f.e.Query(`query($id: ID!) { invoice(id: $id) { status } }`, map[string]any{"id": id}), "invoice", "status")
}

// withProcessorForm checks a page shows Stripe's form: the policy admits
// Stripe.js and Remit's glue, both are loaded, and no card field of
// Remit's is served.
func withProcessorForm(t *testing.T, what string, r response, intent string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{strictPolicy, "script-src 'self' https://js.stripe.com", "frame-src https://js.stripe.com", "connect-src https://api.stripe.com"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
		}
	}
	mustContain(t, what, r.Body, `<script src="https://js.stripe.com/v3/"></script>`, `<script src="/assets/payer/processor.js"></script>`,
		`data-publishable-key="pk_test_51Remit00000000000000"`, `data-intent="`+intent+`"`)
	mustNotContain(t, what, r.Body, `name="number"`, `name="cvc"`, `name="expiry"`)
}

// withoutScript checks a page keeps the strict policy and loads no script.
func withoutScript(t *testing.T, what string, r response) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	if csp := r.Header.Get("Content-Security-Policy"); csp != strictPolicy {
		t.Errorf("%s: Content-Security-Policy %q, want %q", what, csp, strictPolicy)
	}
	mustNotContain(t, what, r.Body, "<script", "data-publishable-key", "js.stripe.com")
}

var clientSecretRE = regexp.MustCompile(`data-client-secret="([^"]+)"`)

// TestStripePages: the pages showing Stripe's form (paying, adding a
// card, 3-D Secure) admit its script and load it; the others keep
// refusing every script.
func TestStripePages(t *testing.T) {
	t.Parallel()
	f := setupStripe(t)
	c := login(t, f.fixture, f.base, "jenny@example.com")

	inv := c.get(f.base + "/invoices/" + f.open)
	withProcessorForm(t, "invoice", inv, "payment")
	// The saved card is paid with from a form of its own, which Stripe.js
	// does not take over.
	mustContain(t, "invoice", inv.Body, `data-amount="4200" data-currency="eur"`, `id="pay-saved"`, `value="`+f.pm+`"`, "Visa ending in 4242", `id="pay-new"`)
	if n := strings.Count(inv.Body, "data-publishable-key"); n != 1 {
		t.Errorf("%d forms taken over by Stripe.js", n)
	}

	// The methods page starts nothing at Stripe until the customer asks
	// to add one.
	plain := c.get(f.base + "/payment-methods")
	withoutScript(t, "payment methods", plain)
	mustContain(t, "payment methods", plain.Body, `id="add-method"`, "?add=1")
	if si := f.stripe.Requests(http.MethodPost, "/v1/setup_intents"); len(si) != 0 {
		t.Fatalf("a SetupIntent per page view: %+v", si)
	}
	methods := c.get(f.base + "/payment-methods?add=1")
	withProcessorForm(t, "payment methods", methods, "setup")
	m := clientSecretRE.FindStringSubmatch(methods.Body)
	if m == nil || !strings.Contains(m[1], "_secret_") {
		t.Fatalf("setup form without a client secret:\n%s", methods.Body)
	}
	si := f.stripe.Requests(http.MethodPost, "/v1/setup_intents")
	if len(si) != 1 || si[0].Form.Get("usage") != "off_session" || !strings.HasPrefix(si[0].Form.Get("customer"), "cus_") {
		t.Fatalf("SetupIntent = %+v", si)
	}

	for _, path := range []string{"/invoices", "/billing", "/payments", "/invoices/" + f.open + "/nope"} {
		r := c.get(f.base + path)
		if r.Status == http.StatusNotFound {
			r.Status = http.StatusOK // the not-found page is a page too
		}
		withoutScript(t, path, r)
	}
	// The glue script is served, as a script.
	glue := c.get(f.e.URL + "/assets/payer/processor.js")
	if glue.Status != http.StatusOK || !strings.HasPrefix(glue.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(glue.Body, "data-publishable-key") {
		t.Errorf("processor.js: %d %q", glue.Status, glue.Header.Get("Content-Type"))
	}
}

// TestStripePayAndSave: posting the PaymentMethod id Stripe.js returned
// pays the invoice, or saves the card; card fields are refused.
func TestStripePayAndSave(t *testing.T) {
	t.Parallel()
	f := setupStripe(t)
	c := login(t, f.fixture, f.base, "jenny@example.com")
	page := f.base + "/invoices/" + f.open
	pay := func(form url.Values) response {
		t.Helper()
		m := payKeyRE.FindStringSubmatch(c.get(page).Body)
		if m == nil {
			t.Fatal("no payment form")
		}
		form.Set("key", m[1])
		r := c.post(page+"/pay", form)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("pay: %d %s", r.Status, r.Body)
		}
		return c.get(f.e.URL + r.Location)
	}

	// Card fields posted anyway (a crafted post): refused, nothing sent
	// to Stripe, nothing paid.
	r := pay(url.Values{"method": {"new"}, "number": {"4242424242424242"}, "expiry": {"12/34"}, "cvc": {"123"}})
	mustContain(t, "card fields", r.Body, "Enter your card in the secure payment form")
	if n := len(f.stripe.Requests(http.MethodPost, "/v1/payment_intents")); n != 0 || f.status(t, f.open) != "OPEN" {
		t.Fatalf("card fields: %d PaymentIntents, invoice %s", n, f.status(t, f.open))
	}

	// Stripe's Payment Element collected a card: its id alone pays.
	f.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 1)
	r = pay(url.Values{"method": {"new"}, "payment_method": {"pm_card_mastercard"}})
	mustContain(t, "paid", r.Body, "Thank you", ">Paid<")
	created := f.stripe.Requests(http.MethodPost, "/v1/payment_intents")
	if len(created) != 1 || created[0].Form.Get("payment_method") != "pm_card_mastercard" || created[0].Form.Get("amount") != "4200" {
		t.Fatalf("PaymentIntent = %+v", created)
	}

	// The saved card's own form.
	second := f.invoice(t, "10.00")
	page = f.base + "/invoices/" + second
	f.stripe.Reset()
	f.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 1)
	r = pay(url.Values{"method": {f.pm}})
	mustContain(t, "paid with the saved card", r.Body, "Thank you")
	if created := f.stripe.Requests(http.MethodPost, "/v1/payment_intents"); len(created) != 1 || created[0].Form.Get("payment_method") != "pm_card_visa" {
		t.Fatalf("PaymentIntent = %+v", created)
	}

	// Adding a card: its fields are refused, Stripe's id saved.
	f.stripe.Reset()
	r = c.post(f.base+"/payment-methods", url.Values{"number": {"5555555555554444"}, "expiry": {"12/34"}, "cvc": {"123"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "error=RAW_PAYMENT_DETAILS_REFUSED") {
		t.Fatalf("card fields: %d → %q", r.Status, r.Location)
	}
	r = c.post(f.base+"/payment-methods", url.Values{"payment_method": {"pm_card_mastercard"}, "default": {"1"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=added") {
		t.Fatalf("add: %d → %q", r.Status, r.Location)
	}
	attached := f.stripe.Requests(http.MethodPost, "/v1/payment_methods/pm_card_mastercard/attach")
	if len(attached) != 1 || !strings.HasPrefix(attached[0].Form.Get("customer"), "cus_") {
		t.Fatalf("attach = %+v", attached)
	}
	methods := f.e.Query(`query($id: ID!) { customer(id: $id) { paymentMethods { id } defaultPaymentMethod { id } } }`, map[string]any{"id": f.jenny})
	if pms := apitest.Get(t, methods, "customer", "paymentMethods").([]any); len(pms) != 2 || apitest.Str(t, methods, "customer", "defaultPaymentMethod", "id") == f.pm {
		t.Fatalf("methods after adding = %v", methods)
	}
}

// TestStripeThreeDSecure: a payment Stripe holds for 3-D Secure shows the
// confirm form Stripe.js runs (its client secret, the widened policy);
// once the payer went through it, Remit asks Stripe how it ended.
func TestStripeThreeDSecure(t *testing.T) {
	t.Parallel()
	f := setupStripe(t)
	c := login(t, f.fixture, f.base, "jenny@example.com")
	page := f.base + "/invoices/" + f.open
	f.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{
		"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}, "last_payment_error": nil}}, 1)
	f.stripe.On(http.MethodGet, "/v1/payment_intents/", stripemocktest.Decision{Set: map[string]any{
		"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}}}, 0)
	key := payKeyRE.FindStringSubmatch(c.get(page).Body)
	if key == nil {
		t.Fatal("no payment form")
	}
	r := c.post(page+"/pay", url.Values{"key": {key[1]}, "method": {"new"}, "payment_method": {"pm_card_visa"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("pay: %d", r.Status)
	}
	held := c.get(f.e.URL + r.Location)
	withProcessorForm(t, "3-D Secure", held, "action")
	mustContain(t, "3-D Secure", held.Body, `id="confirm-form"`, `name="outcome" value="approve"`)
	mustNotContain(t, "3-D Secure", held.Body, `id="pay-new"`, `id="pay-saved"`)
	if m := clientSecretRE.FindStringSubmatch(held.Body); m == nil || !strings.HasPrefix(m[1], "pi_") || !strings.Contains(m[1], "_secret_") {
		t.Fatalf("confirm form without the PaymentIntent's client secret:\n%s", held.Body)
	}
	pid := regexp.MustCompile(`name="payment" value="([^"]+)"`).FindStringSubmatch(held.Body)
	if pid == nil {
		t.Fatal("no payment in the confirm form")
	}

	// Stripe.js ran the challenge; Stripe says it succeeded.
	f.stripe.On(http.MethodGet, "/v1/payment_intents/", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 0)
	done := c.post(page+"/confirm", url.Values{"payment": {pid[1]}, "outcome": {"approve"}})
	if done.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", done.Status)
	}
	paid := c.get(f.e.URL + done.Location)
	mustContain(t, "confirmed", paid.Body, "Thank you", ">Paid<")
	withoutScript(t, "paid invoice", paid)
	if st := f.status(t, f.open); st != "PAID" {
		t.Fatalf("invoice is %s", st)
	}
}

// TestSimulatorPagesLoadNoScript: without Stripe, the pages with card
// fields keep the strict policy and load no script.
func TestSimulatorPagesLoadNoScript(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	inv := c.get(f.base + "/invoices/" + f.open1)
	withoutScript(t, "invoice", inv)
	mustContain(t, "invoice", inv.Body, `name="number"`, `id="pay"`)
	methods := c.get(f.base + "/payment-methods")
	withoutScript(t, "payment methods", methods)
	mustContain(t, "payment methods", methods.Body, `name="number"`, `id="add-card"`)
}
