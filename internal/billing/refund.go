package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// RefundReasons are the reasons a refund may give (Stripe's).
var RefundReasons = []string{"DUPLICATE", "FRAUDULENT", "REQUESTED_BY_CUSTOMER"}

// creditNoteReasons maps the reasons of a credit note that are not a
// refund's to the refund reason they amount to: the customer asked.
var creditNoteReasons = map[string]refund.Reason{
	"ORDER_CHANGE":           refund.ReasonRequestedByCustomer,
	"PRODUCT_UNSATISFACTORY": refund.ReasonRequestedByCustomer,
}

// RefundRequest asks for money back on an invoice's succeeded payments.
type RefundRequest struct {
	InvoiceID    string // required
	PaymentID    string // one payment; empty = spread over the invoice's succeeded payments, newest first
	Amount       int64  // minor units, > 0
	Reason       string // DUPLICATE, FRAUDULENT, REQUESTED_BY_CUSTOMER ("" allowed; a credit note's ORDER_CHANGE and PRODUCT_UNSATISFACTORY read as REQUESTED_BY_CUSTOMER)
	CreditNoteID string // set when a credit note asks for the refund
	Field        string // input path for user errors, e.g. "input.refundAmount"
	// IdempotencyKey is stored on the refund, which a retry with the same
	// key finds (paymentRefund); it needs PaymentID, as one key names one
	// refund.
	IdempotencyKey string
}

// errRefundKeyTaken is a refund insert that met its Idempotency-Key on
// another refund: the caller replays that one.
var errRefundKeyTaken = errors.New("a refund with this Idempotency-Key exists")

// ReserveRefunds writes PENDING refunds totalling req.Amount and their
// refund.created events inside the caller's transaction (ctx carries it:
// dbtx.RunContext), and returns their ids. It returns a *usererr.Error with
// code REFUND_EXCEEDS_PAYMENT at req.Field when the payments' unrefunded,
// unreserved total is less than req.Amount.
//
// The payments are read under their rows' lock (PostgreSQL; SQLite runs
// one writer at a time), and what each refund takes is added to its
// payment's amount_refund_pending in the same transaction: concurrent
// refunds of one payment can only add up to what it collected. Payments
// recorded outside Remit (OUT_OF_BAND) give nothing back through Remit.
// Call ExecuteRefunds with the ids once the transaction committed.
func (s *Service) ReserveRefunds(ctx context.Context, req RefundRequest) ([]string, error) {
	rs, err := s.reserveRefunds(ctx, req, false)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids, nil
}

// fieldPath is a user error's path from a dotted input path.
func fieldPath(field, fallback string) []string {
	if field == "" {
		field = fallback
	}
	return strings.Split(field, ".")
}

// sibling is the path of the input field name beside field (the payment
// or reason beside the amount).
func sibling(field []string, name string) []string {
	return append(slices.Clone(field[:len(field)-1]), name)
}

// reserveRefunds is ReserveRefunds; all refunds everything the payments
// can still give back, whatever req.Amount says.
func (s *Service) reserveRefunds(ctx context.Context, req RefundRequest, all bool) ([]*ent.Refund, error) {
	amountPath := fieldPath(req.Field, "amount")
	if !all && req.Amount <= 0 {
		return nil, usererr.Newf(usererr.InvalidAmount, amountPath, "a refund is more than zero")
	}
	var reason *refund.Reason
	if req.Reason != "" {
		r := refund.Reason(strings.ToUpper(strings.TrimSpace(req.Reason)))
		if cn, ok := creditNoteReasons[string(r)]; ok {
			r = cn
		}
		if refund.ReasonValidator(r) != nil {
			return nil, usererr.Newf(usererr.Invalid, sibling(amountPath, "reason"), "reason is one of %s", strings.Join(RefundReasons, ", "))
		}
		reason = &r
	}
	if req.InvoiceID == "" {
		return nil, usererr.Newf(usererr.Required, sibling(amountPath, "invoice"), "give the invoice to refund")
	}
	if req.IdempotencyKey != "" && req.PaymentID == "" {
		return nil, errors.New("billing: a refund's Idempotency-Key needs its payment")
	}
	v, _ := viewer.FromContext(ctx)
	proc, err := s.processor(ctx, v.AccountID, v.Mode)
	if err != nil {
		return nil, err
	}
	if _, refusing := proc.(payments.Refusing); refusing {
		return nil, usererr.New(usererr.ProcessorUnavailable, "no payment processor is configured for live mode; use test mode or configure a provider")
	}
	var out []*ent.Refund
	err = dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		q := tx.Payment.Query().Where(payment.InvoiceID(req.InvoiceID))
		if req.PaymentID != "" {
			q.Where(payment.ID(req.PaymentID))
		} else {
			q.Where(payment.StatusEQ(payment.StatusSucceeded), payment.MethodTypeNEQ(payment.MethodTypeOutOfBand))
		}
		q.Order(ent.Desc(payment.FieldCreatedAt), ent.Desc(payment.FieldID))
		if dbtx.Locking(s.dialect) {
			q.Modify(dbtx.ForNoKeyUpdate)
		}
		pays, err := q.All(ctx)
		if err != nil {
			return fmt.Errorf("load payments: %w", err)
		}
		if req.PaymentID != "" {
			if err := refundable(pays, sibling(amountPath, "payment")); err != nil {
				return err
			}
		}
		var left, pending int64
		for _, p := range pays {
			left += refundableLeft(p)
			pending += p.AmountRefundPending
		}
		currency := ""
		if len(pays) > 0 {
			currency = pays[0].Currency
		}
		amount := req.Amount
		if all {
			amount = left
		}
		switch {
		case len(pays) == 0:
			return usererr.New(usererr.RefundExceedsPayment, "the invoice has no succeeded payment to refund", amountPath...)
		case left <= 0 && pending > 0:
			return usererr.New(usererr.RefundExceedsPayment, "everything left is being refunded already", amountPath...)
		case left <= 0:
			return usererr.New(usererr.RefundExceedsPayment, "everything was refunded already", amountPath...)
		case amount > left:
			msg := "the refund is more than the " + money.MajorString(left, currency) + " " + currency + " left to refund"
			if pending > 0 {
				msg += " (refunds in progress count)"
			}
			return usererr.New(usererr.RefundExceedsPayment, msg, amountPath...)
		}
		remaining := amount
		for _, p := range pays {
			take := min(refundableLeft(p), remaining)
			if take <= 0 {
				continue
			}
			c := tx.Refund.Create().
				SetPaymentID(p.ID).SetInvoiceID(p.InvoiceID).SetCustomerID(p.CustomerID).
				SetAmount(take).SetCurrency(p.Currency).
				SetNillableReason(reason).
				SetNillableCreditNoteID(nonEmpty(req.CreditNoteID))
			if req.IdempotencyKey != "" {
				c.SetIdempotencyKey(req.IdempotencyKey)
			}
			r, err := c.Save(ctx)
			if ent.IsConstraintError(err) && req.IdempotencyKey != "" {
				return errRefundKeyTaken
			}
			if err != nil {
				return fmt.Errorf("create refund: %w", err)
			}
			if err := tx.Payment.Update().Where(payment.ID(p.ID)).AddAmountRefundPending(take).Exec(ctx); err != nil {
				return fmt.Errorf("reserve refund: %w", err)
			}
			if err := events.Record(ctx, tx, events.RefundCreated, r); err != nil {
				return err
			}
			out = append(out, r)
			if remaining -= take; remaining == 0 {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, r := range out {
		out[i] = r.Unwrap()
	}
	return out, nil
}

// refundable refuses a payment that cannot give money back through
// Remit (pays holds it, or nothing when it is not the invoice's).
func refundable(pays []*ent.Payment, field []string) error {
	if len(pays) == 0 {
		return usererr.New(usererr.NotFound, "no such payment on this invoice", field...)
	}
	p := pays[0]
	if p.MethodType == payment.MethodTypeOutOfBand {
		return usererr.New(usererr.Invalid, "this payment was recorded as received outside Remit: give the money back outside Remit too, and record it with a credit note (outOfBandAmount)", field...)
	}
	if p.Status != payment.StatusSucceeded {
		return usererr.Newf(usererr.InvalidTransition, field, "the payment is %s: only a succeeded payment can be refunded", strings.ToLower(strings.ReplaceAll(string(p.Status), "_", " ")))
	}
	return nil
}

// refundableLeft is what p can still give back: what it collected less
// what refunds took or hold.
func refundableLeft(p *ent.Payment) int64 {
	return p.Amount - p.AmountRefunded - p.AmountRefundPending
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ExecuteRefunds sends reserved refunds to the processor and records the
// outcomes (each in its own short transaction, events included); called
// after the reserving transaction committed. Delayed methods stay PENDING
// for the worker.
//
// A refund whose processor call fails without a definite answer (a
// timeout) stays PENDING too: the worker sends it again, with the same
// idempotency key (the refund's id), so it is never made twice.
func (s *Service) ExecuteRefunds(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if dbtx.FromContext(ctx) != nil {
		// Money must not move for refunds a rollback could still undo.
		return errors.New("billing: ExecuteRefunds runs after the transaction that reserved the refunds committed, not inside it")
	}
	rs, err := s.db.Refund.Query().Where(refund.IDIn(ids...)).WithPayment().All(ctx)
	if err != nil {
		return fmt.Errorf("load refunds: %w", err)
	}
	slices.SortFunc(rs, func(a, b *ent.Refund) int { return slices.Index(ids, a.ID) - slices.Index(ids, b.ID) })
	for _, r := range rs {
		if r.Status != refund.StatusPending || r.ProcessorReference != "" {
			continue // sent already
		}
		if _, err := s.sendRefund(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// sendRefund asks the processor for r (loaded with its payment) and
// records the answer.
func (s *Service) sendRefund(ctx context.Context, r *ent.Refund) (*ent.Refund, error) {
	p := r.Edges.Payment
	if p == nil {
		return nil, fmt.Errorf("refund %s: payment not loaded", r.ID)
	}
	reason := ""
	if r.Reason != nil {
		reason = strings.ToLower(string(*r.Reason))
	}
	proc, err := s.processor(ctx, r.AccountID, r.Mode)
	if err != nil {
		return nil, err
	}
	res, err := proc.Refund(ctx, payments.RefundRequest{
		Charge: p.ProcessorReference, Amount: r.Amount, Currency: r.Currency, IdempotencyKey: r.ID, Reason: reason,
		Metadata: map[string]string{payments.MetadataRefundID: r.ID, payments.MetadataPaymentID: p.ID, payments.MetadataInvoiceID: r.InvoiceID},
	})
	if err != nil {
		if !definitive(err) {
			return r, nil // unknown outcome: the worker asks again
		}
		res = payments.RefundResult{Status: payments.RefundFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
	}
	return s.applyRefund(ctx, r, res)
}

// applyRefund records what the processor says of r, as last read: the
// refund's status, its payment's refunded and reserved amounts, the event
// and, when it succeeded, the customer's email, in one transaction. The
// refund changes only from the status it was read in (a conditional
// update), so an outcome applied twice, by a request and the worker or by
// two workers, changes nothing the second time.
//
// The moves: PENDING to SUCCEEDED (the reserved amount becomes refunded)
// or FAILED (it is released); SUCCEEDED to FAILED, a refund the bank gave
// back later (the refunded amount is released, and can be refunded
// again); and, without an event, a processor reference or a time to ask
// again recorded.
func (s *Service) applyRefund(ctx context.Context, r *ent.Refund, res payments.RefundResult) (*ent.Refund, error) {
	var to refund.Status
	switch res.Status {
	case payments.RefundPending:
		to = refund.StatusPending
	case payments.RefundSucceeded:
		to = refund.StatusSucceeded
	case payments.RefundFailed:
		to = refund.StatusFailed
	default:
		return nil, fmt.Errorf("unknown refund status %q", res.Status)
	}
	from := r.Status
	if from == refund.StatusFailed || from == refund.StatusSucceeded && to == refund.StatusPending {
		return r, nil // final, or a step back no processor takes
	}
	var out *ent.Refund
	err := s.run(ctx, func(tx *ent.Tx) error {
		now := clock.Now(ctx)
		u := tx.Refund.Update().Where(refund.ID(r.ID), refund.StatusEQ(from))
		if res.Reference != "" {
			u.SetProcessorReference(res.Reference)
		}
		if res.SettlesAt.IsZero() || to == refund.StatusFailed {
			u.ClearSettlesAt()
		} else {
			u.SetSettlesAt(res.SettlesAt)
		}
		switch {
		case to == refund.StatusSucceeded && from == refund.StatusPending:
			u.SetStatus(to).SetSucceededAt(now)
		case to == refund.StatusFailed:
			u.SetStatus(to).SetFailedAt(now).SetFailureCode(res.FailureCode).SetFailureMessage(res.FailureMessage)
		}
		n, err := u.Save(ctx)
		if err != nil {
			return fmt.Errorf("record refund: %w", err)
		}
		if out, err = tx.Refund.Get(ctx, r.ID); err != nil {
			return fmt.Errorf("load refund: %w", err)
		}
		if n == 0 || from == to {
			return nil // applied already, or nothing to move
		}
		pu := tx.Payment.Update().Where(payment.ID(r.PaymentID))
		var typ events.Type
		switch {
		case from == refund.StatusPending && to == refund.StatusSucceeded:
			pu.AddAmountRefundPending(-r.Amount).AddAmountRefunded(r.Amount)
			typ = events.RefundSucceeded
		case from == refund.StatusPending:
			pu.AddAmountRefundPending(-r.Amount)
			typ = events.RefundFailed
		default: // SUCCEEDED to FAILED
			pu.AddAmountRefunded(-r.Amount)
			typ = events.RefundFailed
		}
		if err := pu.Exec(ctx); err != nil {
			return fmt.Errorf("update refunded amount: %w", err)
		}
		if err := events.Record(ctx, tx, typ, out); err != nil {
			return err
		}
		if typ == events.RefundSucceeded {
			return s.enqueueRefunded(ctx, tx, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// RefundInput is a refund of one payment (paymentRefund).
type RefundInput struct {
	PaymentID string
	// Amount in major units; empty refunds all the payment can still give
	// back.
	Amount string
	Reason string
	// IdempotencyKey is required: a retry with the same key returns the
	// first refund instead of refunding twice.
	IdempotencyKey string
}

// RefundPayment refunds all or part of a succeeded payment through the
// processor that collected it, the way a credit note's refund does
// (ReserveRefunds then ExecuteRefunds), and returns the refund and its
// payment as they then stand. A refund the bank refuses is not an error:
// it comes back FAILED.
//
// As with Pay, the Idempotency-Key is the refund row's unique key: a
// retry finds its refund when the attempt fails (the payment has nothing
// left to refund, or the key is in the way) and gets it back as it now
// stands.
func (s *Service) RefundPayment(ctx context.Context, in RefundInput) (*ent.Refund, *ent.Payment, error) {
	if in.IdempotencyKey == "" {
		return nil, nil, usererr.New(usererr.IdempotencyKeyRequired, "refunds need an Idempotency-Key header, so that a retry never refunds twice")
	}
	rs, err := s.reserveOne(ctx, in)
	if err != nil {
		return s.replayRefund(ctx, in, err)
	}
	if err := s.ExecuteRefunds(ctx, []string{rs.ID}); err != nil {
		return nil, nil, err
	}
	return s.refundAsStored(ctx, rs.ID)
}

// reserveOne reserves the refund RefundPayment asks for.
func (s *Service) reserveOne(ctx context.Context, in RefundInput) (*ent.Refund, error) {
	p, err := s.db.Payment.Get(ctx, in.PaymentID)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such payment", "payment")
	}
	if err != nil {
		return nil, fmt.Errorf("load payment: %w", err)
	}
	var amount int64
	if in.Amount != "" {
		if amount, err = money.ParseAmount(in.Amount, p.Currency, "amount"); err != nil {
			return nil, err
		}
	}
	rs, err := s.reserveRefunds(ctx, RefundRequest{
		InvoiceID: p.InvoiceID, PaymentID: p.ID, Amount: amount, Reason: in.Reason,
		Field: "amount", IdempotencyKey: in.IdempotencyKey,
	}, in.Amount == "")
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// replayRefund answers a failed attempt whose Idempotency-Key already has
// a refund: the retry of that refund gets it back. An attempt whose key
// is new fails with its own error.
func (s *Service) replayRefund(ctx context.Context, in RefundInput, cause error) (*ent.Refund, *ent.Payment, error) {
	prev, err := s.db.Refund.Query().Where(refund.IdempotencyKey(in.IdempotencyKey)).Only(ctx)
	if ent.IsNotFound(err) {
		if errors.Is(cause, errRefundKeyTaken) {
			// Taken by a refund this viewer cannot see: not possible
			// within one account and mode, but never an internal error.
			return nil, nil, usererr.New(usererr.Invalid, "a refund with this Idempotency-Key is being made", "payment")
		}
		return nil, nil, cause
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up refund: %w", err)
	}
	if prev.PaymentID != in.PaymentID {
		return nil, nil, usererr.New(usererr.Invalid, "this Idempotency-Key was used for another payment's refund", "payment")
	}
	return s.refundAsStored(ctx, prev.ID)
}

// refundAsStored reads a refund and its payment.
func (s *Service) refundAsStored(ctx context.Context, id string) (*ent.Refund, *ent.Payment, error) {
	r, err := s.db.Refund.Get(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("load refund: %w", err)
	}
	p, err := s.db.Payment.Get(ctx, r.PaymentID)
	if err != nil {
		return nil, nil, fmt.Errorf("load payment: %w", err)
	}
	return r, p, nil
}

// refundedApart is what refunds made outside credit notes (paymentRefund)
// took back of invoice id, pending or succeeded: a credit note can never
// credit it again. Read in the caller's transaction, under the invoice's
// lock, which paymentRefund does not take; a refund reserved concurrently
// on another payment row is caught by ReserveRefunds' own check when the
// credit note refunds too, and otherwise only narrows what a later credit
// note may take.
func refundedApart(ctx context.Context, db *ent.Client, invoiceID string) (int64, error) {
	amounts, err := db.Refund.Query().
		Where(
			refund.InvoiceID(invoiceID),
			refund.CreditNoteIDIsNil(),
			refund.StatusIn(refund.StatusPending, refund.StatusSucceeded),
		).
		Select(refund.FieldAmount).
		Ints(ctx)
	if err != nil {
		return 0, fmt.Errorf("refunds of invoice %s: %w", invoiceID, err)
	}
	var sum int64
	for _, a := range amounts {
		sum += int64(a)
	}
	return sum, nil
}
