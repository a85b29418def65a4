package servertest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/payments/stripeproc/stripemocktest"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/testtool"
)

// TestStripeHostedPageInBrowser pays a live invoice on its hosted page in
// headless Chromium with Stripe connected: the page mounts the Payment
// Element (Stripe.js is a stand-in served as https://js.stripe.com, so
// the page's Content-Security-Policy is enforced as for a real payer),
// posts only the PaymentMethod id Stripe returns, and runs the 3-D Secure
// challenge Stripe asks for before the invoice is paid. No card field of
// Remit's is on the page.
func TestStripeHostedPageInBrowser(t *testing.T) {
	testtool.Chromium(t) // before anything starts: a missing browser says so first
	s := startStripe(t, storetest.Dialects()[0])
	l := s.live()
	l.connected("live", stripeWhsec)
	cus := l.customer("Jenny Rosen", "jenny@example.com", "EUR")
	id := l.draft(cus, "EUR", "42.00", nil)
	link := apitest.Str(t, l.must("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: false}) { invoice { hostedInvoiceUrl } userErrors { code } } }`,
		map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	page := strings.Replace(s.e.URL, "127.0.0.1", "localhost", 1) + u.Path

	// Over HTTP first: the policy admits Stripe.js and Remit's glue, and
	// nothing else; no card field is served.
	res := send(t, http.MethodGet, s.e.URL+u.Path, nil, nil)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self' https://js.stripe.com", "frame-src https://js.stripe.com", "connect-src https://api.stripe.com"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	body := string(res.Body)
	if strings.Contains(body, `name="number"`) || strings.Contains(body, `name="cvc"`) || !strings.Contains(body, `data-publishable-key="pk_live_`) {
		t.Fatalf("the hosted page serves card fields, or not the processor's form:\n%s", body)
	}

	ctx := testtool.Browser(t, 60*time.Second, stripemocktest.StripeJS(t))
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	calls := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem("stripeCalls") || "null"`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	run("open the hosted page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-fake-stripe-element="mounted"]`)))
	if c := calls(); !strings.Contains(c, `"name":"Stripe","arg":"pk_live_51Remit`) || !strings.Contains(c, `"amount":4200`) || !strings.Contains(c, `"currency":"eur"`) {
		t.Fatalf("Stripe.js calls = %s", c)
	}

	// Stripe asks for 3-D Secure, then says it succeeded.
	s.stripe.ChallengeThenSucceed()

	run("pay", chromedp.Click(chromedp.ID("pay")), chromedp.WaitVisible(chromedp.ID("settled")))
	c := calls()
	for _, want := range []string{`"name":"submit"`, `"name":"createPaymentMethod"`, `"name":"handleNextAction","arg":"pi_`} {
		if !strings.Contains(c, want) {
			t.Errorf("Stripe.js calls lack %s: %s", want, c)
		}
	}
	created := s.stripe.Requests(http.MethodPost, "/v1/payment_intents")
	if len(created) == 0 || created[0].Form.Get("payment_method") != "pm_card_visa" || created[0].Form.Get("amount") != "4200" {
		t.Fatalf("PaymentIntent = %+v", created)
	}
	inv := l.query(`query($id: ID!) { invoice(id: $id) { status payments { status source methodType } } }`, map[string]any{"id": id})["invoice"].(map[string]any)
	if inv["status"] != "PAID" || apitest.Get(t, inv, "payments", 0, "source") != "HOSTED_PAGE" {
		t.Fatalf("invoice = %v", inv)
	}
}
