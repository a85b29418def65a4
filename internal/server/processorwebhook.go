package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/payments/stripeproc"
	"github.com/remitbilling/remit/internal/processors"
	"github.com/remitbilling/remit/internal/viewer"
)

// maxStripeEvent bounds a webhook body: Stripe's events are a few
// kilobytes; a charge.refunded with many refunds stays far below this.
const maxStripeEvent = 512 << 10

// stripeWebhook takes the events Stripe posts for one account
// (/processors/stripe/webhook/{account}). Stripe retries anything it does
// not get a 2xx for, for three days: a request that is not Stripe's (bad
// or stale signature) is a 400, an account without a connection a 404, a
// failure to apply a 500 (retried); everything applied, known or not, is
// a 200.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxStripeEvent+1))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "BAD_REQUEST", "the body could not be read")
		return
	}
	if len(payload) > maxStripeEvent {
		writeError(w, r, http.StatusRequestEntityTooLarge, "TOO_LARGE", "the event is too large")
		return
	}
	accountID := r.PathValue("account")
	ev, mode, err := s.App.Processors.StripeEvent(ctx, accountID, payload, r.Header.Get("Stripe-Signature"), clock.Now(ctx))
	switch {
	case errors.Is(err, processors.ErrNotConnected):
		writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no Stripe connection with a webhook signing secret for this account")
		return
	case errors.Is(err, stripeproc.ErrMissingSignature), errors.Is(err, stripeproc.ErrBadSignature),
		errors.Is(err, stripeproc.ErrStaleSignature), errors.Is(err, stripeproc.ErrMalformedEvent):
		writeError(w, r, http.StatusBadRequest, "BAD_SIGNATURE", err.Error())
		return
	case err != nil:
		s.Logger.ErrorContext(ctx, "stripe webhook", "request_id", RequestID(ctx), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	vctx := viewer.NewContext(ctx, viewer.System(accountID, mode, "stripe"))
	outcome, err := s.billing.ApplyProcessorEvent(vctx, ev)
	if err != nil {
		s.Logger.ErrorContext(ctx, "stripe webhook", "request_id", RequestID(ctx), "event", ev.ID, "type", ev.Type, "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	if outcome != billing.OutcomeApplied {
		s.Logger.InfoContext(ctx, "stripe webhook", "event", ev.ID, "type", ev.Type, "object", ev.ObjectRef, "outcome", outcome)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"received":true,"outcome":"`+outcome+`"}`)
}
