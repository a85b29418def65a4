package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// PaymentMethods accepted when recording a payment received outside Remit.
var PaymentMethods = []string{"bank_transfer", "check", "cash", "card", "direct_debit", "other"}

// MarkPaidInput records a payment received outside Remit.
type MarkPaidInput struct {
	Method    string
	Reference string
	Note      string
	PaidAt    *time.Time
}

// RecordPaymentInput is money received outside Remit: a bank transfer,
// a check, cash.
type RecordPaymentInput struct {
	// Amount in major units, at most what remains (less what is in
	// flight).
	Amount    string
	Method    string
	Reference string
	PaidAt    *time.Time
}

// outside is a checked payment received outside Remit.
type outside struct {
	method, reference, note string
	paidAt                  *time.Time
	// source is where the money came from inside Remit: a bank transfer
	// (bank_transfer_id), or the customer's cash balance it funded.
	source transferSource
}

// checkOutside checks what every payment recorded outside Remit says: how
// it came, its reference, a note, and when (never in the future).
func checkOutside(ctx context.Context, method, reference, note string, paidAt *time.Time) (outside, error) {
	var errs usererr.List
	o := outside{method: strings.ToLower(strings.TrimSpace(method)), reference: strings.TrimSpace(reference), note: strings.TrimSpace(note), paidAt: paidAt}
	known := false
	for _, m := range PaymentMethods {
		known = known || m == o.method
	}
	if !known {
		errs = append(errs, usererr.Newf(usererr.Invalid, []string{"method"}, "method is one of %s", strings.Join(PaymentMethods, ", ")))
	}
	if len([]rune(o.reference)) > 140 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "reference is at most 140 characters", "reference"))
	}
	if len([]rune(o.note)) > 500 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "note is at most 500 characters", "note"))
	}
	if paidAt != nil && paidAt.After(clock.Now(ctx)) {
		errs = append(errs, usererr.New(usererr.Invalid, "a payment cannot be received in the future", "paidAt"))
	}
	return o, errs.Err()
}

// at is when the money came: as given, else now; refused when
// implausibly long before inv was issued.
func (o outside) at(ctx context.Context, inv *ent.Invoice) (time.Time, error) {
	if o.paidAt == nil {
		return clock.Now(ctx), nil
	}
	at := o.paidAt.UTC()
	if inv.FinalizedAt != nil && at.Before(inv.FinalizedAt.Add(-24*time.Hour*366)) {
		return time.Time{}, usererr.New(usererr.Invalid, "paidAt is implausibly far before the invoice was issued", "paidAt")
	}
	return at, nil
}

// describe reads as "by bank transfer, reference VIR-42".
func (o outside) describe() string {
	why := "by " + strings.ReplaceAll(o.method, "_", " ")
	if o.source.cashBalance {
		why = "from the customer's cash balance"
	}
	if o.reference != "" {
		why += ", reference " + o.reference
	}
	return why
}

// MarkPaid records that the whole remaining amount was paid outside Remit:
// RecordPayment of everything that remains, which also keeps the record
// on the invoice (outOfBandPayment).
func (s *Service) MarkPaid(ctx context.Context, id string, in MarkPaidInput) (*ent.Invoice, error) {
	o, err := checkOutside(ctx, in.Method, in.Reference, in.Note, in.PaidAt)
	if err != nil {
		return nil, err
	}
	var out *ent.Invoice
	err = s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, id, ActionMarkPaid)
		if err != nil {
			return err
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		paidAt, err := o.at(ctx, inv)
		if err != nil {
			return err
		}
		if out, _, err = s.recordOutside(ctx, tx, inv, o, AmountRemaining(inv), paidAt, true); err != nil {
			return err
		}
		out, err = tx.Invoice.Get(ctx, id)
		return err
	})
	return detach(out, err)
}

// RecordPayment records money received outside Remit for an open or
// uncollectible invoice, of any amount up to what remains (less what is in
// flight): a payment with method type OUT_OF_BAND, listed with the
// others. It settles a plan's installments in due order, like any
// payment; when nothing remains the invoice is PAID.
func (s *Service) RecordPayment(ctx context.Context, id string, in RecordPaymentInput) (*ent.Invoice, *ent.Payment, error) {
	o, err := checkOutside(ctx, in.Method, in.Reference, "", in.PaidAt)
	var errs usererr.List
	if !errs.Add(err) {
		return nil, nil, err
	}
	if strings.TrimSpace(in.Amount) == "" {
		errs = append(errs, usererr.New(usererr.Required, "give the amount received", "amount"))
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	var inv *ent.Invoice
	var p *ent.Payment
	err = s.run(ctx, func(tx *ent.Tx) error {
		cur, err := s.load(ctx, tx, id, ActionPay)
		if err != nil {
			return err
		}
		if ctx, err = s.invoiceClock(ctx, tx, cur); err != nil {
			return err
		}
		amount, err := money.ParseAmount(in.Amount, cur.Currency, "amount")
		if err != nil {
			return err
		}
		available := AmountAvailable(cur)
		switch {
		case amount <= 0:
			return usererr.New(usererr.InvalidAmount, "the amount is more than zero", "amount")
		case amount > available && cur.AmountPending > 0:
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the amount is more than the %s remaining less the %s of payments in progress", money.MajorString(AmountRemaining(cur), cur.Currency), money.MajorString(cur.AmountPending, cur.Currency))
		case amount > available:
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the amount is more than the %s remaining", money.MajorString(available, cur.Currency))
		}
		paidAt, err := o.at(ctx, cur)
		if err != nil {
			return err
		}
		inv, p, err = s.recordOutside(ctx, tx, cur, o, amount, paidAt, false)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return inv.Unwrap(), p.Unwrap(), nil
}

// recordOutside writes, in tx, amount received outside Remit for inv
// (loaded and checked in tx): an OUT_OF_BAND payment, SUCCEEDED, with its
// event, and what it adds to the invoice through the one transition path
// (PAID once nothing remains). markPaid is invoiceMarkPaid: its own step
// of the history, and the record kept on the invoice. It returns the
// invoice as it then stands and the payment (nil when amount is zero: a
// mark-paid invoice that owed nothing).
func (s *Service) recordOutside(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, o outside, amount int64, paidAt time.Time, markPaid bool) (*ent.Invoice, *ent.Payment, error) {
	var p *ent.Payment
	if amount > 0 {
		var err error
		p, err = tx.Payment.Create().
			SetInvoiceID(inv.ID).SetCustomerID(inv.CustomerID).
			SetMethodType(payment.MethodTypeOutOfBand).
			SetAmount(amount).SetCurrency(inv.Currency).
			SetStatus(payment.StatusSucceeded).SetSucceededAt(paidAt).
			SetOutOfBandMethod(o.method).SetReference(o.reference).
			SetNillableBankTransferID(o.source.transferID()).
			Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("record payment: %w", err)
		}
		if err := events.Record(ctx, tx, events.PaymentSucceeded, p); err != nil {
			return nil, nil, err
		}
	}
	paid := inv.AmountPaid + amount
	u := update(tx, inv).SetAmountPaid(paid)
	entry := step{HistoryRecordPayment, "", events.InvoiceUpdated, money.MajorString(amount, inv.Currency) + " " + inv.Currency + " received outside Remit " + o.describe()}
	switch {
	case markPaid:
		u.SetPaidAt(paidAt).SetOutOfBandPayment(&values.OutOfBandPayment{Method: o.method, Reference: o.reference, PaidAt: paidAt, Note: o.note})
		entry = step{HistoryMarkPaid, ActionMarkPaid, events.InvoicePaid, "paid outside Remit " + o.describe()}
	case paid >= inv.AmountDue:
		u.SetPaidAt(paidAt)
		entry.action, entry.event = actionSettle, events.InvoicePaid
	default:
		entry.note += "; " + money.MajorString(inv.AmountDue-paid, inv.Currency) + " remaining"
	}
	after, err := transition(ctx, tx, inv, u, entry)
	if err != nil {
		return nil, nil, err
	}
	return after, p, nil
}
