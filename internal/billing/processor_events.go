package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/processorevent"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payments"
)

// ProcessorEvent is an outcome a processor reported on its own (Stripe's
// webhooks): what became of a charge, of refunds, or a dispute opened on
// a charge. Exactly one of Charge, Refunds and Dispute is set for a type
// Remit applies.
type ProcessorEvent struct {
	// ID is the processor's event id, kept once per account and mode.
	ID   string
	Type string
	// ObjectRef is the processor object the event is about, for the log.
	ObjectRef string

	Charge  *ChargeOutcome
	Refunds []RefundOutcome
	Dispute *DisputeOutcome
}

// ChargeOutcome is where a charge stands at the processor. Reference is
// its id (Stripe's PaymentIntent); PaymentID is Remit's payment id, from
// the charge's metadata, for a charge whose reference was never stored.
type ChargeOutcome struct {
	Reference, PaymentID string
	Amount               int64
	Currency             string
	Result               payments.ChargeResult
}

// RefundOutcome is where a refund stands at the processor.
type RefundOutcome struct {
	Reference, RefundID string
	Result              payments.RefundResult
}

// DisputeOutcome is a dispute on the charge ChargeReference (Stripe's
// PaymentIntent) as it now stands: opened, or its status changed
// (needs_response, under_review, won, lost…).
type DisputeOutcome struct {
	ChargeReference, Reference, Reason, Status string
}

// disputeEnded reads a dispute's closing statuses as the payer's bank
// decided: the merchant keeps the money, or it went back to the payer.
var disputeEnded = map[string]string{"won": "won, the money stays with the merchant", "lost": "lost, the money went back to the payer", "warning_closed": "no chargeback"}

// What ApplyProcessorEvent did, as the processor event log keeps it.
const (
	OutcomeApplied       = "applied"
	OutcomeUnchanged     = "unchanged"
	OutcomeDuplicate     = "duplicate"
	OutcomeUnknownObject = "unknown_object"
	OutcomeIgnoredType   = "ignored_type"
	OutcomeMismatch      = "mismatch"
)

// ApplyProcessorEvent applies a processor's event to the payment, refunds
// or dispute it is about, for the viewer's account and mode, and keeps
// its id in the same transaction: a replayed or duplicated event changes
// nothing and answers OutcomeDuplicate. An event about something Remit
// does not know (a charge made elsewhere on the same processor account)
// is kept and changes nothing. Outcomes only move payments and refunds
// still in flight (applyResult, applyRefund), so an event arriving after
// the settlement job asked the processor, or out of order, changes
// nothing either.
func (s *Service) ApplyProcessorEvent(ctx context.Context, ev ProcessorEvent) (string, error) {
	var outcome string
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		row, err := tx.ProcessorEvent.Create().
			SetProvider(processorevent.ProviderStripe).SetExternalID(ev.ID).SetType(ev.Type).SetObjectRef(ev.ObjectRef).
			Save(ctx)
		if ent.IsConstraintError(err) {
			outcome = OutcomeDuplicate
			return errDuplicateEvent
		}
		if err != nil {
			return fmt.Errorf("keep processor event: %w", err)
		}
		switch {
		case ev.Charge != nil:
			outcome, err = s.applyCharge(ctx, tx, ev.Charge)
		case ev.Dispute != nil:
			outcome, err = s.applyDispute(ctx, tx, ev.Dispute)
		case len(ev.Refunds) > 0:
			outcome, err = s.applyRefunds(ctx, tx, ev.Refunds)
		default:
			outcome = OutcomeIgnoredType
		}
		if err != nil {
			return err
		}
		return tx.ProcessorEvent.UpdateOne(row).SetOutcome(outcome).Exec(ctx)
	})
	if err == errDuplicateEvent || (err != nil && outcome == OutcomeDuplicate) {
		return OutcomeDuplicate, nil
	}
	return outcome, err
}

// errDuplicateEvent rolls back the transaction of an event already kept.
var errDuplicateEvent = errors.New("processor event already applied")

// paymentByReference finds the payment a processor's charge belongs to:
// by its reference, else by the payment id the charge carried.
func paymentByReference(ctx context.Context, tx *ent.Tx, reference, paymentID string) (*ent.Payment, error) {
	if reference != "" {
		p, err := tx.Payment.Query().Where(payment.ProcessorReference(reference)).First(ctx)
		if err == nil || !ent.IsNotFound(err) {
			return p, err
		}
	}
	if paymentID == "" {
		return nil, nil
	}
	p, err := tx.Payment.Query().Where(payment.ID(paymentID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	// A payment already matched to another charge is not this one's.
	if err == nil && p.ProcessorReference != "" && reference != "" && p.ProcessorReference != reference {
		return nil, nil
	}
	return p, err
}

func (s *Service) applyCharge(ctx context.Context, tx *ent.Tx, c *ChargeOutcome) (string, error) {
	p, err := paymentByReference(ctx, tx, c.Reference, c.PaymentID)
	if err != nil {
		return "", fmt.Errorf("find payment: %w", err)
	}
	if p == nil {
		return OutcomeUnknownObject, nil
	}
	if c.Amount != p.Amount || !strings.EqualFold(c.Currency, p.Currency) {
		// Not the charge Remit asked for: never let it settle the payment.
		return OutcomeMismatch, nil
	}
	inFlight := p.Status == payment.StatusProcessing || p.Status == payment.StatusRequiresAction
	if !inFlight || string(c.Result.Status) == string(p.Status) {
		return OutcomeUnchanged, nil
	}
	c.Result.Reference = c.Reference
	_, after, err := s.applyResult(ctx, p, c.Result)
	if err != nil {
		return "", err
	}
	if string(after.Status) == string(p.Status) {
		return OutcomeUnchanged, nil
	}
	return OutcomeApplied, nil
}

func (s *Service) applyRefunds(ctx context.Context, tx *ent.Tx, outcomes []RefundOutcome) (string, error) {
	outcome := OutcomeUnknownObject
	for _, o := range outcomes {
		q := tx.Refund.Query().WithPayment()
		switch {
		case o.Reference != "" && o.RefundID != "":
			q.Where(refund.Or(refund.ProcessorReference(o.Reference), refund.ID(o.RefundID)))
		case o.Reference != "":
			q.Where(refund.ProcessorReference(o.Reference))
		default:
			q.Where(refund.ID(o.RefundID))
		}
		r, err := q.First(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("find refund: %w", err)
		}
		if outcome == OutcomeUnknownObject {
			outcome = OutcomeUnchanged
		}
		o.Result.Reference = o.Reference
		after, err := s.applyRefund(ctx, r, o.Result)
		if err != nil {
			return "", err
		}
		if after.Status != r.Status {
			outcome = OutcomeApplied
		}
	}
	return outcome, nil
}

// applyDispute marks the disputed payment and its invoice, and tells the
// merchant (payment.disputed, and the invoice's history). The money is
// the processor's to hold until the dispute is decided: the invoice's
// amounts do not change.
func (s *Service) applyDispute(ctx context.Context, tx *ent.Tx, d *DisputeOutcome) (string, error) {
	p, err := paymentByReference(ctx, tx, d.ChargeReference, "")
	if err != nil {
		return "", fmt.Errorf("find payment: %w", err)
	}
	if p == nil {
		return OutcomeUnknownObject, nil
	}
	opened := p.DisputeReference != d.Reference
	if !opened && p.DisputeStatus == d.Status {
		return OutcomeUnchanged, nil
	}
	now := clock.Now(ctx)
	pu := tx.Payment.UpdateOne(p).SetDisputeStatus(d.Status)
	event := events.PaymentDisputeUpdated
	if opened {
		// A dispute Remit first hears of (its opening, or a later event
		// that came first): recorded as opened, with its status now.
		pu.SetDisputedAt(now).SetDisputeReference(d.Reference).SetDisputeReason(d.Reason)
		event = events.PaymentDisputed
	}
	if p, err = pu.Save(ctx); err != nil {
		return "", fmt.Errorf("record dispute: %w", err)
	}
	if err := events.Record(ctx, tx, event, p); err != nil {
		return "", err
	}
	ended, closed := disputeEnded[d.Status]
	if !opened && !closed {
		return OutcomeApplied, nil // a step of the bank's process: the event tells
	}
	inv, err := tx.Invoice.Query().Where(invoice.ID(p.InvoiceID)).Only(ctx)
	if err != nil {
		return "", fmt.Errorf("load invoice: %w", err)
	}
	if !opened {
		return OutcomeApplied, note(ctx, tx, inv, step{HistoryPaymentDisputed, "", events.InvoiceUpdated,
			"dispute of " + describePayment(p, p.Currency) + " closed: " + ended})
	}
	text := describePayment(p, p.Currency) + " disputed by the payer's bank"
	if d.Reason != "" {
		text += ": " + strings.ReplaceAll(d.Reason, "_", " ")
	}
	text += " (" + money.MajorString(p.Amount, p.Currency) + " held by the processor)"
	u := update(tx, inv)
	if inv.DisputedAt == nil {
		u.SetDisputedAt(now)
	}
	if _, err = transition(ctx, tx, inv, u, step{HistoryPaymentDisputed, "", events.InvoiceUpdated, text}); err != nil {
		return "", err
	}
	return OutcomeApplied, nil
}

// ActionSecret is what the payer's browser needs to finish a payment
// awaiting them (3-D Secure) with a processor whose own script runs the
// challenge (Stripe.js's handleNextAction); "" when the payment awaits
// nothing, or the processor's challenge is Remit's own page (the
// simulator's).
func (s *Service) ActionSecret(ctx context.Context, p *ent.Payment) (string, error) {
	if p.Status != payment.StatusRequiresAction || p.ProcessorReference == "" {
		return "", nil
	}
	proc, err := s.processor(ctx, p.AccountID, p.Mode)
	if err != nil {
		return "", err
	}
	c, ok := proc.(payments.Collecting)
	if !ok {
		return "", nil
	}
	secret, err := c.ActionSecret(ctx, p.ProcessorReference)
	if errors.Is(err, payments.ErrInvalidReference) {
		return "", nil // it no longer awaits anything
	}
	return secret, err
}
