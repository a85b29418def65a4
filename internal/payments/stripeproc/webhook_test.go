package stripeproc

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/remitbilling/remit/internal/payments"
)

const testSecret = "whsec_test_secret"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sign uses stripe-go's own test helper, so the verification is checked
// against Stripe's reference implementation rather than against itself.
func sign(payload, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: []byte(payload), Secret: secret, Timestamp: at,
	}).Header
}

func eventJSON(typ, object string) string {
	return fmt.Sprintf(`{"id":"evt_1","object":"event","type":%q,"created":%d,"livemode":false,"data":{"object":%s}}`,
		typ, t0.Unix(), object)
}

func TestParseEventSignature(t *testing.T) {
	payload := eventJSON(EventPaymentIntentSucceeded, `{"id":"pi_1","object":"payment_intent","status":"succeeded","amount":1000,"currency":"eur"}`)
	good := sign(payload, testSecret, t0)
	other := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: "whsec_old", Timestamp: t0})
	mine := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(payload), Secret: testSecret, Timestamp: t0})
	several := fmt.Sprintf("t=%d,v1=%x,v1=%x,v0=deadbeef", t0.Unix(), other.Signature, mine.Signature)
	tests := []struct {
		name    string
		payload string
		header  string
		now     time.Time
		want    error
	}{
		{"good", payload, good, t0, nil},
		{"good within tolerance", payload, good, t0.Add(4 * time.Minute), nil},
		{"several v1, one matching", payload, several, t0, nil},
		{"bad signature", payload, sign(payload, "whsec_wrong", t0), t0, ErrBadSignature},
		{"tampered payload", payload + " ", good, t0, ErrBadSignature},
		{"old timestamp", payload, good, t0.Add(6 * time.Minute), ErrStaleSignature},
		{"future timestamp", payload, good, t0.Add(-6 * time.Minute), ErrStaleSignature},
		{"no header", payload, "", t0, ErrMissingSignature},
		{"no v1", payload, fmt.Sprintf("t=%d,v0=%x", t0.Unix(), mine.Signature), t0, ErrMissingSignature},
		{"no timestamp", payload, fmt.Sprintf("v1=%x", mine.Signature), t0, ErrMissingSignature},
		{"only non-hex v1", payload, fmt.Sprintf("t=%d,v1=zz", t0.Unix()), t0, ErrMissingSignature},
		{"signed garbage", "not json", sign("not json", testSecret, t0), t0, ErrMalformedEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(tc.payload), tc.header, testSecret, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && (ev.ID != "evt_1" || ev.PaymentIntentID != "pi_1") {
				t.Fatalf("event = %+v", ev)
			}
		})
	}
}

func TestParseEventDecode(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		obj  string
		want Event
	}{
		{"succeeded", EventPaymentIntentSucceeded,
			`{"id":"pi_1","object":"payment_intent","status":"succeeded","amount":1000,"currency":"eur","latest_charge":"ch_1","metadata":{"remit_payment_id":"py_1"}}`,
			Event{PaymentIntentID: "pi_1", ChargeID: "ch_1", RemitID: "py_1", Status: "succeeded", PaymentStatus: "SUCCEEDED", Amount: 1000, Currency: "EUR"}},
		{"expanded latest charge", EventPaymentIntentProcessing,
			`{"id":"pi_1","object":"payment_intent","status":"processing","amount":500,"currency":"eur","latest_charge":{"id":"ch_9","object":"charge"}}`,
			Event{PaymentIntentID: "pi_1", ChargeID: "ch_9", Status: "processing", PaymentStatus: "PROCESSING", Amount: 500, Currency: "EUR"}},
		{"failed with decline", EventPaymentIntentPaymentFailed,
			`{"id":"pi_2","object":"payment_intent","status":"requires_payment_method","amount":700,"currency":"usd","latest_charge":null,
			  "last_payment_error":{"code":"card_declined","decline_code":"stolen_card","message":"Your card was declined."}}`,
			Event{PaymentIntentID: "pi_2", Status: "requires_payment_method", PaymentStatus: "FAILED", Amount: 700, Currency: "USD",
				FailureCode: "card_declined", DeclineCode: "stolen_card", FailureMessage: "Your card was declined."}},
		{"debit failed", EventPaymentIntentPaymentFailed,
			`{"id":"pi_3","object":"payment_intent","status":"requires_payment_method","amount":700,"currency":"eur",
			  "last_payment_error":{"code":"debit_not_authorized","message":"not authorized"}}`,
			Event{PaymentIntentID: "pi_3", Status: "requires_payment_method", PaymentStatus: "FAILED", Amount: 700, Currency: "EUR",
				FailureCode: "debit_not_authorized", FailureMessage: "not authorized"}},
		{"requires action", EventPaymentIntentRequiresAction,
			`{"id":"pi_4","object":"payment_intent","status":"requires_action","amount":100,"currency":"eur"}`,
			Event{PaymentIntentID: "pi_4", Status: "requires_action", PaymentStatus: "REQUIRES_ACTION", Amount: 100, Currency: "EUR"}},
		{"canceled", EventPaymentIntentCanceled,
			`{"id":"pi_5","object":"payment_intent","status":"canceled","amount":100,"currency":"eur"}`,
			Event{PaymentIntentID: "pi_5", Status: "canceled", PaymentStatus: "CANCELED", Amount: 100, Currency: "EUR",
				FailureCode: "canceled", FailureMessage: msgCanceled}},
		{"charge refunded", EventChargeRefunded,
			`{"id":"ch_1","object":"charge","status":"succeeded","amount":1000,"amount_refunded":400,"currency":"eur","payment_intent":"pi_1",
			  "refunds":{"object":"list","data":[{"id":"re_1","object":"refund","status":"succeeded","amount":400,"metadata":{"remit_refund_id":"rf_1"}}]}}`,
			Event{ChargeID: "ch_1", PaymentIntentID: "pi_1", Status: "succeeded", Amount: 1000, AmountRefunded: 400, Currency: "EUR",
				Refunds: []EventRefund{{ID: "re_1", RemitID: "rf_1", Status: "succeeded", Amount: 400}}}},
		{"refund failed", EventRefundUpdated,
			`{"id":"re_1","object":"refund","status":"failed","amount":400,"currency":"eur","charge":"ch_1","payment_intent":"pi_1","failure_reason":"expired_or_canceled_card"}`,
			Event{RefundID: "re_1", ChargeID: "ch_1", PaymentIntentID: "pi_1", Status: "failed", Amount: 400, Currency: "EUR",
				FailureCode: "expired_or_canceled_card"}},
		{"dispute", EventChargeDisputeCreated,
			`{"id":"dp_1","object":"dispute","status":"needs_response","amount":1000,"currency":"eur","charge":"ch_1","payment_intent":"pi_1","reason":"fraudulent"}`,
			Event{DisputeID: "dp_1", ChargeID: "ch_1", PaymentIntentID: "pi_1", Status: "needs_response", Amount: 1000, Currency: "EUR",
				DisputeReason: "fraudulent", DisputeStatus: "needs_response"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := eventJSON(tc.typ, tc.obj)
			ev, err := ParseEvent([]byte(payload), sign(payload, testSecret, t0), testSecret, t0)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.ID, want.Type, want.Created, want.Known = "evt_1", tc.typ, t0, true
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("event\n got %+v\nwant %+v", ev, want)
			}
		})
	}
}

func TestParseEventUnknownType(t *testing.T) {
	payload := eventJSON("customer.created", `{"id":"cus_1","object":"customer"}`)
	ev, err := ParseEvent([]byte(payload), sign(payload, testSecret, t0), testSecret, t0)
	if err != nil {
		t.Fatalf("unknown type must not be an error: %v", err)
	}
	if ev.Known || ev.ID != "evt_1" || ev.Type != "customer.created" || ev.PaymentIntentID != "" {
		t.Fatalf("event = %+v", ev)
	}
}

func TestParseEventKnownTypeWithoutObject(t *testing.T) {
	payload := `{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{}}}`
	if _, err := ParseEvent([]byte(payload), sign(payload, testSecret, t0), testSecret, t0); !errors.Is(err, ErrMalformedEvent) {
		t.Fatalf("err = %v", err)
	}
}

func TestMapFailure(t *testing.T) {
	tests := []struct {
		code, decline         string
		wantCode, wantDecline string
		hard                  bool
	}{
		{"card_declined", "generic_decline", "card_declined", "generic_decline", false},
		{"card_declined", "", "card_declined", "generic_decline", false},
		{"card_declined", "insufficient_funds", "card_declined", "insufficient_funds", false},
		{"card_declined", "lost_card", "card_declined", "lost_card", true},
		{"card_declined", "stolen_card", "card_declined", "stolen_card", true},
		{"card_declined", "pickup_card", "card_declined", "pickup_card", true},
		{"card_declined", "fraudulent", "card_declined", "fraudulent", false},
		{"card_declined", "do_not_honor", "card_declined", "do_not_honor", false},
		{"card_declined", "some_new_decline", "card_declined", "generic_decline", false},
		{"card_declined", "authentication_required", "card_declined", "authentication_required", true},
		{"expired_card", "", "expired_card", "", false},
		{"incorrect_cvc", "", "incorrect_cvc", "", false},
		{"incorrect_number", "", "incorrect_number", "", true},
		{"processing_error", "", "processing_error", "", false},
		{"authentication_required", "", "authentication_required", "", true},
		{"payment_intent_authentication_failure", "", "authentication_failed", "", false},
		{"insufficient_funds", "", "insufficient_funds", "", false},
		{"debit_not_authorized", "", "debit_not_authorized", "", true},
		{"account_closed", "", "account_closed", "", true},
		{"no_account", "", "no_account", "", true},
		{"payment_method_not_available", "", "processing_error", "", false},
		{"", "", "card_declined", "generic_decline", false},
		{"something_stripe_added", "lost_card", "card_declined", "generic_decline", false},
	}
	for _, tc := range tests {
		t.Run(tc.code+"/"+tc.decline, func(t *testing.T) {
			code, decline := MapFailure(tc.code, tc.decline)
			if code != tc.wantCode || decline != tc.wantDecline {
				t.Fatalf("MapFailure = %q/%q, want %q/%q", code, decline, tc.wantCode, tc.wantDecline)
			}
			res := payments.ChargeResult{Status: payments.StatusFailed, FailureCode: code, DeclineCode: decline}
			if res.HardDecline() != tc.hard {
				t.Fatalf("HardDecline = %v, want %v", res.HardDecline(), tc.hard)
			}
		})
	}
}
