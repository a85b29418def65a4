package stripeproc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/payments/stripeproc/stripemocktest"
)

func TestMain(m *testing.M) { stripemocktest.Main(m) }

// recorder keeps the requests a Processor sends, to check headers that
// stripe-mock accepts but cannot echo back (Idempotency-Key).
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) find(method, pathPrefix string) *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.reqs {
		if q.Method == method && strings.HasPrefix(q.URL.Path, pathPrefix) {
			return q
		}
	}
	return nil
}

// mock is the package's shared stripe-mock (it keeps no state).
func mock(t *testing.T) string { return stripemocktest.Shared(t) }

func newProc(t *testing.T, key string) (*Processor, *recorder) {
	rec := &recorder{}
	return New(Config{SecretKey: key, BaseURL: mock(t), HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second}}), rec
}

func TestVerifyKey(t *testing.T) {
	for _, tc := range []struct {
		key, mode string
		err       error
	}{
		{"sk_test_123", "test", nil},
		{"rk_test_123", "test", nil},
		{"pk_test_123", "", ErrInvalidKey},
		{"", "", ErrInvalidKey},
	} {
		p, _ := newProc(t, tc.key)
		mode, err := p.VerifyKey(context.Background())
		if mode != tc.mode || !errors.Is(err, tc.err) {
			t.Errorf("VerifyKey(%q) = %q, %v; want %q, %v", tc.key, mode, err, tc.mode, tc.err)
		}
	}
}

func TestAttachMethod(t *testing.T) {
	p, rec := newProc(t, "sk_test_123")
	m, err := p.AttachMethod(context.Background(), "cus_123", "pm_123")
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != payments.Card || m.Token == "" || m.Last4 == "" || m.Brand == "" || m.ExpYear == 0 {
		t.Fatalf("method = %+v", m)
	}
	if rec.find(http.MethodGet, "/v1/payment_methods/pm_123") == nil {
		t.Fatal("PaymentMethod not retrieved")
	}
	if _, err := p.AttachMethod(context.Background(), "cus_123", "4242424242424242"); !errors.Is(err, payments.ErrInvalidToken) {
		t.Fatalf("raw number: err = %v", err)
	}
}

func TestTokenizeRefusesRawDetails(t *testing.T) {
	p, rec := newProc(t, "sk_test_123")
	_, err := p.Tokenize(context.Background(), payments.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"})
	if !errors.Is(err, ErrRawDetails) || !errors.Is(err, payments.ErrCollectedByProvider) {
		t.Fatalf("err = %v", err)
	}
	if len(rec.reqs) != 0 {
		t.Fatal("raw details must not be sent anywhere")
	}
}

func TestCharge(t *testing.T) {
	for _, off := range []bool{false, true} {
		p, rec := newProc(t, "sk_test_123")
		res, err := p.Charge(context.Background(), payments.ChargeRequest{
			Method: payments.Method{Type: payments.Card, Token: "pm_123"}, Amount: 1250, Currency: "EUR",
			IdempotencyKey: "acct_1/pay_42", OffSession: off,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Reference, "pi_") || res.Status == "" {
			t.Fatalf("result = %+v", res)
		}
		req := rec.find(http.MethodPost, "/v1/payment_intents")
		if req == nil {
			t.Fatal("no PaymentIntent created")
		}
		if got := req.Header.Get("Idempotency-Key"); got != "acct_1/pay_42" {
			t.Fatalf("Idempotency-Key = %q", got)
		}
	}
}

func TestChargeBadRequests(t *testing.T) {
	p, rec := newProc(t, "sk_test_123")
	card := payments.Method{Type: payments.Card, Token: "pm_123"}
	for name, tc := range map[string]struct {
		req  payments.ChargeRequest
		want error
	}{
		"bank transfer": {payments.ChargeRequest{Method: payments.Method{Type: payments.BankTransfer, Token: "pm_1"}, Amount: 1, Currency: "EUR", IdempotencyKey: "k"}, payments.ErrUnsupported},
		"not a pm":      {payments.ChargeRequest{Method: payments.Method{Type: payments.Card, Token: "tok_1"}, Amount: 1, Currency: "EUR", IdempotencyKey: "k"}, payments.ErrInvalidToken},
		"zero amount":   {payments.ChargeRequest{Method: card, Amount: 0, Currency: "EUR", IdempotencyKey: "k"}, payments.ErrInvalidRequest},
		"bad currency":  {payments.ChargeRequest{Method: card, Amount: 1, Currency: "EURO", IdempotencyKey: "k"}, payments.ErrInvalidRequest},
		"no key":        {payments.ChargeRequest{Method: card, Amount: 1, Currency: "EUR"}, payments.ErrInvalidRequest},
	} {
		if _, err := p.Charge(context.Background(), tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	if len(rec.reqs) != 0 {
		t.Fatalf("bad requests reached Stripe: %d", len(rec.reqs))
	}
}

func TestSettleAndConfirm(t *testing.T) {
	p, _ := newProc(t, "sk_test_123")
	for _, f := range []func(context.Context, string) (payments.ChargeResult, error){
		p.Settle,
		func(ctx context.Context, ref string) (payments.ChargeResult, error) {
			return p.Confirm(ctx, ref, false)
		},
	} {
		res, err := f(context.Background(), "pi_123")
		if err != nil {
			t.Fatal(err)
		}
		if res.Reference != "pi_123" || res.Status == "" {
			t.Fatalf("result = %+v", res)
		}
	}
	if _, err := p.Settle(context.Background(), "ch_123"); !errors.Is(err, payments.ErrInvalidReference) {
		t.Fatalf("err = %v", err)
	}
}

func TestRefund(t *testing.T) {
	p, rec := newProc(t, "sk_test_123")
	res, err := p.Refund(context.Background(), payments.RefundRequest{Charge: "pi_123", Amount: 500, Currency: "EUR", IdempotencyKey: "acct_1/ref_7", Reason: "requested_by_customer"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Reference, "re_") || res.Status == "" {
		t.Fatalf("result = %+v", res)
	}
	req := rec.find(http.MethodPost, "/v1/refunds")
	if req == nil || req.Header.Get("Idempotency-Key") != "acct_1/ref_7" {
		t.Fatalf("refund request = %v", req)
	}
	again, err := p.SettleRefund(context.Background(), res.Reference)
	if err != nil || again.Reference != res.Reference {
		t.Fatalf("SettleRefund = %+v, %v", again, err)
	}
	if _, err := p.Refund(context.Background(), payments.RefundRequest{Charge: "xx", Amount: 1, IdempotencyKey: "k"}); !errors.Is(err, payments.ErrInvalidReference) {
		t.Fatalf("err = %v", err)
	}
}

// stub answers every request the same way, to drive failures stripe-mock
// cannot produce.
func stub(t *testing.T, h http.HandlerFunc) *Processor { return stubKey(t, "sk_test_123", h) }

func stubKey(t *testing.T, key string, h http.HandlerFunc) *Processor {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return New(Config{SecretKey: key, BaseURL: srv.URL, HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
}

func TestVerifyKeyLive(t *testing.T) {
	// stripe-mock accepts only test keys, so a stub plays Stripe here.
	p := stubKey(t, "sk_live_123", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/balance" || r.Header.Get("Authorization") != "Bearer sk_live_123" {
			t.Errorf("request %s %s", r.URL.Path, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"balance","livemode":true,"available":[],"pending":[]}`))
	})
	if mode, err := p.VerifyKey(context.Background()); mode != "live" || err != nil {
		t.Fatalf("VerifyKey = %q, %v", mode, err)
	}
}

func TestErrors(t *testing.T) {
	jsonErr := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name string
		h    http.HandlerFunc
		want error
	}{
		{"500 json", jsonErr(500, `{"error":{"type":"api_error","message":"boom"}}`), ErrUnavailable},
		{"502 html", jsonErr(502, `<html>bad gateway</html>`), ErrUnavailable},
		{"429", jsonErr(429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}}`), ErrUnavailable},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, ErrUnavailable},
		{"401", jsonErr(401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`), ErrInvalidKey},
		{"403", jsonErr(403, `{"error":{"type":"invalid_request_error","message":"restricted"}}`), ErrRestrictedKey},
		{"idempotency", jsonErr(400, `{"error":{"type":"idempotency_error","message":"reused"}}`), payments.ErrIdempotencyConflict},
		{"404", jsonErr(404, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent"}}`), payments.ErrInvalidReference},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := stub(t, tc.h)
			if _, err := p.Settle(context.Background(), "pi_123"); !errors.Is(err, tc.want) {
				t.Fatalf("Settle: err = %v, want %v", err, tc.want)
			}
			if tc.want == payments.ErrInvalidReference {
				return
			}
			if _, err := p.VerifyKey(context.Background()); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyKey: err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestChargeDeclined(t *testing.T) {
	var calls int
	p := stub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		calls++
		if r.Method == http.MethodGet {
			w.Write([]byte(`{"id":"pm_123","object":"payment_method","type":"card","customer":"cus_1","card":{"brand":"visa","last4":"0002"}}`))
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("customer") != "cus_1" || r.PostForm.Get("off_session") != "true" || r.PostForm.Get("confirm") != "true" {
			t.Errorf("form = %v", r.PostForm)
		}
		w.WriteHeader(402)
		w.Write([]byte(`{"error":{"type":"card_error","code":"card_declined","decline_code":"lost_card","message":"Your card was declined.",
			"payment_intent":{"id":"pi_9","object":"payment_intent","status":"requires_payment_method"}}}`))
	})
	res, err := p.Charge(context.Background(), payments.ChargeRequest{
		Method: payments.Method{Type: payments.Card, Token: "pm_123"}, Amount: 100, Currency: "usd", IdempotencyKey: "k", OffSession: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := payments.ChargeResult{Status: payments.StatusFailed, Reference: "pi_9", FailureCode: "card_declined", DeclineCode: "lost_card", FailureMessage: "Your card was declined."}
	if res != want || !res.HardDecline() {
		t.Fatalf("result = %+v", res)
	}
}

func TestChargeRequiresAction(t *testing.T) {
	p := stub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v1/payment_methods/pm_123":
			w.Write([]byte(`{"id":"pm_123","object":"payment_method","type":"card","card":{"brand":"visa","last4":"3155"}}`))
		default:
			w.Write([]byte(`{"id":"pi_3ds","object":"payment_intent","status":"requires_action","client_secret":"pi_3ds_secret_x",
				"next_action":{"type":"use_stripe_sdk","use_stripe_sdk":{}}}`))
		}
	})
	res, err := p.Charge(context.Background(), payments.ChargeRequest{
		Method: payments.Method{Type: payments.Card, Token: "pm_123"}, Amount: 100, Currency: "eur", IdempotencyKey: "k",
	})
	if err != nil || res.Status != payments.StatusRequiresAction || res.Reference != "pi_3ds" {
		t.Fatalf("Charge = %+v, %v", res, err)
	}
	a, err := p.NextAction(context.Background(), res.Reference)
	if err != nil || a.ClientSecret != "pi_3ds_secret_x" || a.Type != "use_stripe_sdk" {
		t.Fatalf("NextAction = %+v, %v", a, err)
	}
}

func TestNotInProcess(t *testing.T) {
	// Charging inside a database transaction that may roll back would move
	// real money without a record.
	var p payments.Processor = New(Config{SecretKey: "sk_test_123"})
	if _, ok := p.(payments.InProcess); ok {
		t.Fatal("the Stripe processor must not charge in process")
	}
}
