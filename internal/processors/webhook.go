package processors

import (
	"context"
	"errors"
	"time"

	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/payments/stripeproc"
	"github.com/remitbilling/remit/internal/viewer"
)

// ErrNotConnected means the account has no Stripe connection with a
// webhook signing secret: nothing can verify the request.
var ErrNotConnected = errors.New("processors: no Stripe connection with a webhook signing secret for this account")

// StripeEvent verifies a webhook request Stripe posted for accountID with
// the signing secret of the mode it verifies under, and translates the
// event into what billing applies. An event whose livemode disagrees with
// the secret that signed it is refused as unsigned: one mode's endpoint
// never moves the other's money.
func (s *Service) StripeEvent(ctx context.Context, accountID string, payload []byte, signature string, now time.Time) (billing.ProcessorEvent, viewer.Mode, error) {
	secrets, err := s.webhookSecrets(ctx, accountID)
	if err != nil {
		return billing.ProcessorEvent{}, "", err
	}
	if len(secrets) == 0 {
		return billing.ProcessorEvent{}, "", ErrNotConnected
	}
	var firstErr error
	for _, mode := range []viewer.Mode{viewer.Live, viewer.Test} {
		secret, ok := secrets[mode]
		if !ok {
			continue
		}
		ev, err := stripeproc.ParseEvent(payload, signature, secret, now)
		if err == nil && ev.Livemode != (mode == viewer.Live) {
			err = stripeproc.ErrBadSignature
		}
		if err == nil {
			return billingEvent(ev), mode, nil
		}
		if firstErr == nil || errors.Is(firstErr, stripeproc.ErrBadSignature) {
			firstErr = err
		}
	}
	return billing.ProcessorEvent{}, "", firstErr
}

// billingEvent is what billing applies of a Stripe event.
func billingEvent(ev stripeproc.Event) billing.ProcessorEvent {
	out := billing.ProcessorEvent{ID: ev.ID, Type: ev.Type}
	if !ev.Known {
		return out
	}
	switch ev.Type {
	case stripeproc.EventPaymentIntentSucceeded, stripeproc.EventPaymentIntentPaymentFailed, stripeproc.EventPaymentIntentProcessing,
		stripeproc.EventPaymentIntentRequiresAction, stripeproc.EventPaymentIntentCanceled:
		out.ObjectRef = ev.PaymentIntentID
		out.Charge = &billing.ChargeOutcome{
			Reference: ev.PaymentIntentID, PaymentID: ev.RemitID, Amount: ev.Amount, Currency: ev.Currency,
			Result: payments.ChargeResult{
				Status: payments.Status(ev.PaymentStatus), Reference: ev.PaymentIntentID,
				FailureCode: ev.FailureCode, DeclineCode: ev.DeclineCode, FailureMessage: ev.FailureMessage,
			},
		}
	case stripeproc.EventRefundUpdated:
		out.ObjectRef = ev.RefundID
		out.Refunds = []billing.RefundOutcome{{Reference: ev.RefundID, RefundID: ev.RemitID, Result: stripeproc.RefundResult(ev.RefundID, ev.Status, ev.FailureCode)}}
	case stripeproc.EventChargeRefunded:
		out.ObjectRef = ev.ChargeID
		for _, r := range ev.Refunds {
			out.Refunds = append(out.Refunds, billing.RefundOutcome{Reference: r.ID, RefundID: r.RemitID, Result: stripeproc.RefundResult(r.ID, r.Status, r.FailureCode)})
		}
	case stripeproc.EventChargeDisputeCreated, stripeproc.EventChargeDisputeUpdated, stripeproc.EventChargeDisputeClosed:
		out.ObjectRef = ev.DisputeID
		out.Dispute = &billing.DisputeOutcome{ChargeReference: ev.PaymentIntentID, Reference: ev.DisputeID, Reason: ev.DisputeReason, Status: ev.DisputeStatus}
	}
	return out
}
