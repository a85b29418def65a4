package stripeproc

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/payments"
)

// Tolerance is how far a Stripe-Signature timestamp may be from now. Stripe
// recommends five minutes: long enough for clock skew and retries in
// flight, short enough that a captured request cannot be replayed later.
const Tolerance = 5 * time.Minute

// Webhook errors. Any of them means the request must be refused (401) and
// nothing applied.
var (
	ErrMissingSignature = errors.New("stripeproc: no Stripe-Signature header or no v1 signature in it")
	ErrBadSignature     = errors.New("stripeproc: Stripe-Signature does not match the payload")
	ErrStaleSignature   = errors.New("stripeproc: Stripe-Signature timestamp is outside the tolerance")
	ErrMalformedEvent   = errors.New("stripeproc: webhook payload is not a Stripe event")
)

// Event types Remit applies. Others are decoded as far as the envelope
// goes and flagged unknown, so the endpoint can acknowledge them (Stripe
// retries anything not acknowledged for days).
const (
	EventPaymentIntentSucceeded      = "payment_intent.succeeded"
	EventPaymentIntentPaymentFailed  = "payment_intent.payment_failed"
	EventPaymentIntentProcessing     = "payment_intent.processing"
	EventPaymentIntentRequiresAction = "payment_intent.requires_action"
	EventPaymentIntentCanceled       = "payment_intent.canceled"
	EventChargeRefunded              = "charge.refunded"
	EventRefundUpdated               = "refund.updated"
	EventChargeDisputeCreated        = "charge.dispute.created"
	EventChargeDisputeUpdated        = "charge.dispute.updated"
	EventChargeDisputeClosed         = "charge.dispute.closed"
)

// Event is the part of a Stripe event Remit acts on. Which ids are set
// depends on the object: a payment_intent.* event fills PaymentIntentID
// (and ChargeID when the latest charge is known); charge.refunded fills
// ChargeID and PaymentIntentID; refund.updated fills RefundID, ChargeID
// and PaymentIntentID; charge.dispute.* fills DisputeID, ChargeID and
// PaymentIntentID.
type Event struct {
	ID       string
	Type     string
	Created  time.Time
	Livemode bool
	// Known is false for a type Remit does not apply; the ids below are
	// then empty and the event should only be acknowledged.
	Known bool

	PaymentIntentID string
	ChargeID        string
	RefundID        string
	DisputeID       string
	// RemitID is the Remit payment (payment_intent.*) or refund
	// (refund.updated) the object was made for, from its metadata: it
	// finds the row even when the processor's answer was lost before its
	// reference was stored.
	RemitID string
	// Refunds are the refunds a charge.refunded event lists.
	Refunds []EventRefund

	// Status is the object's own status as Stripe spells it
	// (succeeded, processing, requires_payment_method, pending,
	// needs_response, ...). PaymentStatus is it mapped onto Remit's
	// vocabulary for payment_intent.* events.
	Status        string
	PaymentStatus string

	// FailureCode and DeclineCode are Remit's (see MapFailure) for a
	// failed PaymentIntent; for a refund FailureCode is Stripe's
	// failure_reason. DisputeReason is set for disputes.
	FailureCode    string
	DeclineCode    string
	FailureMessage string
	DisputeReason  string

	DisputeStatus string

	Amount         int64 // minor units of Currency
	AmountRefunded int64 // charge.refunded: the charge's total refunded so far
	Currency       string
}

// EventRefund is one refund of a charge.refunded event.
type EventRefund struct {
	ID, RemitID, Status, FailureCode string
	Amount                           int64
}

// ParseEvent verifies the Stripe-Signature header of a webhook request
// against the endpoint's signing secret and decodes the event. now is
// passed in (from internal/clock) so tests and replays are deterministic.
//
// Verification follows Stripe's scheme: the header carries t=<unix> and
// one or more v1=<hex HMAC-SHA256 of "t.payload">; several v1 values exist
// while a secret is being rolled, and any one matching is enough.
func ParseEvent(payload []byte, sigHeader, secret string, now time.Time) (Event, error) {
	if err := verifySignature(payload, sigHeader, secret, now); err != nil {
		return Event{}, err
	}
	return decodeEvent(payload)
}

func verifySignature(payload []byte, header, secret string, now time.Time) error {
	var (
		ts     int64
		haveTS bool
		sigs   [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: bad timestamp", ErrMissingSignature)
			}
			ts, haveTS = n, true
		case "v1":
			// A value that is not hex cannot match; skip it rather than
			// reject, since another v1 may be the right one.
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if !haveTS || len(sigs) == 0 {
		return ErrMissingSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(payload)
	want := mac.Sum(nil)
	matched := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			matched = true
			break
		}
	}
	if !matched {
		return ErrBadSignature
	}
	// Checked after the signature so an attacker learns nothing about the
	// clock from an unsigned request. Both directions: a timestamp far in
	// the future is as suspicious as an old one.
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrStaleSignature
	}
	return nil
}

// expandable decodes a Stripe field that is an id or, when expanded, an
// object carrying one.
type expandable string

func (e *expandable) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = expandable(s)
		return nil
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*e = expandable(o.ID)
	return nil
}

type rawEvent struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
	Data     struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type rawObject struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Status         string            `json:"status"`
	Amount         int64             `json:"amount"`
	AmountRefunded int64             `json:"amount_refunded"`
	Currency       string            `json:"currency"`
	PaymentIntent  expandable        `json:"payment_intent"`
	Charge         expandable        `json:"charge"`
	LatestCharge   expandable        `json:"latest_charge"`
	FailureReason  string            `json:"failure_reason"`
	Reason         string            `json:"reason"`
	Metadata       map[string]string `json:"metadata"`
	Refunds        *struct {
		Data []rawObject `json:"data"`
	} `json:"refunds"`
	LastPaymentError *struct {
		Code        string `json:"code"`
		DeclineCode string `json:"decline_code"`
		Message     string `json:"message"`
	} `json:"last_payment_error"`
}

func decodeEvent(payload []byte) (Event, error) {
	var raw rawEvent
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
	}
	if raw.ID == "" || raw.Type == "" || (raw.Object != "" && raw.Object != "event") {
		return Event{}, ErrMalformedEvent
	}
	ev := Event{ID: raw.ID, Type: raw.Type, Created: time.Unix(raw.Created, 0).UTC(), Livemode: raw.Livemode}
	switch raw.Type {
	case EventPaymentIntentSucceeded, EventPaymentIntentPaymentFailed, EventPaymentIntentProcessing,
		EventPaymentIntentRequiresAction, EventPaymentIntentCanceled,
		EventChargeRefunded, EventRefundUpdated, EventChargeDisputeCreated, EventChargeDisputeUpdated, EventChargeDisputeClosed:
	default:
		return ev, nil
	}
	var obj rawObject
	if err := json.Unmarshal(raw.Data.Object, &obj); err != nil || obj.ID == "" {
		return Event{}, fmt.Errorf("%w: %s without a readable object", ErrMalformedEvent, raw.Type)
	}
	ev.Known = true
	ev.Status, ev.Amount, ev.Currency = obj.Status, obj.Amount, strings.ToUpper(obj.Currency)
	switch {
	case strings.HasPrefix(raw.Type, "payment_intent."):
		ev.PaymentIntentID, ev.ChargeID, ev.RemitID = obj.ID, string(obj.LatestCharge), obj.Metadata[payments.MetadataPaymentID]
		var code, decline, msg string
		if e := obj.LastPaymentError; e != nil {
			code, decline, msg = e.Code, e.DeclineCode, e.Message
		}
		res := resultFromStatus(obj.Status, code, decline, msg)
		ev.PaymentStatus = string(res.Status)
		ev.FailureCode, ev.DeclineCode, ev.FailureMessage = res.FailureCode, res.DeclineCode, res.FailureMessage
	case raw.Type == EventChargeRefunded:
		ev.ChargeID, ev.PaymentIntentID, ev.AmountRefunded = obj.ID, string(obj.PaymentIntent), obj.AmountRefunded
		if obj.Refunds != nil {
			for _, r := range obj.Refunds.Data {
				ev.Refunds = append(ev.Refunds, EventRefund{ID: r.ID, RemitID: r.Metadata[payments.MetadataRefundID], Status: r.Status, FailureCode: r.FailureReason, Amount: r.Amount})
			}
		}
	case raw.Type == EventRefundUpdated:
		ev.RefundID, ev.ChargeID, ev.PaymentIntentID, ev.RemitID = obj.ID, string(obj.Charge), string(obj.PaymentIntent), obj.Metadata[payments.MetadataRefundID]
		ev.FailureCode = obj.FailureReason
	case raw.Type == EventChargeDisputeCreated || raw.Type == EventChargeDisputeUpdated || raw.Type == EventChargeDisputeClosed:
		ev.DisputeID, ev.ChargeID, ev.PaymentIntentID = obj.ID, string(obj.Charge), string(obj.PaymentIntent)
		ev.DisputeReason, ev.DisputeStatus = obj.Reason, obj.Status
	}
	return ev, nil
}
