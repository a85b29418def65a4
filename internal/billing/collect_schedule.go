package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// MaxScheduleAhead is how far ahead a customer may schedule a payment.
const MaxScheduleAhead = 366 * 24 * time.Hour

// ScheduleInput is a payment a customer schedules for a date.
type ScheduleInput struct {
	InvoiceID string
	// Date is the day to be charged on (its UTC calendar date); the
	// charge is made as the day starts.
	Date time.Time
	// PaymentMethodID is one of the customer's saved methods.
	PaymentMethodID string
	// Source is where the customer scheduled it (hosted page, portal).
	Source payment.Source
}

// SchedulePayment schedules, or reschedules, the payment of what is
// payable on an open send-invoice invoice for a later date, with a saved
// method of its customer, when the account lets customers do so. A date
// after the due date (or the next installment's) is allowed and warned
// about. The customer is emailed now and ScheduledNoticeDays before.
func (s *Service) SchedulePayment(ctx context.Context, in ScheduleInput) (*ent.Invoice, []*usererr.Error, error) {
	var out *ent.Invoice
	var warnings []*usererr.Error
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lockInvoice(ctx, tx, in.InvoiceID, "id")
		if err != nil {
			return err
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		now := clock.Now(ctx)
		set, err := s.collectionSettings(ctx, tx, inv, nil)
		if err != nil {
			return err
		}
		switch {
		case !set.ScheduledPayments:
			return usererr.New(usererr.SchedulingDisabled, "this merchant does not offer scheduled payments")
		case inv.Status != invoice.StatusOpen || AmountAvailable(inv) <= 0:
			return usererr.New(usererr.InvalidTransition, "the invoice has nothing left to pay", "id")
		case inv.CollectionMethod != invoice.CollectionMethodSendInvoice:
			return usererr.New(usererr.Invalid, "this invoice is charged automatically", "id")
		}
		at := time.Date(in.Date.Year(), in.Date.Month(), in.Date.Day(), 0, 0, 0, 0, time.UTC)
		switch {
		case !at.After(now):
			return usererr.New(usererr.Invalid, "choose a day after today", "date")
		case at.Sub(now) > MaxScheduleAhead:
			return usererr.New(usererr.Invalid, "choose a day within a year", "date")
		}
		pm, err := methodFor(ctx, tx, inv, PayInput{PaymentMethodID: in.PaymentMethodID}, nil)
		if err != nil {
			return onField(err, "paymentMethod")
		}
		if err := s.checkMethod(ctx, inv, pm); err != nil {
			return err
		}
		if due := nextDueDate(inv); due != nil && at.After(*due) {
			warnings = append(warnings, usererr.Newf(usererr.ScheduledAfterDueDate, []string{"date"},
				"the payment is due by %s: a later payment is late", due.Format("2006-01-02")))
		}
		sp := &values.ScheduledPayment{At: at, PaymentMethodID: pm.ID, Currency: inv.Currency, Source: string(in.Source), ScheduledAt: now}
		sp.NoticeSent = !noticeAt(sp).After(now)
		u := update(tx, inv).SetScheduledPayment(sp).SetScheduledPaymentAt(at)
		replan(u, set, inv)
		note := "payment scheduled for " + at.Format("2006-01-02") + " with " + words.MethodName(pm, "en")
		if out, err = transition(ctx, tx, inv, u, step{HistoryScheduled, "", events.PaymentScheduled, note}); err != nil {
			return err
		}
		if !set.Emails.ScheduledPayment {
			return nil
		}
		return s.enqueueScheduledPayment(ctx, tx, out, sp, false)
	})
	if err != nil {
		return nil, nil, err
	}
	return out.Unwrap(), warnings, nil
}

// CancelScheduledPayment drops the payment scheduled on invoice id.
func (s *Service) CancelScheduledPayment(ctx context.Context, id string) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lockInvoice(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		if inv.ScheduledPayment == nil {
			return usererr.New(usererr.NotFound, "no payment is scheduled for this invoice", "id")
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		set, err := s.collectionSettings(ctx, tx, inv, nil)
		if err != nil {
			return err
		}
		u := update(tx, inv).ClearScheduledPayment().ClearScheduledPaymentAt()
		replan(u, set, inv)
		out, err = transition(ctx, tx, inv, u, step{HistoryScheduleCanceled, "", events.PaymentScheduleCanceled,
			"scheduled payment of " + inv.ScheduledPayment.At.Format("2006-01-02") + " canceled"})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// checkMethod checks that pm can pay inv: a type the invoice accepts, in
// the debit's currency.
func (s *Service) checkMethod(ctx context.Context, inv *ent.Invoice, pm *ent.PaymentMethod) error {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return fmt.Errorf("load account: %w", err)
	}
	return methodAccepted(acct, inv, pm)
}

// nextDueDate is the date what is owed now is due by: the first unsettled
// installment's, else the invoice's.
func nextDueDate(inv *ent.Invoice) *time.Time {
	for _, d := range installmentDues(inv) {
		if !d.Settled {
			return &d.Date
		}
	}
	return inv.DueDate
}
