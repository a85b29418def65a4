package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/collection"
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
		if err := s.CheckSchedule(ctx, inv, in.Date, now); err != nil {
			return err
		}
		at := ScheduleDay(in.Date)
		pm, err := methodFor(ctx, tx, inv, PayInput{PaymentMethodID: in.PaymentMethodID}, nil)
		if err != nil {
			return onField(err, "paymentMethod")
		}
		if err := s.checkMethod(ctx, inv, pm); err != nil {
			return err
		}
		if due := NextDueDate(inv); due != nil && at.After(*due) {
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

// ScheduleDay is the calendar day of t in UTC, at its start: the instant
// a payment scheduled for that day is charged.
func ScheduleDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ScheduleRange is the first and the last day a payment may be scheduled
// for at now: tomorrow, and the last day within MaxScheduleAhead.
func ScheduleRange(now time.Time) (first, last time.Time) {
	return ScheduleDay(now).AddDate(0, 0, 1), ScheduleDay(now.Add(MaxScheduleAhead))
}

// SchedulingOffered reports whether the caller's account lets customers
// schedule payments (an account setting: customers and invoices do not
// override it).
func (s *Service) SchedulingOffered(ctx context.Context) (bool, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return false, fmt.Errorf("load account: %w", err)
	}
	return collection.Resolve(acct.CollectionSettings).ScheduledPayments, nil
}

// Schedulable reports whether a payment of inv can be scheduled: an open
// send-invoice invoice with money not already in flight.
func Schedulable(inv *ent.Invoice) bool {
	return inv.Status == invoice.StatusOpen && inv.CollectionMethod == invoice.CollectionMethodSendInvoice && AmountAvailable(inv) > 0
}

// CheckSchedule says why a payment of inv cannot be scheduled for date
// at now, inv's time (nil when it can), as SchedulePayment will: callers
// that must save something first (a new card) ask before.
func (s *Service) CheckSchedule(ctx context.Context, inv *ent.Invoice, date, now time.Time) error {
	offered, err := s.SchedulingOffered(ctx)
	if err != nil {
		return err
	}
	if !offered {
		return usererr.New(usererr.SchedulingDisabled, "this merchant does not offer scheduled payments")
	}
	if !Schedulable(inv) {
		return usererr.New(usererr.InvalidTransition, "this invoice cannot be paid on a date", "id")
	}
	first, last := ScheduleRange(now)
	if d := ScheduleDay(date); d.Before(first) || d.After(last) {
		return usererr.Newf(usererr.Invalid, []string{"date"}, "choose a day from %s to %s", first.Format("2006-01-02"), last.Format("2006-01-02"))
	}
	return nil
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

// NextDueDate is the date what is owed now is due by: the first
// installment that what is paid and in flight leaves unsettled, else the
// invoice's due date (nil without one). A payment scheduled later is late.
func NextDueDate(inv *ent.Invoice) *time.Time {
	for _, d := range installmentDues(inv) {
		if !d.Settled {
			return &d.Date
		}
	}
	return inv.DueDate
}
