package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/remitbilling/remit/internal/payments/stripeproc/stripemocktest"
)

// TestBrowserStripe pays and adds a card in the portal in headless
// Chromium with Stripe connected: the pages mount the Payment Element
// (Stripe.js is a stand-in served as https://js.stripe.com, so the pages'
// Content-Security-Policy is enforced as for a real payer), post only the
// PaymentMethod ids Stripe returns, and run the 3-D Secure challenge
// Stripe asks for.
func TestBrowserStripe(t *testing.T) {
	c := startChrome(t, stripemocktest.StripeJS(t))
	f := setupStripe(t)
	base := strings.Replace(f.base, "127.0.0.1", "localhost", 1)
	calls := func() string {
		t.Helper()
		return c.get("Stripe.js calls", chromedp.Evaluate[string](`sessionStorage.getItem("stripeCalls") || "null"`))
	}
	// next makes the stand-in's next PaymentMethod id pm, another than
	// the saved card's (pm_card_visa).
	next := func(pm string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.__stripeNext = "`+pm+`", true`)(ctx, tg)
			return err
		})
	}

	c.signIn(base, f.e, "jenny@example.com")

	c.run("open invoice",
		chromedp.Click(chromedp.CSS("#inv-"+f.open+" a")),
		chromedp.WaitVisible(chromedp.CSS(`[data-fake-stripe-element="mounted"]`)),
		c.shot("stripe-01-invoice"),
	)
	if got := calls(); !strings.Contains(got, `"name":"Stripe","arg":"pk_test_51Remit`) || !strings.Contains(got, `"amount":4200`) ||
		!strings.Contains(got, `"currency":"eur"`) || !strings.Contains(got, `"name":"mount","arg":"payment-element"`) {
		t.Fatalf("Stripe.js calls = %s", got)
	}
	if s := c.text("#pay-saved fieldset"); !strings.Contains(s, "Visa ending in 4242") {
		t.Errorf("the saved card is not offered: %q", s)
	}

	// A new card; Stripe asks for 3-D Secure, then says it succeeded.
	f.stripe.ChallengeThenSucceed()
	c.run("pay with a new card",
		next("pm_card_mastercard"),
		chromedp.Click(chromedp.ID("pay-new-card")),
		chromedp.WaitVisible(chromedp.ID("settled")),
		c.shot("stripe-02-paid"),
	)
	got := calls()
	for _, want := range []string{`"name":"submit"`, `"name":"createPaymentMethod"`, `"name":"handleNextAction","arg":"pi_`} {
		if !strings.Contains(got, want) {
			t.Errorf("Stripe.js calls lack %s: %s", want, got)
		}
	}
	created := f.stripe.Requests(http.MethodPost, "/v1/payment_intents")
	if len(created) != 1 || created[0].Form.Get("payment_method") != "pm_card_mastercard" || created[0].Form.Get("amount") != "4200" {
		t.Fatalf("PaymentIntent = %+v", created)
	}
	if st := f.status(t, f.open); st != "PAID" {
		t.Fatalf("invoice is %s", st)
	}

	// A card added through a SetupIntent Stripe.js confirms.
	f.stripe.Reset()
	c.run("payment methods",
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/payment-methods"]`)),
		chromedp.WaitVisible(chromedp.ID("add-method")),
		chromedp.Click(chromedp.ID("add-method")),
		chromedp.WaitVisible(chromedp.CSS(`[data-fake-stripe-element="mounted"]`)),
		c.shot("stripe-03-add-card"),
	)
	if got := calls(); !strings.Contains(got, `"clientSecret":"seti_`) {
		t.Fatalf("the Payment Element was not given the SetupIntent: %s", got)
	}
	c.run("add a card",
		next("pm_card_amex"),
		chromedp.Click(chromedp.ID("add-card")),
		chromedp.WaitVisible(chromedp.ID("done")),
		c.shot("stripe-04-card-added"),
	)
	if got := calls(); !strings.Contains(got, `"name":"confirmSetup","arg":{"redirect":"if_required"}`) {
		t.Errorf("Stripe.js calls lack confirmSetup: %s", got)
	}
	if attached := f.stripe.Requests(http.MethodPost, "/v1/payment_methods/pm_card_amex/attach"); len(attached) != 1 {
		t.Fatalf("attach = %+v", attached)
	}
	if s := c.text("ul.methods"); strings.Count(s, "ending in") != 2 {
		t.Errorf("methods after adding: %q", s)
	}
}
