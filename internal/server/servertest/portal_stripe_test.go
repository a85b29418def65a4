package servertest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/payments/stripeproc/stripemocktest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// The portal API with the merchant's Stripe account connected (test mode,
// stripe-mock behind a Transport, as in stripe_test.go): card details go
// to Stripe's Payment Element, never to Remit, and the portal takes the
// PaymentMethod ids Stripe.js returns.

const (
	pstripeSetup = `mutation { paymentMethodSetup { publishableKey clientSecret userErrors { field code message } } }`
	pstripeAdd   = `mutation($in: PaymentMethodAddInput!) { paymentMethodAdd(input: $in) { paymentMethod { id type brand last4 isDefault } userErrors { field code message } } }`
	pstripePay   = `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { invoice { id status } payment { id status brand last4 nextActionClientSecret } userErrors { field code message } } }`
	pstripeCards = `query { paymentMethods { id brand last4 } }`
)

// pstripeFields lists the field paths of a payload's user errors.
func pstripeFields(t *testing.T, pl map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range pl["userErrors"].([]any) {
		out = append(out, fmt.Sprint(e.(map[string]any)["field"]))
	}
	return out
}

// pstripeKey is a fresh Idempotency-Key header.
func pstripeKey() map[string]string { return map[string]string{"Idempotency-Key": newIdemKey()} }

func TestPortalStripeAPI(t *testing.T) {
	s := startStripe(t, storetest.Dialects()[0])
	slug := enablePortal(t, s.e, s.e.Key)
	cus := s.customer("Ada Lovelace", "ada@example.com", "EUR")
	a := newPapi(t, s.e).login(slug, "ada@example.com")
	cards := func() []any { t.Helper(); return a.query(pstripeCards, nil)["paymentMethods"].([]any) }

	t.Run("without Stripe, the simulator takes Remit's card fields", func(t *testing.T) {
		setup := a.payload("paymentMethodSetup", pstripeSetup, nil, nil)
		wantCodes(t, "setup", setup)
		if setup["publishableKey"] != nil || setup["clientSecret"] != nil {
			t.Fatalf("setup without Stripe = %v", setup)
		}
		added := a.payload("paymentMethodAdd", pstripeAdd, map[string]any{"in": map[string]any{"card": testCard("5555555555554444")}}, nil)
		wantCodes(t, "card", added)
		if apitest.Str(t, added, "paymentMethod", "brand") != "mastercard" || apitest.Str(t, added, "paymentMethod", "last4") != "4444" {
			t.Fatalf("added = %v", added)
		}
		// A PaymentMethod id means nothing to the simulator.
		pl := a.payload("paymentMethodAdd", pstripeAdd, map[string]any{"in": map[string]any{"processorPaymentMethod": "pm_card_visa"}}, nil)
		wantCodes(t, "pm_ without Stripe", pl, "INVALID")
		if n := len(s.stripe.Requests(http.MethodPost, "/")) + len(s.stripe.Requests(http.MethodGet, "/")); n != 0 {
			t.Fatalf("%d requests to Stripe before it was connected", n)
		}
	})

	s.connected("test", stripeWhsec)

	t.Run("setup starts a SetupIntent on the customer's one Stripe customer", func(t *testing.T) {
		s.stripe.Reset()
		setup := a.payload("paymentMethodSetup", pstripeSetup, nil, nil)
		wantCodes(t, "setup", setup)
		if setup["publishableKey"] != "pk_test_51Remit00000000000000" || !strings.Contains(fmt.Sprint(setup["clientSecret"]), "_secret_") {
			t.Fatalf("setup = %v", setup)
		}
		created := s.stripe.Requests(http.MethodPost, "/v1/customers")
		if len(created) != 1 || created[0].Form.Get("metadata[remit_customer_id]") != cus || created[0].Form.Get("email") != "ada@example.com" {
			t.Fatalf("Stripe customer = %+v", created)
		}
		si := s.stripe.Requests(http.MethodPost, "/v1/setup_intents")
		if len(si) != 1 || !strings.HasPrefix(si[0].Form.Get("customer"), "cus_") || si[0].Form.Get("usage") != "off_session" ||
			si[0].Form.Get("payment_method_types[0]") != "card" {
			t.Fatalf("SetupIntent = %+v", si)
		}
		// Another setup: another SetupIntent, on the same Stripe customer.
		wantCodes(t, "setup again", a.payload("paymentMethodSetup", pstripeSetup, nil, nil))
		si = s.stripe.Requests(http.MethodPost, "/v1/setup_intents")
		if n := len(s.stripe.Requests(http.MethodPost, "/v1/customers")); n != 1 || len(si) != 2 || si[1].Form.Get("customer") != si[0].Form.Get("customer") {
			t.Fatalf("second setup: %d Stripe customers, SetupIntents %+v", n, si)
		}
	})

	t.Run("card details are refused, Stripe's PaymentMethod ids saved", func(t *testing.T) {
		s.stripe.Reset()
		before := cards()
		pl := a.payload("paymentMethodAdd", pstripeAdd, map[string]any{"in": map[string]any{"card": testCard(cardOK)}}, nil)
		wantCodes(t, "card with Stripe", pl, "RAW_PAYMENT_DETAILS_REFUSED")
		if f := pstripeFields(t, pl); f[0] != "[input card]" {
			t.Errorf("field = %v", f)
		}
		if pl["paymentMethod"] != nil || len(cards()) != len(before) {
			t.Fatalf("a refused card was saved: %v", pl)
		}
		if n := len(s.stripe.Requests(http.MethodPost, "/")); n != 0 {
			t.Fatalf("card details went to Stripe (%d requests)", n)
		}
		for name, in := range map[string]map[string]any{
			"both":    {"card": testCard(cardOK), "processorPaymentMethod": "pm_card_visa"},
			"neither": {"setDefault": true},
		} {
			pl := a.payload("paymentMethodAdd", pstripeAdd, map[string]any{"in": in}, nil)
			wantCodes(t, name, pl, "INVALID")
			if f := pstripeFields(t, pl); f[0] != "[input]" {
				t.Errorf("%s: field = %v", name, f)
			}
		}
		bad := a.payload("paymentMethodAdd", pstripeAdd, map[string]any{"in": map[string]any{"processorPaymentMethod": "tok_visa"}}, nil)
		wantCodes(t, "not a PaymentMethod id", bad, "INVALID_PROCESSOR_PAYMENT_METHOD")
		if f := pstripeFields(t, bad); f[0] != "[input processorPaymentMethod]" {
			t.Errorf("field = %v", f)
		}

		pl = a.payload("paymentMethodAdd", pstripeAdd, map[string]any{"in": map[string]any{"processorPaymentMethod": "pm_card_visa", "setDefault": true}}, nil)
		wantCodes(t, "PaymentMethod id", pl)
		pm := pl["paymentMethod"].(map[string]any)
		if pm["type"] != "CARD" || pm["brand"] != "visa" || pm["last4"] != "4242" || pm["isDefault"] != true {
			t.Fatalf("saved = %v", pm)
		}
		attached := s.stripe.Requests(http.MethodPost, "/v1/payment_methods/pm_card_visa/attach")
		if len(attached) != 1 || !strings.HasPrefix(attached[0].Form.Get("customer"), "cus_") {
			t.Fatalf("attach = %+v", attached)
		}
		if n := len(s.stripe.Requests(http.MethodPost, "/v1/customers")); n != 0 {
			t.Fatalf("%d more Stripe customers", n)
		}
		if len(cards()) != len(before)+1 {
			t.Fatalf("methods = %v", cards())
		}
	})

	t.Run("invoicePay with a PaymentMethod id", func(t *testing.T) {
		s.stripe.Reset()
		saved := len(cards())
		inv := s.open(cus, "EUR", "100.00", nil)
		refused := a.payload("invoicePay", pstripePay, map[string]any{"in": map[string]any{"id": inv, "card": testCard(cardOK)}}, pstripeKey())
		wantCodes(t, "pay by card with Stripe", refused, "RAW_PAYMENT_DETAILS_REFUSED")
		if n := s.paymentsCount(inv); n != 0 {
			t.Fatalf("%d payments written by a refused card", n)
		}
		s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 1)
		// Another id than the saved default's (pm_card_visa): the payment
		// is made with the one given.
		pl := a.payload("invoicePay", pstripePay, map[string]any{"in": map[string]any{"id": inv, "processorPaymentMethod": "pm_card_mastercard"}}, pstripeKey())
		wantCodes(t, "pay", pl)
		if apitest.Str(t, pl, "payment", "status") != "SUCCEEDED" || apitest.Str(t, pl, "invoice", "status") != "PAID" ||
			apitest.Str(t, pl, "payment", "last4") != "4242" || apitest.Get(t, pl, "payment", "nextActionClientSecret") != nil {
			t.Fatalf("invoicePay = %v", pl)
		}
		created := s.stripe.Requests(http.MethodPost, "/v1/payment_intents")
		if len(created) != 1 || created[0].Form.Get("payment_method") != "pm_card_mastercard" || created[0].Form.Get("amount") != "10000" ||
			created[0].Form.Get("currency") != "eur" || created[0].IdempotencyKey != apitest.Str(t, pl, "payment", "id") {
			t.Fatalf("PaymentIntent = %+v", created)
		}
		// Paying once with a collected method does not save it.
		if len(cards()) != saved {
			t.Fatalf("the method paid with was saved: %v", cards())
		}
		if p := apitest.Get(t, s.invoice(inv), "payments", 0).(map[string]any); p["source"] != "PORTAL" {
			t.Fatalf("merchant sees %v", p)
		}
	})

	t.Run("a payment awaiting 3-D Secure gives its client secret", func(t *testing.T) {
		s.stripe.Reset()
		inv := s.open(cus, "EUR", "30.00", nil)
		s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{
			"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}, "last_payment_error": nil}}, 1)
		s.stripe.On(http.MethodGet, "/v1/payment_intents/", stripemocktest.Decision{Set: map[string]any{
			"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}}}, 0)
		pl := a.payload("invoicePay", pstripePay, map[string]any{"in": map[string]any{"id": inv, "processorPaymentMethod": "pm_card_visa"}}, pstripeKey())
		wantCodes(t, "pay", pl)
		secret := fmt.Sprint(apitest.Get(t, pl, "payment", "nextActionClientSecret"))
		if apitest.Str(t, pl, "payment", "status") != "REQUIRES_ACTION" || !strings.Contains(secret, "_secret_") {
			t.Fatalf("invoicePay = %v", pl)
		}
		// The same through the invoice, and as the merchant reads it.
		pid := apitest.Str(t, pl, "payment", "id")
		got := a.query(`query($id: ID!) { invoice(id: $id) { payments { id status nextActionClientSecret } } }`, map[string]any{"id": inv})
		if p := apitest.Get(t, got, "invoice", "payments", 0).(map[string]any); p["id"] != pid || p["nextActionClientSecret"] != secret {
			t.Fatalf("invoice payments = %v", got)
		}
		if m := s.payment(pid); m["nextActionClientSecret"] != secret {
			t.Fatalf("merchant's nextActionClientSecret = %v, portal's %s", m["nextActionClientSecret"], secret)
		}
	})

	t.Run("setup needs the feature and a recent login", func(t *testing.T) {
		s.stripe.Reset()
		s.e.Query(`mutation { portalSettingsUpdate(input: {managePaymentMethods: false}) { userErrors { code } } }`, nil)
		off := a.payload("paymentMethodSetup", pstripeSetup, nil, nil)
		wantCodes(t, "methods off", off, "FEATURE_DISABLED")
		s.e.Query(`mutation { portalSettingsUpdate(input: {managePaymentMethods: true}) { userErrors { code } } }`, nil)
		s.e.Clock.Advance(11 * time.Minute)
		stale := a.payload("paymentMethodSetup", pstripeSetup, nil, nil)
		wantCodes(t, "stale login", stale, "REAUTHENTICATE")
		for _, pl := range []map[string]any{off, stale} {
			if pl["clientSecret"] != nil || pstripeFields(t, pl)[0] != "<nil>" {
				t.Fatalf("refused setup = %v", pl)
			}
		}
		if n := len(s.stripe.Requests(http.MethodPost, "/v1/setup_intents")); n != 0 {
			t.Fatalf("%d SetupIntents started by refused setups", n)
		}
	})
}
