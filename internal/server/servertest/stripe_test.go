package servertest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/processorconnection"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/payments/stripeproc/stripemocktest"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// Stripe through the public API: stripe-mock (Stripe's official mock,
// validating every request against Stripe's OpenAPI specification)
// answers the calls, and a stripemocktest.Transport plays the decisions
// Stripe would make (a card needing 3-D Secure, a debit processing, a
// lost answer). Outcomes Stripe reports later arrive as signed webhooks,
// as Stripe posts them.

const (
	stripeConnect = `mutation($in: AccountProcessorConnectInput!) { accountProcessorConnect(input: $in) {
		paymentProcessor { provider livemode secretKeyLast4 publishableKey webhookUrl webhookEvents webhookReady webhookRegistered connectedAt }
		userErrors { field code message } } }`
	stripeDisconnect = `mutation { accountProcessorDisconnect(input: {provider: STRIPE}) { paymentProcessor { secretKeyLast4 } userErrors { field code message } } }`
	stripeProcessor  = `{ account { paymentProcessor { provider livemode secretKeyLast4 webhookReady accountId } } }`
	stripePayment    = `query($id: ID!) { node(id: $id) { ... on Payment { id status failureCode processorReference disputedAt disputeReason disputeStatus nextActionClientSecret
		invoice { id status disputedAt amountPaid { minorUnits } amountPending { minorUnits } } } } }`
	stripeWhsec = "whsec_test_remit_0123456789"
)

// stripeEnv is a server whose Stripe is stripe-mock behind a Transport.
type stripeEnv struct {
	*payT
	stripe *stripemocktest.Transport
}

func startStripe(t *testing.T, dialect string) *stripeEnv {
	t.Helper()
	tr := stripemocktest.NewTransport(stripemocktest.Start(t))
	e := apitest.StartWith(t, dialect, apitest.Options{Stripe: app.StripeOptions{HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Second}, URL: "http://stripe.invalid"}})
	// stripe-mock makes up a new id on every answer; one Stripe account
	// has one.
	tr.On(http.MethodGet, "/v1/account", stripemocktest.Decision{Set: map[string]any{"id": "acct_remit_test"}}, 0)
	return &stripeEnv{payT: newPayT(t, e), stripe: tr}
}

// live switches the driver to a live key of the Env's account.
func (s *stripeEnv) live() *stripeEnv {
	c := *s.payT
	c.key = s.e.NewKey(s.e.Account, viewer.Live)
	return &stripeEnv{payT: &c, stripe: s.stripe}
}

func (s *stripeEnv) connect(in map[string]any) map[string]any {
	s.t.Helper()
	return s.payload("accountProcessorConnect", stripeConnect, map[string]any{"in": in}, "")
}

func (s *stripeEnv) connected(mode string, webhookSecret string) map[string]any {
	s.t.Helper()
	in := map[string]any{"provider": "STRIPE", "secretKey": "sk_" + mode + "_51Remit0000000000000000abcd", "publishableKey": "pk_" + mode + "_51Remit00000000000000"}
	if webhookSecret != "" {
		in["webhookSigningSecret"] = webhookSecret
	}
	pl := s.connect(in)
	if ue := pl["userErrors"].([]any); len(ue) > 0 {
		s.t.Fatalf("connect: %v", ue)
	}
	return pl["paymentProcessor"].(map[string]any)
}

func (s *stripeEnv) processor() any {
	s.t.Helper()
	return apitest.Get(s.t, s.query(stripeProcessor, nil), "account", "paymentProcessor")
}

func (s *stripeEnv) payment(id string) map[string]any {
	s.t.Helper()
	return s.query(stripePayment, map[string]any{"id": id})["node"].(map[string]any)
}

// webhook posts a Stripe event signed with secret at the server's time,
// and returns the status and body.
func (s *stripeEnv) webhook(account, secret string, event map[string]any) (int, string) {
	s.t.Helper()
	payload, _ := json.Marshal(event)
	return s.webhookRaw(account, payload, stripeSignature(payload, secret, s.e.Clock.Now()))
}

func (s *stripeEnv) webhookRaw(account string, payload []byte, signature string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.e.URL+"/processors/stripe/webhook/"+account, bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func stripeSignature(payload []byte, secret string, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(payload)))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

var eventSeq int

// stripeEvent is a Stripe event of typ about obj.
func stripeEvent(typ string, livemode bool, obj map[string]any) map[string]any {
	eventSeq++
	return map[string]any{"id": fmt.Sprintf("evt_test_%d_%d", time.Now().UnixNano(), eventSeq), "object": "event", "type": typ,
		"created": time.Now().Unix(), "livemode": livemode, "data": map[string]any{"object": obj}}
}

func piObject(id string, amount int64, currency, status string, extra map[string]any) map[string]any {
	o := map[string]any{"id": id, "object": "payment_intent", "amount": amount, "currency": currency, "status": status}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func TestStripeConnect(t *testing.T) {
	s := startStripe(t, storetest.Dialects()[0])
	good := func() map[string]any {
		return map[string]any{"provider": "STRIPE", "secretKey": "sk_test_51Remit0000000000000000wxyz", "publishableKey": "pk_test_51Remit00000000000000"}
	}
	with := func(k string, v any) map[string]any { in := good(); in[k] = v; return in }
	cases := []struct {
		name string
		in   map[string]any
		// stripe, when set, is how Stripe answers the key check.
		stripe *stripemocktest.Decision
		code   string
		field  string
	}{
		{"not a key", with("secretKey", "hunter2"), nil, "INVALID_PROCESSOR_KEY", "secretKey"},
		{"publishable key as secret", with("secretKey", "pk_test_123"), nil, "INVALID_PROCESSOR_KEY", "secretKey"},
		{"live key in test mode", with("secretKey", "sk_live_51Remit"), nil, "PROCESSOR_KEY_MODE_MISMATCH", "secretKey"},
		{"live publishable key in test mode", with("publishableKey", "pk_live_51Remit"), nil, "PROCESSOR_KEY_MODE_MISMATCH", "publishableKey"},
		{"empty secret key", with("secretKey", " "), nil, "REQUIRED", "secretKey"},
		{"bad webhook secret", with("webhookSigningSecret", "secret"), nil, "INVALID", "webhookSigningSecret"},
		{"revoked key", good(), &stripemocktest.Decision{Status: 401, Body: stripemocktest.StripeError("invalid_request_error", "", "Invalid API Key provided: sk_test_****wxyz")}, "INVALID_PROCESSOR_KEY", "secretKey"},
		{"restricted key without balance", good(), &stripemocktest.Decision{Status: 403, Body: stripemocktest.StripeError("invalid_request_error", "", "The provided key does not have the required permissions")}, "INVALID_PROCESSOR_KEY", "secretKey"},
		{"Stripe down", good(), &stripemocktest.Decision{Status: 500, Body: stripemocktest.StripeError("api_error", "", "An unknown error occurred")}, "PROCESSOR_UNAVAILABLE", ""},
		{"Stripe timing out", good(), &stripemocktest.Decision{LoseAnswer: true}, "PROCESSOR_UNAVAILABLE", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.stripe.Reset()
			if tc.stripe != nil {
				s.stripe.On(http.MethodGet, "/v1/balance", *tc.stripe, 1)
			}
			pl := s.connect(tc.in)
			s.refused(tc.name, pl, tc.code)
			if tc.field != "" {
				if f := apitest.Get(t, pl, "userErrors", 0, "field"); fmt.Sprint(f) != fmt.Sprint([]any{"input", tc.field}) {
					t.Errorf("field = %v, want [input %s]", f, tc.field)
				}
			}
			if p := s.processor(); p != nil {
				t.Fatalf("a refused connection was stored: %v", p)
			}
			if tc.stripe == nil && len(s.stripe.Requests(http.MethodGet, "/")) > 0 {
				t.Error("a malformed key was sent to Stripe")
			}
		})
	}

	t.Run("registers the webhook endpoint and keeps only the last four characters", func(t *testing.T) {
		s.stripe.Reset()
		res := s.e.Do(apitest.Request{Query: stripeConnect, Variables: map[string]any{"in": good()}})
		if bytes.Contains(res.RawBody, []byte("sk_test_51Remit0000000000000000wxyz")) {
			t.Fatal("the secret key came back in the response")
		}
		p := apitest.Get(t, res.Data, "accountProcessorConnect", "paymentProcessor").(map[string]any)
		if p["secretKeyLast4"] != "wxyz" || p["livemode"] != false || p["provider"] != "STRIPE" || p["webhookRegistered"] != true {
			t.Fatalf("processor = %v", p)
		}
		want := "/processors/stripe/webhook/" + s.e.Account
		if u, _ := p["webhookUrl"].(string); !strings.HasSuffix(u, want) {
			t.Errorf("webhookUrl = %v, want …%s", p["webhookUrl"], want)
		}
		reg := s.stripe.Requests(http.MethodPost, "/v1/webhook_endpoints")
		if len(reg) != 1 || !strings.HasSuffix(reg[0].Form.Get("url"), want) || reg[0].Form.Get(fmt.Sprintf("enabled_events[%d]", len(p["webhookEvents"].([]any))-1)) == "" {
			t.Fatalf("registration = %+v", reg)
		}
		// At rest the key is sealed: the row holds neither it nor its
		// body.
		row, err := s.e.Store.Client.ProcessorConnection.Query().Where(processorconnection.AccountID(s.e.Account)).Only(viewer.Bypass(context.Background(), "test"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(row.SecretKeySealed, []byte("51Remit")) || len(row.SecretKeySealed) < 40 {
			t.Fatalf("secret key stored in the clear: %q", row.SecretKeySealed)
		}
	})

	t.Run("with the merchant's own endpoint", func(t *testing.T) {
		s.stripe.Reset()
		p := s.connected("test", stripeWhsec)
		if p["webhookReady"] != true || p["webhookRegistered"] != false {
			t.Fatalf("processor = %v", p)
		}
		if len(s.stripe.Requests(http.MethodPost, "/v1/webhook_endpoints")) != 0 {
			t.Error("registered an endpoint although given its secret")
		}
		// The endpoint Remit registered before is deleted with the
		// connection it belonged to.
		if len(s.stripe.Requests(http.MethodDelete, "/v1/webhook_endpoints/we_")) != 1 {
			t.Error("the replaced connection's endpoint was not deleted")
		}
	})

	t.Run("a URL Stripe refuses leaves the endpoint to the merchant", func(t *testing.T) {
		s.stripe.Reset()
		s.stripe.On(http.MethodPost, "/v1/webhook_endpoints", stripemocktest.Decision{Status: http.StatusBadRequest,
			Body: stripemocktest.StripeError("invalid_request_error", "url_invalid", "Invalid URL: URL must be publicly accessible.")}, 1)
		pl := s.connect(good())
		if ue := pl["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("connect: %v", ue)
		}
		if p := pl["paymentProcessor"].(map[string]any); p["webhookReady"] != false || p["webhookRegistered"] != false || p["webhookUrl"] == nil {
			t.Fatalf("processor = %v", p)
		}
	})

	t.Run("card details never reach Remit; Stripe's PaymentMethod ids do", func(t *testing.T) {
		s.stripe.Reset()
		cus := s.customer("Ada Lovelace", "ada@example.com", "EUR")
		for name, method := range map[string]map[string]any{
			"card": {"card": testCard(cardOK)},
			"sepa": {"sepaDebit": map[string]any{"iban": ibanOK, "accountHolder": "Ada"}},
		} {
			s.refused(name, s.attach(cus, method), "RAW_PAYMENT_DETAILS_REFUSED")
		}
		if n := len(s.stripe.Requests(http.MethodPost, "/")); n != 0 {
			t.Fatalf("raw details went to Stripe (%d requests)", n)
		}
		s.refused("not a PaymentMethod id", s.attach(cus, map[string]any{"processorPaymentMethod": "tok_visa"}), "INVALID_PROCESSOR_PAYMENT_METHOD")
		s.stripe.On(http.MethodGet, "/v1/payment_methods/pm_gone", stripemocktest.Decision{Status: 404,
			Body: stripemocktest.StripeError("invalid_request_error", "resource_missing", "No such PaymentMethod: 'pm_gone'")}, 0)
		s.refused("unknown PaymentMethod", s.attach(cus, map[string]any{"processorPaymentMethod": "pm_gone"}), "INVALID_PROCESSOR_PAYMENT_METHOD")

		pl := s.attach(cus, map[string]any{"processorPaymentMethod": "pm_card_visa"})
		if ue := pl["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("attach: %v", ue)
		}
		pm := pl["paymentMethod"].(map[string]any)
		if pm["brand"] != "visa" || pm["last4"] != "4242" || pm["isDefault"] != true {
			t.Fatalf("method = %v", pm)
		}
		created := s.stripe.Requests(http.MethodPost, "/v1/customers")
		if len(created) != 1 || created[0].Form.Get("metadata[remit_customer_id]") != cus || created[0].IdempotencyKey == "" {
			t.Fatalf("Stripe customer = %+v", created)
		}
		if len(s.stripe.Requests(http.MethodPost, "/v1/payment_methods/pm_card_visa/attach")) != 1 {
			t.Fatal("the PaymentMethod was not attached to the Stripe customer")
		}
		// The customer's Stripe customer is created once.
		s.attach(cus, map[string]any{"processorPaymentMethod": "pm_card_mastercard"})
		if n := len(s.stripe.Requests(http.MethodPost, "/v1/customers")); n != 1 {
			t.Fatalf("%d Stripe customers for one customer", n)
		}
	})

	t.Run("disconnect returns test mode to the simulator", func(t *testing.T) {
		pl := s.payload("accountProcessorDisconnect", stripeDisconnect, nil, "")
		if ue := pl["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("disconnect: %v", ue)
		}
		if s.processor() != nil {
			t.Fatal("still connected")
		}
		cus := s.customer("Grace", "grace@example.com", "EUR")
		s.card(cus, cardOK)
		s.refused("disconnect twice", s.payload("accountProcessorDisconnect", stripeDisconnect, nil, ""), "NOT_FOUND")
	})

	t.Run("live mode connects live keys only", func(t *testing.T) {
		l := s.live()
		pl := l.connect(map[string]any{"provider": "STRIPE", "secretKey": "sk_test_51Remit", "publishableKey": "pk_live_1"})
		l.refused("test key in live mode", pl, "PROCESSOR_KEY_MODE_MISMATCH")
		p := l.connected("live", stripeWhsec)
		if p["livemode"] != true {
			t.Fatalf("processor = %v", p)
		}
		if s.processor() != nil {
			t.Fatal("the live connection shows in test mode")
		}
	})
}

// TestStripeLivePayments follows live payments from the API to Stripe and
// back through its webhooks, on both databases.
func TestStripeLivePayments(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := startStripe(t, d)
			l := s.live()

			// Before a connection, live payments are refused.
			cus := l.customer("Ada Lovelace", "ada@example.com", "EUR")
			inv := l.open(cus, "EUR", "100.00", nil)
			l.refused("live without a processor", l.pay(inv, "", ""), "PROCESSOR_UNAVAILABLE")

			l.connected("live", stripeWhsec)
			pm := apitest.Str(t, l.attach(cus, map[string]any{"processorPaymentMethod": "pm_card_visa"}), "paymentMethod", "id")

			// A card that needs 3-D Secure: the payment waits for the
			// payer, whose browser gets the client secret.
			s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{
				"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}, "last_payment_error": nil}}, 1)
			pl := l.payOK(inv, "", pm)
			pay := pl["payment"].(map[string]any)
			if pay["status"] != "REQUIRES_ACTION" {
				t.Fatalf("payment = %v", pay)
			}
			created := s.stripe.Requests(http.MethodPost, "/v1/payment_intents")
			if len(created) != 1 || created[0].IdempotencyKey != pay["id"] || created[0].Form.Get("metadata[remit_payment_id]") != pay["id"] ||
				created[0].Form.Get("amount") != "10000" || created[0].Form.Get("currency") != "eur" || created[0].Form.Get("off_session") != "" {
				t.Fatalf("PaymentIntent request = %+v", created)
			}
			pi := pay["processorReference"].(string)
			s.stripe.On(http.MethodGet, "/v1/payment_intents/"+pi, stripemocktest.Decision{Set: map[string]any{
				"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}}}, 0)
			if got := l.payment(pay["id"].(string)); !strings.Contains(fmt.Sprint(got["nextActionClientSecret"]), "_secret_") {
				t.Fatalf("nextActionClientSecret = %v", got["nextActionClientSecret"])
			}
			// Asking before the payer finished changes nothing, and tells
			// the merchant nothing twice.
			actionEvents := func() any {
				return apitest.Get(t, l.query(`{ events(first: 5, filter: {types: ["invoice.payment_action_required"]}) { totalCount } }`, nil), "events", "totalCount")
			}
			asked := actionEvents()
			early := l.payload("paymentConfirm", payConfirmMutation, map[string]any{"in": map[string]any{"id": pay["id"], "authenticated": true}}, "")
			if apitest.Get(t, early, "payment", "status") != "REQUIRES_ACTION" || actionEvents() != asked || asked != float64(1) {
				t.Fatalf("an early confirm: %v, action events %v then %v", early["payment"], asked, actionEvents())
			}

			// Stripe tells: succeeded. The invoice is paid, once.
			ok := stripeEvent("payment_intent.succeeded", true, piObject(pi, 10000, "eur", "succeeded", nil))
			if code, body := l.webhook(s.e.Account, stripeWhsec, ok); code != 200 || !strings.Contains(body, `"applied"`) {
				t.Fatalf("webhook = %d %s", code, body)
			}
			after := l.payment(pay["id"].(string))
			if after["status"] != "SUCCEEDED" || apitest.Get(t, after, "invoice", "status") != "PAID" || after["nextActionClientSecret"] != nil {
				t.Fatalf("after the webhook: %v", after)
			}
			events := l.query(`{ events(first: 100) { totalCount } }`, nil)
			if code, body := l.webhook(s.e.Account, stripeWhsec, ok); code != 200 || !strings.Contains(body, `"duplicate"`) {
				t.Fatalf("replayed webhook = %d %s", code, body)
			}
			if again := l.query(`{ events(first: 100) { totalCount } }`, nil); canon(t, again) != canon(t, events) {
				t.Fatalf("a replayed event changed something: %v then %v", events, again)
			}

			// A dispute: the payment and its invoice show it, and the
			// merchant is told.
			dispute := stripeEvent("charge.dispute.created", true, map[string]any{"id": "dp_1", "object": "dispute", "amount": 10000, "currency": "eur",
				"charge": "ch_1", "payment_intent": pi, "reason": "fraudulent", "status": "needs_response"})
			if code, body := l.webhook(s.e.Account, stripeWhsec, dispute); code != 200 || !strings.Contains(body, `"applied"`) {
				t.Fatalf("dispute webhook = %d %s", code, body)
			}
			disputed := l.payment(pay["id"].(string))
			if disputed["disputedAt"] == nil || disputed["disputeReason"] != "fraudulent" || disputed["disputeStatus"] != "needs_response" ||
				apitest.Get(t, disputed, "invoice", "disputedAt") == nil {
				t.Fatalf("disputed payment = %v", disputed)
			}
			if n := apitest.Get(t, l.query(`{ events(first: 5, filter: {types: ["payment.disputed"]}) { totalCount } }`, nil), "events", "totalCount"); n != float64(1) {
				t.Fatalf("payment.disputed events = %v", n)
			}
			// The bank decides: lost. The payment says so, the merchant is
			// told, and the invoice's history reads it.
			lost := stripeEvent("charge.dispute.closed", true, map[string]any{"id": "dp_1", "object": "dispute", "amount": 10000, "currency": "eur",
				"charge": "ch_1", "payment_intent": pi, "reason": "fraudulent", "status": "lost"})
			if code, body := l.webhook(s.e.Account, stripeWhsec, lost); code != 200 || !strings.Contains(body, `"applied"`) {
				t.Fatalf("dispute closed webhook = %d %s", code, body)
			}
			if got := l.payment(pay["id"].(string)); got["disputeStatus"] != "lost" || got["disputedAt"] != disputed["disputedAt"] {
				t.Fatalf("closed dispute = %v", got)
			}
			var notes []string
			for _, h := range apitest.Get(t, l.invoice(inv), "history").([]any) {
				if h := h.(map[string]any); h["action"] == "payment_disputed" {
					notes = append(notes, fmt.Sprint(h["note"]))
				}
			}
			if len(notes) != 2 || !strings.Contains(notes[0], "disputed by the payer's bank: fraudulent") ||
				!strings.Contains(notes[1], "closed: lost, the money went back to the payer") {
				t.Errorf("history of the dispute: %q", notes)
			}
			if n := apitest.Get(t, l.query(`{ events(first: 5, filter: {types: ["payment.dispute_updated"]}) { totalCount } }`, nil), "events", "totalCount"); n != float64(1) {
				t.Fatalf("payment.dispute_updated events = %v", n)
			}

			// Requests that are not Stripe's change nothing.
			before := l.invoice(inv)
			bad := stripeEvent("payment_intent.payment_failed", true, piObject(pi, 10000, "eur", "requires_payment_method", nil))
			payload, _ := json.Marshal(bad)
			for name, sig := range map[string]string{
				"unsigned":     "",
				"wrong secret": stripeSignature(payload, "whsec_other", s.e.Clock.Now()),
				"stale":        stripeSignature(payload, stripeWhsec, s.e.Clock.Now().Add(-10*time.Minute)),
				"tampered":     stripeSignature(append(payload[:len(payload)-1:len(payload)-1], ' ', '}'), stripeWhsec, s.e.Clock.Now()),
			} {
				if code, _ := l.webhookRaw(s.e.Account, payload, sig); code != http.StatusBadRequest {
					t.Errorf("%s webhook: status %d, want 400", name, code)
				}
			}
			// A test-mode event signed with the live secret is not a live
			// one.
			testEvent := stripeEvent("payment_intent.payment_failed", false, piObject(pi, 10000, "eur", "requires_payment_method", nil))
			if code, _ := l.webhook(s.e.Account, stripeWhsec, testEvent); code != http.StatusBadRequest {
				t.Errorf("test event under the live secret: status %d, want 400", code)
			}
			if code, _ := l.webhook("acct_nobody", stripeWhsec, bad); code != http.StatusNotFound {
				t.Errorf("unknown account: status %d, want 404", code)
			}
			l.unchanged("refused webhooks", inv, before)

			// An event about a charge Remit never made is acknowledged.
			other := stripeEvent("payment_intent.succeeded", true, piObject("pi_elsewhere", 500, "eur", "succeeded", nil))
			if code, body := l.webhook(s.e.Account, stripeWhsec, other); code != 200 || !strings.Contains(body, "unknown_object") {
				t.Fatalf("unknown object = %d %s", code, body)
			}
			if code, body := l.webhook(s.e.Account, stripeWhsec, stripeEvent("customer.created", true, map[string]any{"id": "cus_1", "object": "customer"})); code != 200 || !strings.Contains(body, "ignored_type") {
				t.Fatalf("unknown type = %d %s", code, body)
			}

			// The connection cannot be removed under a payment in flight.
			sepaInv := l.open(cus, "EUR", "40.00", nil)
			sepaPM := stripemocktest.Decision{Set: map[string]any{"id": "pm_sepa", "type": "sepa_debit", "card": nil,
				"sepa_debit": map[string]any{"bank_code": "37040044", "country": "DE", "fingerprint": "fpSEPA", "last4": "3000"}}}
			s.stripe.On(http.MethodGet, "/v1/payment_methods/pm_sepa", sepaPM, 0)
			s.stripe.On(http.MethodPost, "/v1/payment_methods/pm_sepa", sepaPM, 0)
			sepa := apitest.Str(t, l.attach(cus, map[string]any{"processorPaymentMethod": "pm_sepa"}), "paymentMethod", "id")
			s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "processing", "last_payment_error": nil}}, 1)
			debit := l.payOK(sepaInv, "", sepa)["payment"].(map[string]any)
			if debit["status"] != "PROCESSING" || debit["methodType"] != "SEPA_DEBIT" {
				t.Fatalf("debit = %v", debit)
			}
			l.refused("disconnect in flight", l.payload("accountProcessorDisconnect", stripeDisconnect, nil, ""), "PROCESSOR_IN_USE")
			// Nor replaced by a key of another Stripe account, which would
			// not know the debit; a rolled key of the same account may.
			rolled := map[string]any{"provider": "STRIPE", "secretKey": "sk_live_51Remit0000000000000000roll", "publishableKey": "pk_live_51Remit00000000000000", "webhookSigningSecret": stripeWhsec}
			s.stripe.On(http.MethodGet, "/v1/account", stripemocktest.Decision{Set: map[string]any{"id": "acct_someone_else"}}, 1)
			l.refused("another Stripe account in flight", l.connect(rolled), "PROCESSOR_IN_USE")
			if got := l.processor(); got.(map[string]any)["secretKeyLast4"] != "abcd" {
				t.Fatalf("the refused key replaced the connection: %v", got)
			}
			if ue := l.connect(rolled)["userErrors"].([]any); len(ue) > 0 {
				t.Fatalf("a rolled key of the same account: %v", ue)
			}
			failed := stripeEvent("payment_intent.payment_failed", true, piObject(debit["processorReference"].(string), 4000, "eur", "requires_payment_method",
				map[string]any{"last_payment_error": map[string]any{"code": "insufficient_funds", "message": "The account has insufficient funds."}}))
			if code, body := l.webhook(s.e.Account, stripeWhsec, failed); code != 200 || !strings.Contains(body, `"applied"`) {
				t.Fatalf("failed debit webhook = %d %s", code, body)
			}
			if got := l.payment(debit["id"].(string)); got["status"] != "FAILED" || got["failureCode"] != "insufficient_funds" ||
				apitest.Get(t, got, "invoice", "status") != "OPEN" || minor(t, got, "invoice", "amountPending") != "0" {
				t.Fatalf("failed debit = %v", got)
			}
		})
	}
}

// startLiveStripe is a server with Stripe connected in live mode (s, and
// l driving it with a live key) and a customer whose saved card is pm.
func startLiveStripe(t *testing.T) (s, l *stripeEnv, cus, pm string) {
	t.Helper()
	s = startStripe(t, storetest.Dialects()[0])
	l = s.live()
	l.connected("live", stripeWhsec)
	cus = l.customer("Ada Lovelace", "ada@example.com", "EUR")
	pm = apitest.Str(t, l.attach(cus, map[string]any{"processorPaymentMethod": "pm_card_visa"}), "paymentMethod", "id")
	return s, l, cus, pm
}

// TestStripeLostAnswers: a charge whose answer never came back stays
// PROCESSING, and the worker asks Stripe again with the same idempotency
// key (the payment's id), so the retry is the same PaymentIntent and the
// customer is charged once; a payment still processing is asked about
// less and less often.
func TestStripeLostAnswers(t *testing.T) {
	s, l, cus, pm := startLiveStripe(t)
	inv := l.open(cus, "EUR", "25.00", nil)

	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{LoseAnswer: true}, 1)
	pay := l.payOK(inv, "", pm)["payment"].(map[string]any)
	if pay["status"] != "PROCESSING" || pay["processorReference"] != "" {
		t.Fatalf("payment after a lost answer = %v", pay)
	}
	if got := l.invoice(inv); minor(t, got, "amountPending") != "2500" {
		t.Fatalf("the amount in flight is not held: %v", got["amountPending"])
	}

	settle := func() int {
		t.Helper()
		n, err := s.e.App.Billing.SettleDue(clock.WithContext(context.Background(), s.e.Clock), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Within the first minute the request may still be on its way: the
	// worker leaves it.
	if n := settle(); n != 0 || len(s.stripe.Requests(http.MethodPost, "/v1/payment_intents")) != 1 {
		t.Fatalf("asked again too early: settled %d, %+v", n, s.stripe.Requests(http.MethodPost, "/v1/payment_intents"))
	}
	s.e.Clock.Advance(2 * time.Minute)
	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 1)
	if settle() != 1 {
		t.Fatal("the lost charge was not asked about again")
	}
	tries := s.stripe.Requests(http.MethodPost, "/v1/payment_intents")
	if len(tries) != 2 || tries[0].IdempotencyKey != pay["id"] || tries[1].IdempotencyKey != pay["id"] {
		t.Fatalf("retries were not the same charge to Stripe: %+v", tries)
	}
	if got := l.payment(pay["id"].(string)); got["status"] != "SUCCEEDED" || apitest.Get(t, got, "invoice", "status") != "PAID" {
		t.Fatalf("after reconciliation: %v", got)
	}

	// Stripe failing on its side (a 500) is no decline either: the
	// payment stays PROCESSING with its amount held, until Stripe answers.
	inv500 := l.open(cus, "EUR", "12.00", nil)
	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Status: http.StatusInternalServerError,
		Body: stripemocktest.StripeError("api_error", "", "An unknown error occurred")}, 1)
	p500 := l.payOK(inv500, "", pm)["payment"].(map[string]any)
	if p500["status"] != "PROCESSING" || p500["failureCode"] != "" {
		t.Fatalf("payment after Stripe's 500 = %v", p500)
	}
	s.e.Clock.Advance(2 * time.Minute)
	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 1)
	settle()
	if got := l.payment(p500["id"].(string)); got["status"] != "SUCCEEDED" {
		t.Fatalf("after Stripe came back: %v", got)
	}

	// A debit Stripe keeps processing, whose webhook never comes: the
	// worker asks, then waits longer each time.
	inv2 := l.open(cus, "EUR", "30.00", nil)
	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "processing", "last_payment_error": nil}}, 1)
	p2 := l.payOK(inv2, "", pm)["payment"].(map[string]any)
	pi := p2["processorReference"].(string)
	s.stripe.On(http.MethodGet, "/v1/payment_intents/"+pi, stripemocktest.Decision{Set: map[string]any{"status": "processing", "last_payment_error": nil}}, 0)
	asked := func() int { return len(s.stripe.Requests(http.MethodGet, "/v1/payment_intents/"+pi)) }
	s.e.Clock.Advance(2 * time.Minute)
	settle()
	if asked() != 1 {
		t.Fatalf("asked %d times, want 1", asked())
	}
	settle()
	if asked() != 1 {
		t.Fatal("asked again at once: no backoff")
	}
	s.e.Clock.Advance(3 * time.Hour)
	s.stripe.On(http.MethodGet, "/v1/payment_intents/"+pi, stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 0)
	settle()
	if asked() != 2 {
		t.Fatalf("asked %d times, want 2", asked())
	}
	if got := l.payment(p2["id"].(string)); got["status"] != "SUCCEEDED" {
		t.Fatalf("reconciled debit = %v", got)
	}
}

func cardError(declineCode, pi string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"type": "card_error", "code": "card_declined", "decline_code": declineCode, "message": "Your card was declined.",
		"payment_intent": map[string]any{"id": pi, "object": "payment_intent", "status": "requires_payment_method"},
	}})
	return string(b)
}

// TestStripeDeclinesRefundsAndTimeouts: Stripe's declines drive the retry
// rules as the simulator's do; automatic charges are off-session;
// refunds go through the Refunds API with the refund's id as the
// idempotency key and settle by webhook; a payment whose payer never
// authenticates is canceled at Stripe too.
func TestStripeDeclinesRefundsAndTimeouts(t *testing.T) {
	s, l, cus, pm := startLiveStripe(t)
	const invFields = `query($id: ID!) { invoice(id: $id) { status standing attemptCount nextPaymentAttemptAt payments { id status failureCode processorReference source } } }`
	auto := func(decline string) map[string]any {
		t.Helper()
		s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Status: http.StatusPaymentRequired, Body: cardError(decline, "pi_declined_"+decline)}, 1)
		id := l.open(cus, "EUR", "80.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
		req := s.stripe.Requests(http.MethodPost, "/v1/payment_intents")
		if last := req[len(req)-1]; last.Form.Get("off_session") != "true" {
			t.Fatalf("an automatic charge was not off-session: %+v", last)
		}
		return l.query(invFields, map[string]any{"id": id})["invoice"].(map[string]any)
	}
	soft := auto("insufficient_funds")
	if p := apitest.Get(t, soft, "payments", 0).(map[string]any); p["status"] != "FAILED" || p["failureCode"] != "card_declined" || p["processorReference"] != "pi_declined_insufficient_funds" {
		t.Fatalf("soft decline payment = %v", p)
	}
	if soft["standing"] != "RETRYING" || soft["nextPaymentAttemptAt"] == nil {
		t.Fatalf("a soft decline is retried: %v", soft)
	}
	hard := auto("lost_card")
	if hard["nextPaymentAttemptAt"] != nil {
		t.Fatalf("a hard decline (lost card) is never retried on the same card: %v", hard)
	}

	// A refund, pending at Stripe, settled by its webhook.
	inv := l.open(cus, "EUR", "50.00", nil)
	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 1)
	paid := l.payOK(inv, "", pm)["payment"].(map[string]any)
	if paid["status"] != "SUCCEEDED" {
		t.Fatalf("payment = %v", paid)
	}
	s.stripe.On(http.MethodPost, "/v1/refunds", stripemocktest.Decision{Set: map[string]any{"status": "pending"}}, 1)
	rf := l.refundOK(paid["id"].(string), "20.00")["refund"].(map[string]any)
	sent := s.stripe.Requests(http.MethodPost, "/v1/refunds")
	if rf["status"] != "PENDING" || len(sent) != 1 || sent[0].IdempotencyKey != rf["id"] || sent[0].Form.Get("payment_intent") != paid["processorReference"] ||
		sent[0].Form.Get("amount") != "2000" || sent[0].Form.Get("metadata[remit_refund_id]") != rf["id"] {
		t.Fatalf("refund = %v, request %+v", rf, sent)
	}
	re := rf["processorReference"].(string)
	done := stripeEvent("refund.updated", true, map[string]any{"id": re, "object": "refund", "status": "succeeded", "amount": 2000, "currency": "eur",
		"payment_intent": paid["processorReference"], "metadata": map[string]any{"remit_refund_id": rf["id"]}})
	if code, body := l.webhook(s.e.Account, stripeWhsec, done); code != 200 || !strings.Contains(body, `"applied"`) {
		t.Fatalf("refund webhook = %d %s", code, body)
	}
	after := l.payT.payment(paid["id"].(string))
	if r := apitest.Get(t, after, "refunds", 0).(map[string]any); r["status"] != "SUCCEEDED" || minor(t, after, "amountRefunded") != "2000" {
		t.Fatalf("after the refund webhook: %v", after)
	}
	// charge.refunded lists the same refund: nothing more happens.
	listed := stripeEvent("charge.refunded", true, map[string]any{"id": "ch_1", "object": "charge", "status": "succeeded", "amount": 5000, "amount_refunded": 2000,
		"currency": "eur", "payment_intent": paid["processorReference"],
		"refunds": map[string]any{"object": "list", "data": []any{map[string]any{"id": re, "object": "refund", "status": "succeeded", "amount": 2000}}}})
	if code, body := l.webhook(s.e.Account, stripeWhsec, listed); code != 200 || !strings.Contains(body, `"unchanged"`) {
		t.Fatalf("charge.refunded = %d %s", code, body)
	}
	if again := l.payT.payment(paid["id"].(string)); canon(t, again) != canon(t, after) {
		t.Fatalf("charge.refunded changed the payment: %v", again)
	}

	// A payer who never completes 3-D Secure: after an hour the payment
	// is canceled, at Stripe too, and its amount released.
	inv3 := l.open(cus, "EUR", "15.00", nil)
	s.stripe.On(http.MethodPost, "/v1/payment_intents", stripemocktest.Decision{Set: map[string]any{"status": "requires_action", "last_payment_error": nil,
		"next_action": map[string]any{"type": "use_stripe_sdk"}}}, 1)
	waiting := l.payOK(inv3, "", pm)["payment"].(map[string]any)
	pi := waiting["processorReference"].(string)
	s.stripe.On(http.MethodGet, "/v1/payment_intents/"+pi, stripemocktest.Decision{Set: map[string]any{"status": "requires_action", "last_payment_error": nil}}, 0)
	s.stripe.On(http.MethodPost, "/v1/payment_intents/"+pi+"/cancel", stripemocktest.Decision{Set: map[string]any{"status": "canceled", "last_payment_error": nil}}, 0)
	s.e.Clock.Advance(61 * time.Minute)
	if _, err := s.e.App.Billing.SettleDue(clock.WithContext(context.Background(), s.e.Clock), "", 10); err != nil {
		t.Fatal(err)
	}
	if len(s.stripe.Requests(http.MethodPost, "/v1/payment_intents/"+pi+"/cancel")) != 1 {
		t.Fatal("the abandoned PaymentIntent was not canceled at Stripe")
	}
	if got := l.payment(waiting["id"].(string)); got["status"] != "CANCELED" || minor(t, got, "invoice", "amountPending") != "0" {
		t.Fatalf("abandoned payment = %v", got)
	}
}
